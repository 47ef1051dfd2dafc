#pragma once

#include "auth/Authenticator.h"
#include "bridge/AddressRateLimit.h"
#include "bridge/IdentityCache.h"
#include "client/Clock.h"
#include "config/ServerConfig.h"
#include "forge/PollSchedule.h"
#include "protocol/Protocol.h"

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QTimer>

#include <functional>
#include <optional>

namespace forgewire {

class Broker;
class ForgeClient;
class PrometheusWriter;
struct ForgeReply;

// Bridge mode with `[forge] cookie_auth` (PROTOCOL.md v1.2, Forge drop-in): the forge's own pages
// sign in with its session cookie. Since 1.17 Gitea and Forgejo ignore that cookie on /api/v1, so a
// Cookie header is checked on the web route its pages read, GET /notifications/new (a redirect to the
// sign-in page: not signed in), and a forge session with a connection on this node is polled on
// /notifications/new and /user/stopwatches with a Cookie header one of its connections signed in
// with. Its state goes out on its own topic (Topic::forgeSession, named by a keyed hash of the session
// cookie), which every connection of the session reads: not retained (the poller keeps it and sends
// it again to each connection that subscribes), so nothing of a forge session is stored. When the
// forge stops accepting the cookie, those connections get `logout` `here` and are closed.
//
// Cookies are kept in memory only while a connection uses them, never logged or stored; checks are
// cached under a keyed hash of the header and bounded as token checks are (per client address, in
// flight at once), so anonymous traffic cannot make the bridge flood the forge. Main thread only.
class SessionBridge : public QObject
{
public:
    SessionBridge(const ServerConfig& config, Broker* broker, ForgeClient* client, const Clock& clock,
                  QObject* parent);
    ~SessionBridge() override;

    // Authenticator::ForgeCookieVerifier.
    void verify(const QByteArray& cookieHeader, const QByteArray& sessionId, const QString& peerAddress,
                std::function<void(AuthResult)> done);
    // The Broker's presence reports for keys this bridge handed out (AuthResult's forgeTokenKey).
    bool ownsKey(const QByteArray& key) const { return m_live.contains(key); }
    void keyOnline(const QByteArray& key);
    void keyOffline(const QByteArray& key);

    // A connection subscribed to the session's topic: the state last seen is published again (it is
    // kept here, not retained, so nothing of a forge session outlives its connections).
    void resend(const QString& topic);

    void writeMetrics(PrometheusWriter& out) const;
    int pollerCount() const { return int(m_pollers.size()); }

private:
    struct Live
    {
        QByteArray cookieHeader;
        QString topic;
        bool online = false;
        qint64 sinceMs = 0; // when it was accepted or went offline
    };
    struct Poller
    {
        QByteArray key; // the live cookie it polls with
        PollSchedule schedule;
        QTimer* timer = nullptr;
        bool inFlight = false;
        std::optional<qint64> count;
        std::optional<QList<protocol::Stopwatch>> stopwatches;
    };

    QByteArray keyOf(const QByteArray& cookieHeader) const;
    QString topicOf(const QByteArray& sessionId) const;
    void finishCheck(const QByteArray& key, const AuthResult& result);
    AuthResult accepted(const QByteArray& key, const QByteArray& cookieHeader, const QByteArray& sessionId);
    // Forgets cookies no connection has used for a while (a connection accepted just before its
    // key went offline reports itself online right after).
    void pruneLive();
    void startPoller(const QString& topic, const QByteArray& key);
    void stopPoller(const QString& topic);
    void poll(const QString& topic);
    void publish(const QString& topic, const protocol::ServerMessage& message);
    // The forge no longer accepts the session: every connection of it is signed out.
    void endSession(const QString& topic, const QString& error);

    ServerConfig m_config;
    Broker* m_broker;
    ForgeClient* m_client;
    const Clock& m_clock;
    // Random per process: the hashes name nothing outside it.
    QByteArray m_hashKey;
    IdentityCache m_checks;
    QHash<QByteArray, QList<std::function<void(AuthResult)>>> m_verifying;
    int m_checksInFlight = 0;
    AddressRateLimit m_buckets;
    QHash<QByteArray, Live> m_live;
    QHash<QString, Poller*> m_pollers;
    qint64 m_verifications = 0;
    qint64 m_signedOut = 0;
};

} // namespace forgewire
