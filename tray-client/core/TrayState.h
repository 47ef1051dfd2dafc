#pragma once

#include "Clock.h"
#include "Protocol.h"
#include "SharedConnection.h"

#include <QList>
#include <QObject>
#include <QTimer>
#include <QUrl>

#include <chrono>
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

    struct RunningStopwatch
    {
        protocol::Stopwatch stopwatch;
        std::chrono::milliseconds receivedAt{0}; // on the state's clock
    };

    explicit TrayState(const Clock& clock = Clock::system(), QObject* parent = nullptr);

    // Hello, notification-count, stopwatches and logout change the state; other types are ignored.
    void apply(const protocol::ServerMessage& message);
    void setConnectionState(SharedConnection::State state, int reconnectInMs = 0);
    // Back from SignedOut once the user signs in again.
    void clearSignedOut();

    Status status() const { return m_status; }
    qint64 unreadCount() const { return m_count; }
    const std::optional<protocol::UserInfo>& user() const { return m_user; }
    QString session() const { return m_session; }
    bool hasReceivedState() const { return m_receivedState; }
    const QList<RunningStopwatch>& stopwatches() const { return m_stopwatches; }
    // `seconds` from the server plus the time since it arrived.
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
    void statusChanged(forgewire::TrayState::Status status);
    // Once a second while a stopwatch runs.
    void ticked();
    void signedOut();

private:
    void setStatus(Status status);
    void clearUserState();

    const Clock& m_clock;
    Status m_status = Status::Offline;
    int m_reconnectInMs = 0;
    qint64 m_count = 0;
    std::optional<protocol::UserInfo> m_user;
    QString m_session;
    bool m_receivedState = false;
    QList<RunningStopwatch> m_stopwatches;
    QTimer m_ticker;
};

} // namespace forgewire
