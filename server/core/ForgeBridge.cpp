#include "ForgeBridge.h"

#include "Broker.h"
#include "ForgeClient.h"
#include "PublishRequest.h"
#include "ServerLogging.h"
#include "Topic.h"

#include <QCryptographicHash>
#include <QDateTime>
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

    int consecutiveFailures() const { return m_schedule.consecutiveFailures(); }

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
        const QByteArray token = m_bridge->m_userTokens.value(m_userId);
        if (token.isEmpty())
            return; // signed in some other way (JWT, static token): nothing to poll with
        m_inFlight = true;
        m_lastStartMs = m_bridge->nowMs();
        auto round = std::make_shared<Round>();
        m_bridge->m_client->fetchNewCount(token, this, [this, round, token](ForgeReply reply, qint64 count) {
            if (reply.ok())
                round->count = count;
            round->replies.append(reply);
            if (--round->waiting == 0)
                finish(*round, token);
        });
        m_bridge->m_client->fetchStopwatches(
            token, this, [this, round, token](ForgeReply reply, QList<protocol::Stopwatch> stopwatches) {
                if (reply.ok())
                    round->stopwatches = stopwatches;
                round->replies.append(reply);
                if (--round->waiting == 0)
                    finish(*round, token);
            });
    }

    void finish(const Round& round, const QByteArray& token)
    {
        m_inFlight = false;
        if (m_stopped)
            return;
        bool unauthorized = false;
        bool failed = false;
        bool rateLimited = false;
        int retryAfterMs = -1;
        QString error;
        for (const ForgeReply& reply : round.replies) {
            switch (reply.status) {
            case ForgeReply::Status::Ok:
                break;
            case ForgeReply::Status::Unauthorized:
                unauthorized = true;
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
        if (unauthorized) {
            m_bridge->revoke(m_userId, token); // deletes this poller later
            return;
        }
        m_bridge->noteForgeAnswer(!failed, error);

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
    authenticator->setForgeVerifier([this](const QByteArray& token, std::function<void(AuthResult)> done) {
        verify(token, std::move(done));
    });
    connect(m_broker, &Broker::userOnline, this, &ForgeBridge::onUserOnline);
    connect(m_broker, &Broker::userOffline, this, &ForgeBridge::onUserOffline);
    connect(m_broker, &Broker::refreshRequested, this, &ForgeBridge::onRefreshRequested);
    auto* prune = new QTimer(this);
    connect(prune, &QTimer::timeout, this, &ForgeBridge::pruneCache);
    prune->start(int(kIdentityTtlMs));
    qCInfo(lcForge).noquote() << "bridge mode: forge" << m_client->apiUrl(QString()).toDisplayString()
                              << "- polling every" << m_config.forgePoll.minMs << "to"
                              << m_config.forgePoll.maxMs << "ms";
}

ForgeBridge::~ForgeBridge() = default;

qint64 ForgeBridge::nowMs() const
{
    return QDateTime::currentMSecsSinceEpoch();
}

AuthResult ForgeBridge::accepted(const QByteArray& token, const CachedIdentity& cached)
{
    m_userTokens.insert(cached.userId, token);
    AuthResult result;
    result.ok = true;
    result.identity.userId = cached.userId;
    result.identity.login = cached.login;
    result.identity.forgeToken = QString::fromUtf8(token);
    return result;
}

void ForgeBridge::verify(const QByteArray& token, std::function<void(AuthResult)> done)
{
    const QByteArray key = tokenKey(token);
    const auto cached = m_identities.constFind(key);
    if (cached != m_identities.cend() && nowMs() - cached->verifiedAtMs < kIdentityTtlMs) {
        ++m_cacheHits;
        done(accepted(token, *cached));
        return;
    }
    // Connections opened together with one token share one request to the forge.
    auto waiting = m_verifying.find(key);
    if (waiting != m_verifying.end()) {
        waiting->append(std::move(done));
        return;
    }
    m_verifying.insert(key, {std::move(done)});
    ++m_verifications;
    m_client->fetchUser(token, this, [this, token, key](const ForgeReply& reply, const ForgeUser& user) {
        const QList<std::function<void(AuthResult)>> callers = m_verifying.take(key);
        AuthResult result;
        if (reply.ok()) {
            noteForgeAnswer(true, {});
            const CachedIdentity identity{user.id, user.login, nowMs()};
            m_identities.insert(key, identity);
            result = accepted(token, identity);
        } else if (reply.status == ForgeReply::Status::Unauthorized) {
            noteForgeAnswer(true, {});
            m_identities.remove(key);
            result.error = reply.error;
        } else {
            noteForgeAnswer(reply.status == ForgeReply::Status::RateLimited, reply.error);
            // During an outage a token the forge accepted recently is still trusted: refusing it
            // would tell the client (4001) never to retry a perfectly good token.
            const auto stale = m_identities.constFind(key);
            if (stale != m_identities.cend()) {
                result = accepted(token, *stale);
            } else {
                result.error = u"cannot verify the forge token: "_s + reply.error;
                result.transient = true;
            }
        }
        for (const auto& caller : callers)
            caller(result);
    });
}

void ForgeBridge::onUserOnline(qint64 userId)
{
    if (m_pollers.contains(userId) || !m_userTokens.contains(userId))
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

void ForgeBridge::revoke(qint64 userId, const QByteArray& token)
{
    ++m_revocations;
    qCInfo(lcForge) << "forge refused the token of user" << userId << "- closing their connections with 4001";
    m_identities.remove(tokenKey(token));
    if (m_userTokens.value(userId) == token)
        m_userTokens.remove(userId);
    onUserOffline(userId);
    m_broker->closeUser(userId, protocol::CloseCode::Unauthorized, u"unauthorized"_s);
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
    for (auto it = m_userTokens.begin(); it != m_userTokens.end();) {
        if (!m_pollers.contains(it.key()) && !m_identities.contains(tokenKey(it.value())))
            it = m_userTokens.erase(it);
        else
            ++it;
    }
}

QByteArray ForgeBridge::metrics() const
{
    int worstFailures = 0;
    for (const UserPoller* poller : m_pollers)
        worstFailures = std::max(worstFailures, poller->consecutiveFailures());
    QByteArray out;
    auto line = [&out](const char* text, qint64 value) {
        out += text;
        out += ' ';
        out += QByteArray::number(value);
        out += '\n';
    };
    out += "# HELP forgewire_forge_up 1 while the forge answers, 0 during an outage (bridge mode).\n"
           "# TYPE forgewire_forge_up gauge\n";
    line("forgewire_forge_up", m_forgeUp ? 1 : 0);
    out += "# HELP forgewire_forge_pollers Users being polled on this node.\n"
           "# TYPE forgewire_forge_pollers gauge\n";
    line("forgewire_forge_pollers", m_pollers.size());
    out += "# HELP forgewire_forge_consecutive_failures Longest run of failed polls among polled users.\n"
           "# TYPE forgewire_forge_consecutive_failures gauge\n";
    line("forgewire_forge_consecutive_failures", worstFailures);
    out += "# HELP forgewire_forge_requests_total Requests to the forge API, per outcome.\n"
           "# TYPE forgewire_forge_requests_total counter\n";
    line("forgewire_forge_requests_total{result=\"ok\"}", m_client->count(ForgeReply::Status::Ok));
    line("forgewire_forge_requests_total{result=\"unauthorized\"}",
         m_client->count(ForgeReply::Status::Unauthorized));
    line("forgewire_forge_requests_total{result=\"rate_limited\"}",
         m_client->count(ForgeReply::Status::RateLimited));
    line("forgewire_forge_requests_total{result=\"error\"}", m_client->count(ForgeReply::Status::Failed));
    out += "# HELP forgewire_forge_token_checks_total Forge token checks, asked of the forge or cached.\n"
           "# TYPE forgewire_forge_token_checks_total counter\n";
    line("forgewire_forge_token_checks_total{source=\"forge\"}", m_verifications);
    line("forgewire_forge_token_checks_total{source=\"cache\"}", m_cacheHits);
    out +=
        "# HELP forgewire_forge_revocations_total Users disconnected because the forge refused their token.\n"
        "# TYPE forgewire_forge_revocations_total counter\n";
    line("forgewire_forge_revocations_total", m_revocations);
    out += "# HELP forgewire_forge_pushes_total State changes seen on the forge and published.\n"
           "# TYPE forgewire_forge_pushes_total counter\n";
    line("forgewire_forge_pushes_total", m_pushes);
    return out;
}

} // namespace forgewire
