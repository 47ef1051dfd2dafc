#pragma once

#include "client/Clock.h"
#include "client/SharedConnection.h"
#include "protocol/Protocol.h"

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QTimer>
#include <QUrl>

#include <chrono>
#include <functional>
#include <optional>

namespace forgewire {

// What the tray shows, fed by server messages and connection state: the unread count, running
// stopwatches (ticking locally between updates), who is signed in and how the connection is doing.
// Every text the tray, its tooltip and the headless status line print is made here.
class TrayState : public QObject
{
    Q_OBJECT
public:
    enum class Status
    {
        Offline,    // not started, or nothing configured
        Connecting, // first attempt, nothing received yet
        Connected,
        Reconnecting, // waiting for the retry timer
        Unauthorized, // the server refused the token (4001)
        SignedOut     // a logout for this session arrived
    };
    Q_ENUM(Status)

    // Badges stop counting here, like Gitea's own notification badge.
    static constexpr qint64 kBadgeMax = 99;
    static constexpr std::chrono::milliseconds kTickInterval{1000};
    // How long after `hello` the retained count and stopwatches may take before "nothing retained"
    // is assumed (a user nobody has published for yet gets none). Until then no count is shown, so a
    // "0 unread" never flashes before the real one.
    static constexpr std::chrono::milliseconds kRetainedGrace{1500};

    // Wall-clock UTC time, replaceable in tests: a stopwatch's `created` is a wall-clock time.
    using UtcNow = std::function<QDateTime()>;

    struct RunningStopwatch
    {
        protocol::Stopwatch stopwatch;
        std::chrono::milliseconds receivedAt{0}; // on the state's clock
    };

    explicit TrayState(const Clock& clock = Clock::system(), QObject* parent = nullptr);
    void setUtcNow(UtcNow utcNow) { m_utcNow = std::move(utcNow); }

    // Hello, notification-count, stopwatches and logout change the state; other types are ignored.
    void apply(const protocol::ServerMessage& message);
    void setConnectionState(SharedConnection::State state, int reconnectInMs = 0);
    // Why the token was refused, in a sentence the user can act on (the forge's HTTP status, the
    // missing scope); shown instead of the generic text while the status is Unauthorized. Set it
    // before the Unauthorized state so the menu changes once.
    void setRefusal(const QString& reason) { m_refusal = reason; }
    // While Unauthorized: the reason given, if any; empty otherwise.
    QString refusal() const { return m_status == Status::Unauthorized ? m_refusal : QString(); }
    // Back from SignedOut once the user signs in again.
    void clearSignedOut();
    // What a successful action on the forge changed, shown before the server's fresh state arrives.
    // True if there was such a stopwatch.
    bool removeStopwatch(const QString& owner, const QString& repo, qint64 issueIndex);
    void clearUnreadCount();

    Status status() const { return m_status; }
    qint64 unreadCount() const { return m_count; }
    const std::optional<protocol::UserInfo>& user() const { return m_user; }
    QString session() const { return m_session; }
    bool hasReceivedState() const { return m_receivedState; }
    const QList<RunningStopwatch>& stopwatches() const { return m_stopwatches; }
    // `seconds` from the server plus the time since it arrived, or the time since `created` when that
    // is more: a retained message keeps the `seconds` of when it was published, so after a reconnect
    // only `created` still tells the truth.
    qint64 elapsedSeconds(const RunningStopwatch& entry) const;
    // True while a stopwatch runs, i.e. while texts change every second.
    bool isTicking() const { return m_ticker.isActive(); }

    // "owner/repo#7 Title — 01:23:45"
    QString stopwatchLabel(const RunningStopwatch& entry) const;
    // "3 unread | alice/proj#7 01:23:45", for terminals and status bars.
    QString statusLine() const;
    // Several lines: count, stopwatch, connection.
    QString tooltip() const;
    // "Connected as alice", "Reconnecting in 3 s", ...
    QString connectionText() const;

    static QString formatDuration(qint64 seconds);
    // "" for 0, "1".."99", then "99+".
    static QString badgeText(qint64 count);
    static QString issueReference(const protocol::Stopwatch& stopwatch);
    // forge/owner/repo/issues/7 (a sub-path install keeps its path); empty without a forge URL.
    static QUrl issueUrl(const QUrl& forgeUrl, const protocol::Stopwatch& stopwatch);

Q_SIGNALS:
    // Anything shown changed (count, stopwatches, status, user); texts should be refreshed.
    void changed();
    void countChanged(qint64 count);
    void stopwatchesChanged();
    // Once a second while a stopwatch runs.
    void ticked();
    void signedOut();

private:
    void setStatus(Status status);
    // Forgets count, stopwatches and who is signed in without emitting anything: the caller emits
    // (emitCleared(), changed) once everything, status included, is updated.
    struct Cleared
    {
        bool count = false;
        bool stopwatches = false;
    };
    Cleared clearUserState();
    void emitCleared(const Cleared& cleared);
    void updateTicker();

    const Clock& m_clock;
    Status m_status = Status::Offline;
    int m_reconnectInMs = 0;
    QString m_refusal;
    qint64 m_count = 0;
    std::optional<protocol::UserInfo> m_user;
    QString m_session;
    bool m_receivedState = false;
    QList<RunningStopwatch> m_stopwatches;
    QTimer m_ticker;
    QTimer m_retainedGrace;
    UtcNow m_utcNow = [] {
        return QDateTime::currentDateTimeUtc();
    };
};

} // namespace forgewire
