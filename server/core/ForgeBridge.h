#pragma once

#include "Authenticator.h"
#include "PollSchedule.h"
#include "ServerConfig.h"

#include <QByteArray>
#include <QHash>
#include <QObject>

#include <functional>

namespace forgewire {

class Broker;
class ForgeClient;

// Bridge mode: forgewire-server in front of an unmodified Gitea/Forgejo (or Codeberg). Clients sign
// in with their forge token; the bridge checks it once against GET /api/v1/user, then, only while a
// user has a connection on this node, polls that user's unread count and stopwatches and publishes
// them (retained) when they change. One poller per user, however many connections.
//
// Refresh after an action: the forge has no webhook for "the user just stopped a stopwatch", and
// PROTOCOL.md allows clients nothing but subscribe/unsubscribe/ping. A client re-subscribing to its
// own `user-{id}` topic (allowed, idempotent, already answered with `subscribed`) is therefore read
// as "poll me now": the tray calls the forge directly (ForgeActions), then sends that subscribe.
//
// Main thread only.
class ForgeBridge : public QObject
{
    Q_OBJECT
public:
    // How long a verified token is trusted without asking the forge again. A revoked token is still
    // caught at the next poll (401), so this only bounds how stale a new connection's identity is.
    static constexpr qint64 kIdentityTtlMs = 5 * 60'000;
    // Refresh requests closer together than this share one poll (a client cannot make the server
    // hammer the forge on its behalf).
    static constexpr qint64 kMinRefreshGapMs = 1'000;

    ForgeBridge(const ServerConfig& config, Broker* broker, Authenticator* authenticator,
                QObject* parent = nullptr);
    ~ForgeBridge() override;

    // Prometheus lines for /metrics.
    QByteArray metrics() const;

    int pollerCount() const { return int(m_pollers.size()); }
    bool isForgeUp() const { return m_forgeUp; }

private:
    class UserPoller;
    friend class UserPoller;

    struct CachedIdentity
    {
        qint64 userId = 0;
        QString login;
        qint64 verifiedAtMs = 0;
    };

    void verify(const QByteArray& token, std::function<void(AuthResult)> done);
    AuthResult accepted(const QByteArray& token, const CachedIdentity& cached);
    void onUserOnline(qint64 userId);
    void onUserOffline(qint64 userId);
    void onRefreshRequested(qint64 userId);
    // The forge refused `token` (401): forget it and close the user's connections with 4001.
    void revoke(qint64 userId, const QByteArray& token);
    // Feeds the forge-wide up/down state from every answer, so an outage is logged once.
    void noteForgeAnswer(bool reachable, const QString& error);
    void pruneCache();
    qint64 nowMs() const;

    ServerConfig m_config;
    Broker* m_broker;
    ForgeClient* m_client;
    // Keyed by SHA-256 of the token: the cache never holds a token it does not need to poll with.
    QHash<QByteArray, CachedIdentity> m_identities;
    QHash<QByteArray, QList<std::function<void(AuthResult)>>> m_verifying;
    // The latest verified token per user: what that user's poller authenticates with. Memory only.
    QHash<qint64, QByteArray> m_userTokens;
    QHash<qint64, UserPoller*> m_pollers;
    bool m_forgeUp = true;
    qint64 m_verifications = 0;
    qint64 m_cacheHits = 0;
    qint64 m_revocations = 0;
    qint64 m_pushes = 0;
};

} // namespace forgewire
