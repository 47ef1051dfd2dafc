#include "bridge/ForgeBridge.h"

#include "admin/PublishRequest.h"
#include "bridge/ForgeClient.h"
#include "broker/Broker.h"
#include "config/ServerLimits.h"
#include "config/ServerLogging.h"
#include "metrics/PrometheusWriter.h"
#include "protocol/Topic.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QHostAddress>
#include <QPointer>
#include <QTimer>

#include <optional>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

QByteArray tokenKey(const QByteArray& token)
{
    return QCryptographicHash::hash(token, QCryptographicHash::Sha256);
}

// The forge recomputes `seconds` on every request while a stopwatch runs; comparing it would make
// every poll a change. Clients tick the clock themselves from `created`/`seconds`.
bool sameStopwatches(const QList<protocol::Stopwatch>& a, const QList<protocol::Stopwatch>& b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (a[i].created != b[i].created || a[i].issueIndex != b[i].issueIndex ||
            a[i].issueTitle != b[i].issueTitle || a[i].repoOwnerName != b[i].repoOwnerName ||
            a[i].repoName != b[i].repoName)
            return false;
    }
    return true;
}

} // namespace

// Polls one user's state while they are online. Deleting it cancels everything it has in flight
// (every callback is tied to it as context).
class ForgeBridge::UserPoller : public QObject
{
public:
    UserPoller(ForgeBridge* bridge, qint64 userId)
        : QObject(bridge), m_bridge(bridge), m_userId(userId), m_schedule(bridge->m_config.forgePoll)
    {
        m_timer.setSingleShot(true);
        connect(&m_timer, &QTimer::timeout, this, &UserPoller::pollNow);
    }

    void start()
    {
        // Seed from the retained state so a reconnect does not republish what clients already have.
        QPointer<UserPoller> guard(this);
        m_bridge->m_broker->engine()->retained(
            Topic::user(m_userId), [guard](const QList<RetainedMessage>& list) {
                if (!guard)
                    return;
                for (const RetainedMessage& retained : list) {
                    const auto decoded = protocol::decodeServerMessage(retained.payload);
                    if (!decoded)
                        continue;
                    if (const auto* count = std::get_if<protocol::NotificationCount>(&*decoded.value))
                        guard->m_count = count->count;
                    else if (const auto* watches = std::get_if<protocol::Stopwatches>(&*decoded.value))
                        guard->m_stopwatches = watches->data;
                }
                QMetaObject::invokeMethod(guard, &UserPoller::pollNow, Qt::QueuedConnection);
            });
    }

    void refresh()
    {
        m_schedule.reset();
        if (m_inFlight) {
            // The answer in flight may predate the client's action: poll once more after it.
            m_repollPending = true;
            return;
        }
        const qint64 earliest = std::max(m_notBeforeMs, m_lastStartMs + kMinRefreshGapMs);
        const qint64 now = m_bridge->nowMs();
        if (m_lastStartMs == 0 || now >= earliest)
            pollNow();
        else
            m_timer.start(int(earliest - now));
    }

    // Deleted later (it may be inside its own callback), but must not poll or publish meanwhile.
    void stop()
    {
        m_stopped = true;
        m_timer.stop();
    }

    // A token of this user went live: a poller left without one polls again.
    void tokenAvailable()
    {
        if (m_idle && !m_stopped) {
            m_idle = false;
            QMetaObject::invokeMethod(this, &UserPoller::pollNow, Qt::QueuedConnection);
        }
    }

    int consecutiveFailures() const { return m_schedule.consecutiveFailures(); }
    // Empty while idle (no token to poll with).
    QByteArray tokenKey() const { return m_idle ? QByteArray() : m_tokenKey; }

private:
    struct Round
    {
        int waiting = 2;
        std::optional<qint64> count;
        std::optional<QList<protocol::Stopwatch>> stopwatches;
        QList<ForgeReply> replies;
    };

    void pollNow()
    {
        if (m_inFlight || m_stopped)
            return;
        m_timer.stop();
        m_tokenKey = m_bridge->pollingKey(m_userId, m_tokenKey);
        if (m_tokenKey.isEmpty()) {
            // Signed in some other way (JWT, static token), or every token failed: nothing to poll
            // with until a token goes live (tokenAvailable()).
            m_idle = true;
            return;
        }
        const QByteArray key = m_tokenKey;
        const QByteArray token = m_bridge->m_live.value(key).token;
        m_inFlight = true;
        m_lastStartMs = m_bridge->nowMs();
        auto round = std::make_shared<Round>();
        m_bridge->m_client->fetchNewCount(token, this, [this, round, key](ForgeReply reply, qint64 count) {
            if (reply.ok())
                round->count = count;
            round->replies.append(reply);
            if (--round->waiting == 0)
                finish(*round, key);
        });
        m_bridge->m_client->fetchStopwatches(
            token, this, [this, round, key](ForgeReply reply, QList<protocol::Stopwatch> stopwatches) {
                if (reply.ok())
                    round->stopwatches = stopwatches;
                round->replies.append(reply);
                if (--round->waiting == 0)
                    finish(*round, key);
            });
    }

