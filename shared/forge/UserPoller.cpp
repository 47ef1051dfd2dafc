#include "forge/UserPoller.h"

#include "forge/ForgeClient.h"
#include "forge/ForgeLogging.h"

#include <QPointer>

namespace forgewire {

bool UserPoller::sameStopwatches(const QList<protocol::Stopwatch>& a, const QList<protocol::Stopwatch>& b)
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

struct UserPoller::Round
{
    int waiting = 2;
    std::optional<qint64> count;
    std::optional<QList<protocol::Stopwatch>> stopwatches;
    QList<ForgeReply> replies;
};

UserPoller::UserPoller(qint64 userId, const PollSettings& settings, PollerHost* host, ForgeClient* client,
                       const Clock& clock, QObject* parent)
    : QObject(parent), m_userId(userId), m_schedule(settings), m_host(host), m_client(client), m_clock(clock)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &UserPoller::pollNow);
}

void UserPoller::start()
{
    // Seeded from the state last published so a reconnect does not publish again what clients have.
    QPointer<UserPoller> guard(this);
    m_host->knownState(m_userId, [guard](const PollerHost::KnownState& known) {
        if (!guard)
            return;
        guard->m_count = known.count;
        guard->m_stopwatches = known.stopwatches;
        QMetaObject::invokeMethod(guard, &UserPoller::pollNow, Qt::QueuedConnection);
    });
}

void UserPoller::refresh()
{
    m_schedule.reset();
    if (m_inFlight) {
        // The answer in flight may predate the client's action: poll once more after it.
        m_repollPending = true;
        return;
    }
    const qint64 earliest = std::max(m_notBeforeMs, m_lastStartMs + kMinRefreshGapMs);
    const qint64 now = nowMs();
    if (!m_started || now >= earliest)
        pollNow();
    else
        m_timer.start(int(earliest - now));
}

void UserPoller::stop()
{
    m_stopped = true;
    m_timer.stop();
}

void UserPoller::tokenAvailable()
{
    if (m_idle && !m_stopped) {
        m_idle = false;
        QMetaObject::invokeMethod(this, &UserPoller::pollNow, Qt::QueuedConnection);
    }
}

void UserPoller::pollNow()
{
    if (m_inFlight || m_stopped)
        return;
    m_timer.stop();
    const PollerHost::PollToken poll = m_host->pollingToken(m_userId, m_tokenKey);
    m_tokenKey = poll.key;
    if (m_tokenKey.isEmpty()) {
        // Signed in some other way (JWT, static token), or every token failed: nothing to poll
        // with until a token goes live (tokenAvailable()).
        m_idle = true;
        return;
    }
    const QByteArray key = m_tokenKey;
    m_inFlight = true;
    m_started = true;
    m_lastStartMs = nowMs();
    auto round = std::make_shared<Round>();
    m_client->fetchNewCount(ForgeCredential::ofToken(poll.token), this,
                            [this, round, key](ForgeReply reply, qint64 count) {
                                if (reply.ok())
                                    round->count = count;
                                round->replies.append(reply);
                                if (--round->waiting == 0)
                                    finish(*round, key);
                            });
    m_client->fetchStopwatches(ForgeCredential::ofToken(poll.token), this,
                               [this, round, key](ForgeReply reply, QList<protocol::Stopwatch> stopwatches) {
                                   if (reply.ok())
                                       round->stopwatches = stopwatches;
                                   round->replies.append(reply);
                                   if (--round->waiting == 0)
                                       finish(*round, key);
                               });
}

void UserPoller::finish(const Round& round, const QByteArray& key)
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
        m_host->pollRefused(key, *refusal);
        m_tokenKey.clear();
        m_repollPending = false;
        QMetaObject::invokeMethod(this, &UserPoller::pollNow, Qt::QueuedConnection);
        return;
    }
    m_host->forgeAnswered(!failed, error);
    if (!failed && !rateLimited)
        m_host->pollWorked(key);

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
        qCDebug(lcForge).noquote() << "user" << m_userId << "poll failed:" << logSafe(error) << "- next in"
                                   << delayMs << "ms";
    } else if (rateLimited) {
        delayMs = m_schedule.rateLimited(retryAfterMs);
        m_notBeforeMs = nowMs() + delayMs;
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

void UserPoller::publishState(const protocol::ServerMessage& message)
{
    const bool isCount = std::holds_alternative<protocol::NotificationCount>(message);
    QPointer<UserPoller> guard(this);
    m_host->publishState(m_userId, message, [guard, isCount](bool published) {
        if (published || !guard)
            return;
        // Forget what was sent so the next poll publishes it again.
        if (isCount)
            guard->m_count.reset();
        else
            guard->m_stopwatches.reset();
    });
}

} // namespace forgewire
