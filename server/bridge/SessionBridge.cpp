#include "bridge/SessionBridge.h"

#include "admin/PublishRequest.h"
#include "broker/Broker.h"
#include "config/ServerLimits.h"
#include "config/ServerLogging.h"
#include "forge/ForgeClient.h"
#include "forge/UserPoller.h"
#include "metrics/PrometheusWriter.h"
#include "protocol/Topic.h"

#include <QMessageAuthenticationCode>
#include <QRandomGenerator>

namespace forgewire {

using namespace Qt::StringLiterals;

SessionBridge::SessionBridge(const ServerConfig& config, Broker* broker, ForgeClient* client,
                             const Clock& clock, QObject* parent)
    : QObject(parent), m_config(config), m_broker(broker), m_client(client), m_clock(clock), m_checks(clock),
      m_buckets(clock, IdentityCache::kMaxRefusals)
{
    m_hashKey.resize(32);
    QRandomGenerator::system()->generate(reinterpret_cast<quint32*>(m_hashKey.data()),
                                         reinterpret_cast<quint32*>(m_hashKey.data() + m_hashKey.size()));
    auto* prune = new QTimer(this);
    connect(prune, &QTimer::timeout, this, [this] {
        m_checks.prune();
        m_buckets.prune();
        pruneLive();
    });
    prune->start(std::max(1000, 2 * m_config.handshakeTimeoutMs));
}

SessionBridge::~SessionBridge()
{
    qDeleteAll(m_pollers);
}

QByteArray SessionBridge::keyOf(const QByteArray& cookieHeader) const
{
    return QMessageAuthenticationCode::hash("cookie:" + cookieHeader, m_hashKey, QCryptographicHash::Sha256);
}

QString SessionBridge::topicOf(const QByteArray& sessionId) const
{
    return Topic::forgeSession(
        QMessageAuthenticationCode::hash("session:" + sessionId, m_hashKey, QCryptographicHash::Sha256)
            .toHex());
}

AuthResult SessionBridge::accepted(const QByteArray& key, const QByteArray& cookieHeader,
                                   const QByteArray& sessionId)
{
    Live& live = m_live[key];
    live.cookieHeader = cookieHeader;
    live.topic = topicOf(sessionId);
    if (!live.online)
        live.sinceMs = m_clock.now().count();
    AuthResult result;
    result.ok = true;
    result.identity.sessionId = QString::fromLatin1(sessionId);
    result.identity.forgeTokenKey = key;
    result.identity.forgeSessionTopic = live.topic;
    return result;
}

void SessionBridge::verify(const QByteArray& cookieHeader, const QByteArray& sessionId,
                           const QString& peerAddress, std::function<void(AuthResult)> done)
{
    const QByteArray key = keyOf(cookieHeader);
    if (m_checks.fresh(key)) {
        done(accepted(key, cookieHeader, sessionId));
        return;
    }
    if (const IdentityCache::Refusal* refused = m_checks.refusal(key)) {
        AuthResult result;
        result.error = refused->error + u" (cached)"_s;
        result.reason = refused->reason;
        done(result);
        return;
    }
    if (auto waiting = m_verifying.find(key); waiting != m_verifying.end()) {
        waiting->append([this, key, cookieHeader, sessionId, done](const AuthResult& result) {
            done(result.ok ? accepted(key, cookieHeader, sessionId) : result);
        });
        return;
    }
    if (!m_buckets.take(peerAddress) || m_checksInFlight >= limits::kForgeChecksInFlight) {
        AuthResult busy;
        busy.error = u"forge session checks are busy or %1 asks too often"_s.arg(peerAddress);
        busy.transient = true;
        busy.transientCode = protocol::CloseCode::TryAgainLater;
        busy.reason = u"try later"_s;
        done(busy);
        return;
    }
    m_verifying.insert(key, {[this, key, cookieHeader, sessionId, done](const AuthResult& result) {
                           done(result.ok ? accepted(key, cookieHeader, sessionId) : result);
                       }});
    ++m_checksInFlight;
    ++m_verifications;
    m_client->fetchNewCount(ForgeCredential::ofCookie(cookieHeader), this,
                            [this, key](const ForgeReply& reply, qint64) {
                                --m_checksInFlight;
                                AuthResult result;
                                if (reply.ok()) {
                                    m_checks.remember(key, 0, {});
                                    result.ok = true;
                                } else if (reply.status == ForgeReply::Status::Unauthorized) {
                                    result.error = reply.error;
                                    result.reason = u"not signed in to the forge"_s;
                                    m_checks.refuse(key, result.error, result.reason);
                                } else {
                                    result.error = u"cannot check the forge session: "_s + reply.error;
                                    result.transient = true;
                                }
                                finishCheck(key, result);
                            });
}

void SessionBridge::finishCheck(const QByteArray& key, const AuthResult& result)
{
    const QList<std::function<void(AuthResult)>> callers = m_verifying.take(key);
    for (const auto& caller : callers)
        caller(result);
}

void SessionBridge::keyOnline(const QByteArray& key)
{
    auto live = m_live.find(key);
    if (live == m_live.end())
        return;
    live->online = true;
    Poller* poller = m_pollers.value(live->topic);
    if (!poller)
        startPoller(live->topic, key);
    else if (!m_live.value(poller->key).online)
        poller->key = key;
}

void SessionBridge::keyOffline(const QByteArray& key)
{
    auto live = m_live.find(key);
    if (live == m_live.end())
        return;
    const QString topic = live->topic;
    live->online = false;
    live->sinceMs = m_clock.now().count();
    Poller* poller = m_pollers.value(topic);
    if (!poller || poller->key != key)
        return;
    for (auto it = m_live.cbegin(); it != m_live.cend(); ++it) {
        if (it->topic == topic && it->online) {
            poller->key = it.key();
            return;
        }
    }
    stopPoller(topic);
}

void SessionBridge::pruneLive()
{
    const qint64 oldest = m_clock.now().count() - 2 * qint64(m_config.handshakeTimeoutMs);
    for (auto it = m_live.begin(); it != m_live.end();) {
        // The cookie is kept only while a connection uses it.
        if (!it->online && it->sinceMs < oldest)
            it = m_live.erase(it);
        else
            ++it;
    }
}

void SessionBridge::startPoller(const QString& topic, const QByteArray& key)
{
    auto* poller = new Poller{key, PollSchedule(m_config.forgePoll), new QTimer(this), false, {}, {}};
    poller->timer->setSingleShot(true);
    connect(poller->timer, &QTimer::timeout, this, [this, topic] { poll(topic); });
    m_pollers.insert(topic, poller);
    poll(topic);
}

void SessionBridge::stopPoller(const QString& topic)
{
    if (Poller* poller = m_pollers.take(topic)) {
        poller->timer->deleteLater();
        delete poller;
    }
}

void SessionBridge::poll(const QString& topic)
{
    Poller* poller = m_pollers.value(topic);
    if (!poller || poller->inFlight)
        return;
    const QByteArray cookie = m_live.value(poller->key).cookieHeader;
    if (cookie.isEmpty()) {
        stopPoller(topic); // no connection of the session is left to poll for
        return;
    }
    poller->inFlight = true;
    m_client->fetchNewCount(
        ForgeCredential::ofCookie(cookie), this, [this, topic](const ForgeReply& reply, qint64 count) {
            Poller* poller = m_pollers.value(topic);
            if (!poller)
                return;
            if (reply.status == ForgeReply::Status::Unauthorized) {
                endSession(topic, reply.error);
                return;
            }
            if (!reply.ok()) {
                poller->inFlight = false;
                poller->timer->start(reply.status == ForgeReply::Status::RateLimited
                                         ? poller->schedule.rateLimited(reply.retryAfterMs)
                                         : poller->schedule.failed());
                return;
            }
            const bool countChanged = poller->count != count;
            if (countChanged) {
                poller->count = count;
                publish(topic, protocol::NotificationCount{count});
            }
            const QByteArray cookie = m_live.value(poller->key).cookieHeader;
            if (cookie.isEmpty()) {
                stopPoller(topic);
                return;
            }
            m_client->fetchStopwatches(
                ForgeCredential::ofCookie(cookie), this,
                [this, topic, countChanged](const ForgeReply& reply,
                                            const QList<protocol::Stopwatch>& stopwatches) {
                    Poller* poller = m_pollers.value(topic);
                    if (!poller)
                        return;
                    poller->inFlight = false;
                    if (reply.status == ForgeReply::Status::Unauthorized) {
                        endSession(topic, reply.error);
                        return;
                    }
                    if (!reply.ok()) {
                        poller->timer->start(poller->schedule.failed());
                        return;
                    }
                    const bool watchesChanged =
                        !poller->stopwatches ||
                        !UserPoller::sameStopwatches(*poller->stopwatches, stopwatches);
                    if (watchesChanged) {
                        poller->stopwatches = stopwatches;
                        publish(topic, protocol::Stopwatches{stopwatches});
                    }
                    poller->timer->start(countChanged || watchesChanged ? poller->schedule.changed()
                                                                        : poller->schedule.unchanged());
                });
        });
}

void SessionBridge::publish(const QString& topic, const protocol::ServerMessage& message)
{
    // Not retained: a forge session's state lives in this poller and dies with it (resend()).
    const publish::Result built = publish::build(topic, protocol::toJson(message), false);
    if (!built.error.isEmpty()) {
        qCWarning(lcForge).noquote() << "cannot publish a forge session's state:" << logSafe(built.error);
        return;
    }
    m_broker->publish(built.publications, [](const QString& error) {
        if (!error.isEmpty())
            qCWarning(lcForge).noquote() << "forge session state not published:" << logSafe(error);
    });
}

void SessionBridge::resend(const QString& topic)
{
    const Poller* poller = m_pollers.value(topic);
    if (!poller)
        return; // its first poll publishes
    if (poller->count)
        publish(topic, protocol::NotificationCount{*poller->count});
    if (poller->stopwatches)
        publish(topic, protocol::Stopwatches{*poller->stopwatches});
}

void SessionBridge::endSession(const QString& topic, const QString& error)
{
    ++m_signedOut;
    qCInfo(lcForge).noquote() << "the forge signed a session out (" << logSafe(error)
                              << ") - logout here and 4001 for its connections";
    stopPoller(topic);
    QList<QByteArray> keys;
    for (auto it = m_live.cbegin(); it != m_live.cend(); ++it) {
        if (it->topic == topic)
            keys.append(it.key());
    }
    for (const QByteArray& key : std::as_const(keys)) {
        m_checks.refuse(key, error, u"signed out of the forge"_s);
        m_live.remove(key);
        m_broker->closeToken(key, protocol::CloseCode::Unauthorized, u"signed out of the forge"_s);
    }
}

void SessionBridge::writeMetrics(PrometheusWriter& out) const
{
    out.gauge("forgewire_forge_session_pollers", "Forge sessions (cookie sign-in) being polled on this node.",
              m_pollers.size());
    out.counter("forgewire_forge_session_checks_total", "Cookie headers checked with the forge.",
                m_verifications);
    out.counter(
        "forgewire_forge_sessions_signed_out_total",
        "Forge sessions whose connections were closed because the forge stopped accepting the cookie.",
        m_signedOut);
}

} // namespace forgewire