    void finish(const Round& round, const QByteArray& key)
    {
        m_inFlight = false;
        if (m_stopped)
            return;
        const ForgeReply* refusal = nullptr;
        bool failed = false;
        bool rateLimited = false;
        int retryAfterMs = -1;
        QString error;
        for (const ForgeReply& reply : round.replies) {
            switch (reply.status) {
            case ForgeReply::Status::Ok:
                break;
            case ForgeReply::Status::Unauthorized:
                // A missing scope says more than a 401 of the other half.
                if (!refusal || !reply.missingScope.isEmpty())
                    refusal = &reply;
                break;
            case ForgeReply::Status::RateLimited:
                rateLimited = true;
                retryAfterMs = std::max(retryAfterMs, reply.retryAfterMs);
                break;
            case ForgeReply::Status::Failed:
                failed = true;
                error = reply.error;
                break;
            }
        }
        if (refusal) {
            // Only this token's connections go; the user's other tokens keep the poller going.
            m_bridge->refuseToken(key, refusal->error, refusalReason(*refusal, true));
            m_tokenKey.clear();
            if (m_repollPending)
                m_repollPending = false;
            QMetaObject::invokeMethod(this, &UserPoller::pollNow, Qt::QueuedConnection);
            return;
        }
        m_bridge->noteForgeAnswer(!failed, error);
        if (!failed && !rateLimited)
            m_bridge->tokenWorked(key);

        // Whatever did arrive is published even when the other half failed.
        bool changed = false;
        if (round.count && round.count != m_count) {
            m_count = round.count;
            changed = true;
            publishState(protocol::NotificationCount{*round.count});
        }
        if (round.stopwatches && (!m_stopwatches || !sameStopwatches(*round.stopwatches, *m_stopwatches))) {
            m_stopwatches = round.stopwatches;
            changed = true;
            publishState(protocol::Stopwatches{*round.stopwatches});
        }

        int delayMs = 0;
        if (failed) {
            delayMs = m_schedule.failed();
            qCDebug(lcForge).noquote()
                << "user" << m_userId << "poll failed:" << logSafe(error) << "- next in" << delayMs << "ms";
        } else if (rateLimited) {
            delayMs = m_schedule.rateLimited(retryAfterMs);
            m_notBeforeMs = m_bridge->nowMs() + delayMs;
            qCInfo(lcForge) << "forge rate limit for user" << m_userId << "- next poll in" << delayMs << "ms";
        } else {
            delayMs = changed ? m_schedule.changed() : m_schedule.unchanged();
        }
        if (m_repollPending) {
            m_repollPending = false;
            refresh();
            return;
        }
        m_timer.start(delayMs);
    }

    void publishState(const protocol::ServerMessage& message)
    {
        const publish::Result built = publish::build(Topic::user(m_userId), protocol::toJson(message), true);
        if (!built.error.isEmpty()) {
            qCWarning(lcForge).noquote()
                << "cannot publish forge state of user" << m_userId << ":" << logSafe(built.error);
            return;
        }
        ++m_bridge->m_pushes;
        const bool isCount = std::holds_alternative<protocol::NotificationCount>(message);
        QPointer<UserPoller> guard(this);
        m_bridge->m_broker->publish(built.publications, [guard, isCount](const QString& error) {
            if (error.isEmpty() || !guard)
                return;
            qCWarning(lcForge).noquote() << "publishing forge state failed:" << logSafe(error);
            // Forget what was sent so the next poll publishes it again.
            if (isCount)
                guard->m_count.reset();
            else
                guard->m_stopwatches.reset();
        });
    }

    ForgeBridge* m_bridge;
    qint64 m_userId;
    PollSchedule m_schedule;
    QTimer m_timer;
    bool m_inFlight = false;
    bool m_repollPending = false;
    bool m_stopped = false;
    bool m_idle = false;
    QByteArray m_tokenKey; // the live token this poller authenticates with
    qint64 m_lastStartMs = 0;
    qint64 m_notBeforeMs = 0;
    std::optional<qint64> m_count;
    std::optional<QList<protocol::Stopwatch>> m_stopwatches;
};

