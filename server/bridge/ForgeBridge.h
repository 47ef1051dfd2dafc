#pragma once

#include "auth/Authenticator.h"
#include "bridge/AddressRateLimit.h"
#include "bridge/IdentityCache.h"
#include "broker/PresenceObserver.h"
#include "client/Clock.h"
#include "config/ServerConfig.h"
#include "forge/UserPoller.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>

#include <functional>

class QTimer;

namespace forgewire {

class Broker;
class ForgeClient;
class SessionBridge;
class PrometheusWriter;
struct ForgeReply;

// Bridge mode: forgewire-server in front of an unmodified Gitea/Forgejo (or Codeberg). Clients sign
// in with their forge token; the bridge checks it against GET /api/v1/user, then, only while a
// user has a connection on this node, polls that user's unread count and stopwatches and publishes
// them (retained) when they change. One poller per user, however many connections.
//
// Tokens are tracked one by one, never per user: a user's devices may hold tokens of different
// scopes, and one being revoked (401) or lacking a scope (403) closes only the connections signed
// in with it. Every live token is re-checked at least once per `forgePoll.maxMs`. Token checks are
// bounded (limits::kForgeChecks*): refusals are cached, checks in flight and queued are capped, and
// each client address has a token bucket, so anonymous upgrades cannot make the bridge flood the forge.
//
// With `[forge] cookie_auth`, the forge's own pages sign in by its session cookie instead: see
// SessionBridge, which this bridge owns and hands the presence of its keys.
//
// Refresh after an action: the forge has no webhook for "the user just stopped a stopwatch", and
// PROTOCOL.md allows clients nothing but subscribe/unsubscribe/ping. A client re-subscribing to its
// own `user-{id}` topic (allowed, idempotent, already answered with `subscribed`) is therefore read
// as "poll me now": the tray calls the forge directly (ForgeActions), then sends that subscribe.
//
// Main thread only.
class ForgeBridge : public QObject, private PollerHost, private PresenceObserver
{
    Q_OBJECT
public:
    static constexpr qint64 kIdentityTtlMs = IdentityCache::kTtlMs;
    static constexpr qint64 kMinRefreshGapMs = UserPoller::kMinRefreshGapMs;
    // Re-checks of live tokens (GET /user) in flight at once: they share the forge with the
    // handshake checks, which must not wait behind a burst of them.
    static constexpr int kRechecksInFlight = 4;
    // Per-address rate-limit buckets kept at most; past it new addresses are not limited per address
    // (the global in-flight and queue bounds still hold), so an attacker with many addresses cannot
    // make the bridge grow without bound. Refusals have the same bound (IdentityCache::kMaxRefusals).
    static constexpr int kMaxTrackedEntries = 10'000;

    // Every interval (cache ages, rate-limit buckets, queue waits, refresh gaps) is measured on
    // `clock`, which must outlive the bridge.
    ForgeBridge(const ServerConfig& config, Broker* broker, Authenticator* authenticator,
                QObject* parent = nullptr, const Clock& clock = Clock::system());
    ~ForgeBridge() override;

    // The bridge's /metrics families.
    void writeMetrics(PrometheusWriter& out) const;

    int pollerCount() const { return int(m_pollers.size()); }
    // Distinct forge tokens with a connection on this node (re-checked on a schedule).
    int liveTokenCount() const;

private:
    using CachedIdentity = IdentityCache::Identity;
    // A token some connection signed in with: kept (in memory only) to poll and re-check with.
    struct LiveToken
    {
        QByteArray token;
        qint64 userId = 0;
        bool online = false;  // a worker holds a connection with it (Broker::tokenOnline)
        qint64 sinceMs = 0;   // when it was accepted or went offline (not online: dropped after a while)
        qint64 lastOkMs = 0;  // the forge last accepted it (check, re-check or poll)
        qint64 lastTryMs = 0; // the last re-check started (a failed one is not retried at once)
        bool rechecking = false;
    };
    struct QueuedCheck
    {
        QByteArray token;
        QByteArray key;
        qint64 queuedAtMs = 0;
    };

    void verify(const QByteArray& token, const QString& peerAddress, std::function<void(AuthResult)> done);
    AuthResult accepted(const QByteArray& token, const QByteArray& key, const CachedIdentity& cached);
    void startCheck(const QByteArray& token, const QByteArray& key);
    void finishCheck(const QByteArray& key, const AuthResult& result);
    void pumpQueue();
    // Answers queued checks that could no longer finish within the handshake timeout.
    void expireQueue();
    AuthResult tryLater(const QByteArray& key, const QString& why);
    // PresenceObserver: the Broker reports who is connected to this node.
    void userOnline(qint64 userId) override;
    void userOffline(qint64 userId) override;
    void refreshRequested(qint64 userId) override;
    void sessionStateWanted(const QString& topic) override;
    void tokenOnline(const QByteArray& key) override;
    void tokenOffline(const QByteArray& key) override;
    // What the user's poller authenticates with: `current` while it is live, else another live token
    // of the user (connections opened with it are online first); empty when none.
    QByteArray pollingKey(qint64 userId, const QByteArray& current) const;
    // The forge accepted a live token just now (a poll): it needs no re-check for a while.
    void tokenWorked(const QByteArray& key);
    // PollerHost
    PollToken pollingToken(qint64 userId, const QByteArray& currentKey) const override;
    void pollRefused(const QByteArray& key, const ForgeReply& refusal) override;
    void pollWorked(const QByteArray& key) override { tokenWorked(key); }
    void forgeAnswered(bool reachable, const QString& error) override { noteForgeAnswer(reachable, error); }
    void knownState(qint64 userId, std::function<void(const KnownState&)> done) override;
    void publishState(qint64 userId, const protocol::ServerMessage& message,
                      std::function<void(bool published)> done) override;
    // The forge refused `key` (401/403): remember the refusal, forget the token, and close the
    // connections that use it (only those) with 4001 and `reason`.
    void refuseToken(const QByteArray& key, const QString& error, const QString& reason);
    static QString refusalReason(const ForgeReply& reply, bool live);
    void forgetLive(const QByteArray& key);
    void recheckLiveTokens();
    // Feeds the forge-wide up/down state from every answer, so an outage is logged once.
    void noteForgeAnswer(bool reachable, const QString& error);
    void pruneCache();
    qint64 nowMs() const;

    ServerConfig m_config;
    const Clock& m_clock;
    Broker* m_broker;
    ForgeClient* m_client;
    IdentityCache m_identities;
    // Callers waiting for a check of a key (queued or in flight): one forge request per token.
    QHash<QByteArray, QList<std::function<void(AuthResult)>>> m_verifying;
    QList<QueuedCheck> m_queue; // at most limits::kForgeChecksQueued, counted at enqueue
    int m_checksInFlight = 0;
    QTimer* m_queueTimer = nullptr;
    AddressRateLimit m_buckets;
    QHash<QByteArray, LiveToken> m_live;
    QHash<qint64, QSet<QByteArray>> m_userKeys; // the keys of m_live per user
    int m_rechecksInFlight = 0;
    QHash<qint64, UserPoller*> m_pollers;
    // `[forge] cookie_auth`: the forge sessions signed in by cookie; null without it.
    SessionBridge* m_sessions = nullptr;
    bool m_forgeUp = true;
    qint64 m_verifications = 0;
    qint64 m_cacheHits = 0;
    qint64 m_refusedCacheHits = 0;
    qint64 m_rejectedBusy = 0;
    qint64 m_rateLimited = 0;
    qint64 m_rechecks = 0;
    qint64 m_revocations = 0;
    qint64 m_pushes = 0;
};

} // namespace forgewire
