#include "bridge/ForgeBridge.h"

#include "admin/PublishRequest.h"
#include "bridge/SessionBridge.h"
#include "broker/Broker.h"
#include "config/ServerLimits.h"
#include "config/ServerLogging.h"
#include "forge/ForgeClient.h"
#include "metrics/PrometheusWriter.h"
#include "protocol/Topic.h"

#include <QHostAddress>
#include <QTimer>

namespace forgewire {

using namespace Qt::StringLiterals;

ForgeBridge::ForgeBridge(const ServerConfig& config, Broker* broker, Authenticator* authenticator,
                         QObject* parent, const Clock& clock)
    : QObject(parent), m_config(config), m_clock(clock), m_broker(broker),
      m_client(new ForgeClient(QUrl(config.forgeUrl), this)), m_identities(clock),
      m_buckets(clock, kMaxTrackedEntries)
{
    authenticator->setForgeVerifier(
        [this](const QByteArray& token, const QString& peerAddress, std::function<void(AuthResult)> done) {
            verify(token, peerAddress, std::move(done));
        });
    if (config.cookieAuth) {
        m_sessions = new SessionBridge(config, broker, m_client, clock, this);
        authenticator->setForgeCookieVerifier([this](const QByteArray& cookieHeader,
                                                     const QByteArray& sessionId, const QString& peerAddress,
                                                     std::function<void(AuthResult)> done) {
            m_sessions->verify(cookieHeader, sessionId, peerAddress, std::move(done));
        });
    }
    m_broker->setPresenceObserver(this, this);
    auto* prune = new QTimer(this);
    connect(prune, &QTimer::timeout, this, &ForgeBridge::pruneCache);
    prune->start(int(kIdentityTtlMs));
    // Half the longest poll interval: a token is re-checked once its last good answer is that old, so
    // a revoked token's connections close within about `maxMs` of the revocation.
    auto* recheck = new QTimer(this);
    connect(recheck, &QTimer::timeout, this, &ForgeBridge::recheckLiveTokens);
    recheck->start(std::max(50, m_config.forgePoll.maxMs / 2));
    m_queueTimer = new QTimer(this);
    m_queueTimer->setInterval(std::clamp(m_config.handshakeTimeoutMs / 8, 10, 1000));
    connect(m_queueTimer, &QTimer::timeout, this, &ForgeBridge::expireQueue);
    qCInfo(lcForge).noquote() << "bridge mode: forge" << m_client->apiUrl(QString()).toDisplayString()
                              << "- polling every" << m_config.forgePoll.minMs << "to"
                              << m_config.forgePoll.maxMs << "ms";
}

ForgeBridge::~ForgeBridge() = default;

qint64 ForgeBridge::nowMs() const
{
    return m_clock.now().count();
}

int ForgeBridge::liveTokenCount() const
{
    return int(std::count_if(m_live.cbegin(), m_live.cend(), [](const LiveToken& t) { return t.online; }));
}

AuthResult ForgeBridge::accepted(const QByteArray& token, const QByteArray& key, const CachedIdentity& cached)
{
    // Remembered before any connection reports it live, so the poller and the re-checks find it.
    auto live = m_live.find(key);
    if (live == m_live.end()) {
        LiveToken entry;
        entry.token = token;
        entry.userId = cached.userId;
        entry.sinceMs = nowMs();
        entry.lastOkMs = cached.verifiedAtMs;
        live = m_live.insert(key, entry);
        m_userKeys[cached.userId].insert(key);
    }
    live->lastOkMs = std::max(live->lastOkMs, cached.verifiedAtMs);
    AuthResult result;
    result.ok = true;
    result.identity.userId = cached.userId;
    result.identity.login = cached.login;
    result.identity.forgeTokenKey = key;
    return result;
}

AuthResult ForgeBridge::tryLater(const QByteArray& key, const QString& why)
{
    // A recent good answer beats turning a good token away for someone else's flood.
    if (m_identities.fallback(key))
        return {};
    AuthResult result;
    result.error = why;
    result.transient = true;
    // 1013 (Try Again Later), not 4001: the token is not known to be bad, and 4001 would tell a
    // client never to retry it; 1013 makes it reconnect with backoff.
    result.transientCode = protocol::CloseCode::TryAgainLater;
    result.reason = u"try later"_s;
    return result;
}

void ForgeBridge::verify(const QByteArray& token, const QString& peerAddress,
                         std::function<void(AuthResult)> done)
{
    if (!protocol::isWellFormedToken(token)) {
        // The worker checks this first; a token that can carry a header never reaches the forge.
        AuthResult result;
        result.error = u"malformed token (%1 bytes)"_s.arg(token.size());
        result.reason = u"malformed token"_s;
        done(result);
        return;
    }
    const QByteArray key = IdentityCache::keyOf(token);
    const qint64 now = nowMs();
    // Good tokens first and without queueing: someone else's flood must not delay them.
    if (const CachedIdentity* cached = m_identities.fresh(key)) {
        ++m_cacheHits;
        done(accepted(token, key, *cached));
        return;
    }
    if (const IdentityCache::Refusal* refused = m_identities.refusal(key)) {
        ++m_refusedCacheHits;
        AuthResult result;
        result.error = refused->error + u" (cached)"_s;
        result.reason = refused->reason;
        done(result);
        return;
    }
    // Connections opened together with one token share one request to the forge.
    auto waiting = m_verifying.find(key);
    if (waiting != m_verifying.end()) {
        waiting->append(std::move(done));
        return;
    }
    AuthResult busy;
    if (!m_buckets.take(peerAddress)) {
        ++m_rateLimited;
        busy = tryLater(key, u"too many forge token checks from %1"_s.arg(peerAddress));
    } else if (m_checksInFlight >= limits::kForgeChecksInFlight &&
               m_queue.size() >= limits::kForgeChecksQueued) {
        ++m_rejectedBusy;
        busy = tryLater(key,
                        u"forge token checks are backed up (%1 in flight, %2 queued)"_s.arg(m_checksInFlight)
                            .arg(m_queue.size()));
    } else {
        m_verifying.insert(key, {std::move(done)});
        if (m_checksInFlight < limits::kForgeChecksInFlight) {
            startCheck(token, key);
        } else {
            m_queue.append(QueuedCheck{token, key, now});
            if (!m_queueTimer->isActive())
                m_queueTimer->start();
        }
        return;
    }
    // Not transient: tryLater found an identity recent enough to fall back on.
    done(busy.transient ? busy : accepted(token, key, *m_identities.fallback(key)));
}

void ForgeBridge::startCheck(const QByteArray& token, const QByteArray& key)
{
    ++m_checksInFlight;
    ++m_verifications;
    m_client->fetchUser(token, this, [this, token, key](const ForgeReply& reply, const ForgeUser& user) {
        --m_checksInFlight;
        AuthResult result;
        if (reply.ok()) {
            noteForgeAnswer(true, {});
            result = accepted(token, key, m_identities.remember(key, user.id, user.login));
        } else if (reply.status == ForgeReply::Status::Unauthorized) {
            if (!reply.notSent)
                noteForgeAnswer(true, {});
            result.error = reply.error;
            result.reason = refusalReason(reply, false);
            refuseToken(key, result.error, result.reason);
        } else {
            noteForgeAnswer(reply.status == ForgeReply::Status::RateLimited, reply.error);
            // During an outage a token the forge accepted recently is still trusted: refusing it
            // would tell the client (4001) never to retry a perfectly good token.
            if (const CachedIdentity* stale = m_identities.fallback(key)) {
                result = accepted(token, key, *stale);
            } else {
                result.error = u"cannot verify the forge token: "_s + reply.error;
                result.transient = true;
            }
        }
        finishCheck(key, result);
        pumpQueue();
    });
}

void ForgeBridge::finishCheck(const QByteArray& key, const AuthResult& result)
{
    const QList<std::function<void(AuthResult)>> callers = m_verifying.take(key);
    for (const auto& caller : callers)
        caller(result);
}

void ForgeBridge::pumpQueue()
{
    expireQueue();
    while (m_checksInFlight < limits::kForgeChecksInFlight && !m_queue.isEmpty()) {
        const QueuedCheck next = m_queue.takeFirst();
        startCheck(next.token, next.key);
    }
    if (m_queue.isEmpty())
        m_queueTimer->stop();
}

void ForgeBridge::expireQueue()
{
    // A check still queued after half the handshake timeout is answered "try later" now: the forge
    // request itself needs the other half, and a client left waiting would be cut off by the
    // worker's handshake deadline anyway, without knowing why.
    const qint64 oldest = nowMs() - m_config.handshakeTimeoutMs / 2;
    while (!m_queue.isEmpty() && m_queue.first().queuedAtMs <= oldest) {
        const QueuedCheck expired = m_queue.takeFirst();
        ++m_rejectedBusy;
        AuthResult busy = tryLater(expired.key, u"forge token check waited too long in the queue"_s);
        finishCheck(expired.key, busy.transient ? busy
                                                : accepted(expired.token, expired.key,
                                                           *m_identities.fallback(expired.key)));
    }
    if (m_queue.isEmpty())
        m_queueTimer->stop();
}

QString ForgeBridge::refusalReason(const ForgeReply& reply, bool live)
{
    if (reply.notSent)
        return u"malformed token"_s;
    if (reply.httpStatus == 403 && !reply.missingScope.isEmpty())
        return u"forge token lacks the scope %1"_s.arg(reply.missingScope);
    return live ? u"forge token revoked"_s : u"forge refused the token"_s;
}

void ForgeBridge::refuseToken(const QByteArray& key, const QString& error, const QString& reason)
{
    m_identities.refuse(key, error, reason);
    const auto live = m_live.constFind(key);
    if (live == m_live.cend())
        return;
    const qint64 userId = live->userId;
    ++m_revocations;
    qCInfo(lcForge).noquote() << "forge stopped accepting a token of user" << userId << "(" << logSafe(error)
                              << ") - closing its connections with 4001:" << reason;
    forgetLive(key);
    m_broker->closeToken(key, protocol::CloseCode::Unauthorized, reason);
}

void ForgeBridge::forgetLive(const QByteArray& key)
{
    const auto live = m_live.constFind(key);
    if (live == m_live.cend())
        return;
    auto keys = m_userKeys.find(live->userId);
    if (keys != m_userKeys.end()) {
        keys->remove(key);
        if (keys->isEmpty())
            m_userKeys.erase(keys);
    }
    m_live.erase(live);
}

void ForgeBridge::tokenWorked(const QByteArray& key)
{
    auto live = m_live.find(key);
    if (live == m_live.end())
        return;
    live->lastOkMs = nowMs();
    m_identities.confirm(key);
}

QByteArray ForgeBridge::pollingKey(qint64 userId, const QByteArray& current) const
{
    const auto currentLive = m_live.constFind(current);
    if (!current.isEmpty() && currentLive != m_live.cend() && currentLive->online)
        return current;
    const QSet<QByteArray> keys = m_userKeys.value(userId);
    QByteArray fallback;
    for (const QByteArray& key : keys) {
        if (m_live.value(key).online)
            return key;
        fallback = key;
    }
    return fallback;
}

PollerHost::PollToken ForgeBridge::pollingToken(qint64 userId, const QByteArray& currentKey) const
{
    const QByteArray key = pollingKey(userId, currentKey);
    return {key, key.isEmpty() ? QByteArray() : m_live.value(key).token};
}

void ForgeBridge::pollRefused(const QByteArray& key, const ForgeReply& refusal)
{
    refuseToken(key, refusal.error, refusalReason(refusal, true));
}

void ForgeBridge::tokenOnline(const QByteArray& key)
{
    if (m_sessions && m_sessions->ownsKey(key)) {
        m_sessions->keyOnline(key);
        return;
    }
    auto live = m_live.find(key);
    if (live == m_live.end()) {
        // Refused or forgotten while its connection was being set up: nothing vouches for it.
        m_broker->closeToken(key, protocol::CloseCode::Unauthorized, u"forge token no longer verified"_s);
        return;
    }
    live->online = true;
    if (UserPoller* poller = m_pollers.value(live->userId))
        poller->tokenAvailable();
}

void ForgeBridge::tokenOffline(const QByteArray& key)
{
    if (m_sessions && m_sessions->ownsKey(key)) {
        m_sessions->keyOffline(key);
        return;
    }
    auto live = m_live.find(key);
    if (live == m_live.end())
        return;
    // Kept a little (pruned by recheckLiveTokens): a connection accepted with it meanwhile reports
    // itself online right after this.
    live->online = false;
    live->sinceMs = nowMs();
}

void ForgeBridge::recheckLiveTokens()
{
    const qint64 now = nowMs();
    const qint64 staleAfter = std::max(1, m_config.forgePoll.maxMs / 2);
    const qint64 lingerMs = 2 * qint64(m_config.handshakeTimeoutMs);
    // A poller's token is checked by every poll; re-checking it too would double the requests.
    QSet<QByteArray> polled;
    for (const UserPoller* poller : std::as_const(m_pollers))
        polled.insert(poller->tokenKey());
    QList<QByteArray> due;
    for (auto it = m_live.begin(); it != m_live.end();) {
        if (!it->online && !it->rechecking && now - it->sinceMs > lingerMs) {
            auto keys = m_userKeys.find(it->userId);
            if (keys != m_userKeys.end()) {
                keys->remove(it.key());
                if (keys->isEmpty())
                    m_userKeys.erase(keys);
            }
            it = m_live.erase(it);
            continue;
        }
        if (it->online && !it->rechecking && !polled.contains(it.key()) && now - it->lastOkMs >= staleAfter &&
            now - it->lastTryMs >= staleAfter)
            due.append(it.key());
        ++it;
    }
    // The stalest first; the rest wait for a free slot (each answer starts the next).
    std::sort(due.begin(), due.end(), [this](const QByteArray& a, const QByteArray& b) {
        return m_live[a].lastOkMs < m_live[b].lastOkMs;
    });
    for (const QByteArray& key : std::as_const(due)) {
        if (m_rechecksInFlight >= kRechecksInFlight)
            break;
        LiveToken& live = m_live[key];
        live.rechecking = true;
        live.lastTryMs = now;
        ++m_rechecksInFlight;
        ++m_rechecks;
        m_client->fetchUser(live.token, this, [this, key](const ForgeReply& reply, const ForgeUser& user) {
            --m_rechecksInFlight;
            auto it = m_live.find(key);
            if (it != m_live.end())
                it->rechecking = false;
            if (reply.ok()) {
                noteForgeAnswer(true, {});
                if (it != m_live.end() && user.id == it->userId) {
                    it->lastOkMs = m_identities.remember(key, user.id, user.login).verifiedAtMs;
                } else if (it != m_live.end()) {
                    // The forge says the token is someone else's now: it is not the one we verified.
                    refuseToken(key, u"forge token now belongs to another user"_s, u"forge token revoked"_s);
                }
            } else if (reply.status == ForgeReply::Status::Unauthorized) {
                if (!reply.notSent)
                    noteForgeAnswer(true, {});
                refuseToken(key, reply.error, refusalReason(reply, true));
            } else {
                noteForgeAnswer(reply.status == ForgeReply::Status::RateLimited, reply.error);
            }
            if (m_rechecksInFlight == 0)
                QMetaObject::invokeMethod(this, &ForgeBridge::recheckLiveTokens, Qt::QueuedConnection);
        });
    }
}

void ForgeBridge::userOnline(qint64 userId)
{
    if (m_pollers.contains(userId) || pollingKey(userId, {}).isEmpty())
        return;
    auto* poller = new UserPoller(userId, m_config.forgePoll, this, m_client, m_clock, this);
    m_pollers.insert(userId, poller);
    qCDebug(lcForge) << "polling user" << userId;
    poller->start();
}

void ForgeBridge::userOffline(qint64 userId)
{
    if (UserPoller* poller = m_pollers.take(userId)) {
        qCDebug(lcForge) << "stopped polling user" << userId;
        poller->stop();
        poller->deleteLater();
    }
}

void ForgeBridge::refreshRequested(qint64 userId)
{
    if (UserPoller* poller = m_pollers.value(userId))
        poller->refresh();
}

void ForgeBridge::sessionStateWanted(const QString& topic)
{
    if (m_sessions)
        m_sessions->resend(topic);
}

void ForgeBridge::noteForgeAnswer(bool reachable, const QString& error)
{
    if (reachable == m_forgeUp)
        return;
    m_forgeUp = reachable;
    if (reachable)
        qCInfo(lcForge) << "forge reachable again; polling resumes its normal schedule";
    else
        qCWarning(lcForge).noquote() << logSafe(error) << "- polling backs off until the forge answers again";
}

void ForgeBridge::pruneCache()
{
    m_identities.prune();
    m_buckets.prune();
}

void ForgeBridge::writeMetrics(PrometheusWriter& out) const
{
    using Type = PrometheusWriter::Type;
    int worstFailures = 0;
    for (const UserPoller* poller : m_pollers)
        worstFailures = std::max(worstFailures, poller->consecutiveFailures());
    out.gauge("forgewire_forge_up", "1 while the forge answers, 0 during an outage (bridge mode).",
              m_forgeUp ? 1 : 0);
    out.gauge("forgewire_forge_pollers", "Users being polled on this node.", m_pollers.size());
    out.gauge("forgewire_forge_consecutive_failures", "Longest run of failed polls among polled users.",
              worstFailures);
    out.family("forgewire_forge_requests_total", Type::Counter, "Requests to the forge API, per outcome.");
    out.sample({{"result", "ok"}}, m_client->count(ForgeReply::Status::Ok));
    out.sample({{"result", "unauthorized"}}, m_client->count(ForgeReply::Status::Unauthorized));
    out.sample({{"result", "rate_limited"}}, m_client->count(ForgeReply::Status::RateLimited));
    out.sample({{"result", "error"}}, m_client->count(ForgeReply::Status::Failed));
    out.family("forgewire_forge_token_checks_total", Type::Counter,
               "Forge token checks, asked of the forge or cached.");
    out.sample({{"source", "forge"}}, m_verifications);
    out.sample({{"source", "cache"}}, m_cacheHits);
    out.sample({{"source", "refused_cache"}}, m_refusedCacheHits);
    out.sample({{"source", "rejected_busy"}}, m_rejectedBusy);
    out.sample({{"source", "rate_limited"}}, m_rateLimited);
    out.sample({{"source", "recheck"}}, m_rechecks);
    out.gauge("forgewire_forge_token_checks_queued", "Forge token checks waiting for a free slot.",
              m_queue.size());
    out.gauge("forgewire_forge_live_tokens", "Distinct forge tokens with a connection on this node.",
              liveTokenCount());
    out.counter("forgewire_forge_revocations_total",
                "Live tokens whose connections were closed because the forge refused them.", m_revocations);
    out.counter("forgewire_forge_pushes_total", "State changes seen on the forge and published.", m_pushes);
    if (m_sessions)
        m_sessions->writeMetrics(out);
}

void ForgeBridge::knownState(qint64 userId, std::function<void(const KnownState&)> done)
{
    // What the engine retains for the user: what every client of the user gets on connecting.
    m_broker->engine()->retained(Topic::user(userId), [done](const QList<RetainedMessage>& list) {
        KnownState known;
        for (const RetainedMessage& retained : list) {
            const auto decoded = protocol::decodeServerMessage(retained.payload);
            if (!decoded)
                continue;
            if (const auto* count = std::get_if<protocol::NotificationCount>(&*decoded.value))
                known.count = count->count;
            else if (const auto* watches = std::get_if<protocol::Stopwatches>(&*decoded.value))
                known.stopwatches = watches->data;
        }
        done(known);
    });
}

void ForgeBridge::publishState(qint64 userId, const protocol::ServerMessage& message,
                               std::function<void(bool published)> done)
{
    const publish::Result built = publish::build(Topic::user(userId), protocol::toJson(message), true);
    if (!built.error.isEmpty()) {
        qCWarning(lcForge).noquote() << "cannot publish forge state of user" << userId << ":"
                                     << logSafe(built.error);
        done(false);
        return;
    }
    ++m_pushes;
    m_broker->publish(built.publications, [done](const QString& error) {
        if (!error.isEmpty())
            qCWarning(lcForge).noquote() << "publishing forge state failed:" << logSafe(error);
        done(error.isEmpty());
    });
}

} // namespace forgewire
