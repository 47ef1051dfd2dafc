#pragma once

#include "client/Clock.h"
#include "forge/PollSchedule.h"
#include "protocol/Protocol.h"

#include <QByteArray>
#include <QObject>
#include <QTimer>

#include <functional>
#include <optional>

namespace forgewire {

class ForgeClient;
struct ForgeReply;

// What a UserPoller needs from whoever owns it: which token to poll with, and where the outcome of
// each poll goes. The server's ForgeBridge implements it (state goes to its broker); so can a
// client that polls a forge itself.
class PollerHost
{
public:
    // The state a new poller starts from, so that a restart does not send again what every client
    // has (nullopt: not known, the first answer goes out).
    struct KnownState
    {
        std::optional<qint64> count;
        std::optional<QList<protocol::Stopwatch>> stopwatches;
    };

    struct PollToken
    {
        QByteArray key; // SHA-256 of the token; empty when the user has no live token
        QByteArray token;
    };

    // The token the user's poller authenticates with: `currentKey` while it is live, else another
    // live token of the user.
    virtual PollToken pollingToken(qint64 userId, const QByteArray& currentKey) const = 0;
    // The forge refused `key` (401/403) while polling.
    virtual void pollRefused(const QByteArray& key, const ForgeReply& refusal) = 0;
    // The forge accepted `key` just now: it needs no re-check for a while.
    virtual void pollWorked(const QByteArray& key) = 0;
    // Every poll's answer feeds the forge-wide up/down state.
    virtual void forgeAnswered(bool reachable, const QString& error) = 0;
    // The user's state as last published; `done` may run at once or later.
    virtual void knownState(qint64 userId, std::function<void(const KnownState&)> done) = 0;
    // A changed state (a `notification-count` or `stopwatches` message) to hand on; `done(false)`
    // when it did not go out, so that the next poll sends it again.
    virtual void publishState(qint64 userId, const protocol::ServerMessage& message,
                              std::function<void(bool published)> done) = 0;

protected:
    ~PollerHost() = default;
};

// Polls one user's unread count and stopwatches while they are online and hands them to its host
// when they change, on Gitea's own schedule (PollSchedule). Deleting it cancels everything it has in flight
// (every callback is tied to it as context).
class UserPoller : public QObject
{
public:
    // Refresh requests closer together than this share one poll (a client cannot make the server
    // hammer the forge on its behalf).
    static constexpr qint64 kMinRefreshGapMs = 1'000;

    // The forge recomputes `seconds` on every request while a stopwatch runs; comparing it would
    // make every poll a change. Clients tick the clock themselves from `created`/`seconds`.
    static bool sameStopwatches(const QList<protocol::Stopwatch>& a, const QList<protocol::Stopwatch>& b);

    UserPoller(qint64 userId, const PollSettings& settings, PollerHost* host, ForgeClient* client,
               const Clock& clock, QObject* parent);

    void start();
    // A client asked for a poll now (it just acted on the forge).
    void refresh();
    // Deleted later (it may be inside its own callback), but must not poll or publish meanwhile.
    void stop();
    // A token of this user went live: a poller left without one polls again.
    void tokenAvailable();

    int consecutiveFailures() const { return m_schedule.consecutiveFailures(); }
    // Empty while idle (no token to poll with).
    QByteArray tokenKey() const { return m_idle ? QByteArray() : m_tokenKey; }

private:
    struct Round;

    void pollNow();
    void finish(const Round& round, const QByteArray& key);
    void publishState(const protocol::ServerMessage& message);
    qint64 nowMs() const { return m_clock.now().count(); }

    qint64 m_userId;
    PollSchedule m_schedule;
    PollerHost* m_host;
    ForgeClient* m_client;
    const Clock& m_clock;
    QTimer m_timer;
    bool m_inFlight = false;
    bool m_repollPending = false;
    bool m_stopped = false;
    bool m_idle = false;
    QByteArray m_tokenKey;  // the live token this poller authenticates with
    bool m_started = false; // a poll has started (m_lastStartMs is meaningful)
    qint64 m_lastStartMs = 0;
    qint64 m_notBeforeMs = 0;
    std::optional<qint64> m_count;
    std::optional<QList<protocol::Stopwatch>> m_stopwatches;
};

} // namespace forgewire