ForgeBridge::ForgeBridge(const ServerConfig& config, Broker* broker, Authenticator* authenticator,
                         QObject* parent)
    : QObject(parent), m_config(config), m_broker(broker),
      m_client(new ForgeClient(QUrl(config.forgeUrl), this))
{
    authenticator->setForgeVerifier(
        [this](const QByteArray& token, const QString& peerAddress, std::function<void(AuthResult)> done) {
            verify(token, peerAddress, std::move(done));
        });
    connect(m_broker, &Broker::userOnline, this, &ForgeBridge::onUserOnline);
    connect(m_broker, &Broker::userOffline, this, &ForgeBridge::onUserOffline);
    connect(m_broker, &Broker::refreshRequested, this, &ForgeBridge::onRefreshRequested);
    connect(m_broker, &Broker::tokenOnline, this, &ForgeBridge::onTokenOnline);
    connect(m_broker, &Broker::tokenOffline, this, &ForgeBridge::onTokenOffline);
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
    return QDateTime::currentMSecsSinceEpoch();
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
    const auto stale = m_identities.constFind(key);
    if (stale != m_identities.cend() && nowMs() - stale->verifiedAtMs < 2 * kIdentityTtlMs)
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

bool ForgeBridge::takeAddressToken(const QString& peerAddress)
{
    // IPv6 clients usually get a whole /64: limiting per address would give each a fresh bucket.
    QString bucketKey = peerAddress;
    const QHostAddress address(peerAddress);
    if (address.protocol() == QAbstractSocket::IPv6Protocol &&
        !address.isEqual(QHostAddress::LocalHostIPv6)) {
        Q_IPV6ADDR bytes = address.toIPv6Address();
        std::fill(bytes.c + 8, bytes.c + 16, 0);
        bucketKey = QHostAddress(bytes).toString() + "/64"_L1;
    }
    const qint64 now = nowMs();
    auto it = m_buckets.find(bucketKey);
    if (it == m_buckets.end()) {
        if (m_buckets.size() >= kMaxTrackedEntries)
            return true; // the global bounds still apply
        it = m_buckets.insert(bucketKey, Bucket{double(limits::kForgeChecksPerAddressBurst), now});
    }
    it->tokens = std::min(double(limits::kForgeChecksPerAddressBurst),
                          it->tokens + (now - it->atMs) * limits::kForgeChecksPerAddressPerSecond / 1000.0);
    it->atMs = now;
    if (it->tokens < 1.0)
        return false;
    it->tokens -= 1.0;
    return true;
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
    const QByteArray key = tokenKey(token);
    const qint64 now = nowMs();
    // Good tokens first and without queueing: someone else's flood must not delay them.
    const auto cached = m_identities.constFind(key);
    if (cached != m_identities.cend() && now - cached->verifiedAtMs < kIdentityTtlMs) {
        ++m_cacheHits;
        done(accepted(token, key, *cached));
        return;
    }
    const auto refused = m_refusals.constFind(key);
    if (refused != m_refusals.cend() && now - refused->atMs < limits::kForgeRefusalCacheMs) {
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
    if (!takeAddressToken(peerAddress)) {
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
    done(busy.transient ? busy : accepted(token, key, m_identities.value(key)));
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
            m_refusals.remove(key);
            const CachedIdentity identity{user.id, user.login, nowMs()};
            m_identities.insert(key, identity);
            result = accepted(token, key, identity);
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
            const auto stale = m_identities.constFind(key);
            if (stale != m_identities.cend()) {
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
        finishCheck(expired.key, busy.transient
                                     ? busy
                                     : accepted(expired.token, expired.key, m_identities.value(expired.key)));
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
    m_identities.remove(key);
    if (m_refusals.size() >= kMaxTrackedEntries)
        pruneCache();
    if (m_refusals.size() < kMaxTrackedEntries)
        m_refusals.insert(key, Refusal{nowMs(), error, reason});
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
    auto cached = m_identities.find(key);
    if (cached != m_identities.end())
        cached->verifiedAtMs = live->lastOkMs;
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

void ForgeBridge::onTokenOnline(const QByteArray& key)
{
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

void ForgeBridge::onTokenOffline(const QByteArray& key)
{
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
                    it->lastOkMs = nowMs();
                    m_identities.insert(key, CachedIdentity{user.id, user.login, it->lastOkMs});
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

void ForgeBridge::onUserOnline(qint64 userId)
{
    if (m_pollers.contains(userId) || pollingKey(userId, {}).isEmpty())
        return;
    auto* poller = new UserPoller(this, userId);
    m_pollers.insert(userId, poller);
    qCDebug(lcForge) << "polling user" << userId;
    poller->start();
}

void ForgeBridge::onUserOffline(qint64 userId)
{
    if (UserPoller* poller = m_pollers.take(userId)) {
        qCDebug(lcForge) << "stopped polling user" << userId;
        poller->stop();
        poller->deleteLater();
    }
}

void ForgeBridge::onRefreshRequested(qint64 userId)
{
    if (UserPoller* poller = m_pollers.value(userId))
        poller->refresh();
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
    // Entries stay one extra TTL past expiry for the outage fallback in verify().
    const qint64 now = nowMs();
    for (auto it = m_identities.begin(); it != m_identities.end();) {
        if (now - it->verifiedAtMs > 2 * kIdentityTtlMs)
            it = m_identities.erase(it);
        else
            ++it;
    }
    for (auto it = m_refusals.begin(); it != m_refusals.end();) {
        if (now - it->atMs >= limits::kForgeRefusalCacheMs)
            it = m_refusals.erase(it);
        else
            ++it;
    }
    // A full bucket is the same as none.
    const qint64 refillMs =
        1000LL * limits::kForgeChecksPerAddressBurst / std::max(1, limits::kForgeChecksPerAddressPerSecond);
    for (auto it = m_buckets.begin(); it != m_buckets.end();) {
        if (now - it->atMs >= refillMs)
            it = m_buckets.erase(it);
        else
            ++it;
    }
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
}

} // namespace forgewire
