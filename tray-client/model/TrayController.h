#pragma once

#include "client/Clock.h"
#include "forge/ForgeActions.h"
#include "forge/PollSchedule.h"
#include "model/BoardWatcher.h"
#include "model/LiveBoards.h"
#include "model/NotificationList.h"
#include "model/StopwatchReminders.h"
#include "model/TrayState.h"
#include "protocol/Protocol.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QUrl>

namespace forgewire {

class DirectForge;
class SharedConnection;

// True when a token sent to `url` crosses the network unencrypted: ws:// or http:// to a host that is
// not loopback (localhost, 127.0.0.0/8, ::1). Anyone on the path can then read and reuse it.
bool sendsTokenInClear(const QUrl& url);

// The tray's brain without any widgets: consumes the process's SharedConnection for the configured
// server, keeps TrayState current, subscribes the watched boards and turns their events into
// notifications. The tray UI and the headless printer are views on it.
class TrayController : public QObject
{
    Q_OBJECT
public:
    struct Config
    {
        QUrl serverUrl;
        QByteArray token;
        QUrl forgeUrl;
        QList<qint64> watchedBoards;
        bool boardNotifications = true;
        // Fetch the latest unread notifications for the menu (--headless has no menu to show them).
        bool notificationList = true;
        // Direct mode: no server; the tray polls `forgeUrl` itself with the forge token (DirectForge).
        bool direct = false;
        // Direct mode's poll cadence (Gitea's own by default, as the server's bridge).
        PollSettings forgePoll;
    };

    // Issues offered by "Start stopwatch…"; Gitea's own page size.
    static constexpr int kMaxAssignedIssues = 50;

    explicit TrayController(const Clock& clock = Clock::system(), QObject* parent = nullptr);
    ~TrayController() override;

    TrayState& state() { return m_state; }
    BoardWatcher& boards() { return m_boards; }
    // The latest unread notifications (needs forge actions); refreshed when the pushed count changes.
    NotificationList& notifications() { return m_notifications; }
    // The live models of the watched boards and of the boards open in a window.
    LiveBoards& liveBoards() { return m_live; }
    const Config& config() const { return m_config; }
    SharedConnection* connection() const { return m_connection; }
    // Sent along with our own changes so their echoes can be recognised (PROTOCOL.md session_tag).
    QString sessionTag() const { return m_sessionTag; }

    // Applies a configuration; while running, only what changed is redone (a new URL reconnects, a new
    // token replaces the socket, boards are subscribed or unsubscribed).
    void configure(const Config& config);
    // Registers with the shared connection (which opens it if nobody else had).
    void start();
    void stop();
    bool isRunning() const { return m_connection != nullptr || m_direct != nullptr; }
    // Direct mode's poller while running (null otherwise).
    DirectForge* direct() const { return m_direct; }
    // After a logout or a refused token: connect again (with the token configured by then).
    void signInAgain();

    QUrl issueUrl(const TrayState::RunningStopwatch& entry) const;
    QUrl notificationsUrl() const;
    // A sentence for the user when the configured token goes unencrypted to another machine (the
    // server URL, or the forge URL for forge actions); empty otherwise. Logged when it appears.
    QString cleartextTokenWarning() const;

    // Stopping/cancelling a stopwatch and marking all read go straight to the forge's REST API with the
    // user's token (shared/forge/ForgeActions.h, issue #4). They need the forge URL and a forge token,
    // i.e. the bridge-mode setup: a Forgewire JWT would only get 401 from the forge. The UI shows that
    // menu section only when this is true.
    bool forgeActionsAvailable() const;

    // On success the change shows at once (the stopwatch disappears, the count drops to 0) and the
    // server is asked to poll the forge, so its fresh state follows within a round trip. A failure is
    // reported through actionFailed().
    void stopStopwatch(const protocol::Stopwatch& stopwatch);
    void cancelStopwatch(const protocol::Stopwatch& stopwatch);
    void markAllRead();
    // Starts the stopwatch on an issue (from assignedIssues()); the server's push shows it.
    void startStopwatch(const ForgeIssue& issue);
    // The user's open assigned issues, for "Start stopwatch…"; a failure reports through actionFailed()
    // and calls `done` with an empty list.
    void assignedIssues(std::function<void(const QList<ForgeIssue>&)> done);
    // Opening a listed notification marks it read; the count follows from the server.
    void markNotificationRead(qint64 threadId);
    // Re-subscribes to our own user topic, which a bridge-mode server reads as "poll the forge now".
    // False when not connected or anonymous.
    bool requestRefresh();

    // A board window opened or closed: its board is subscribed (and modelled) while any window shows
    // it or it is watched. Opening one counts; close it as often as it was opened.
    void openBoard(qint64 projectId);
    void closeBoard(qint64 projectId);
    // Asks the server for the boards this connection may read (LiveBoards::boardsListed answers).
    bool listBoards();
    // The board's page on the forge (repository or user/org project), the forge itself while the
    // board's model is not known.
    QUrl boardUrl(qint64 projectId) const;

Q_SIGNALS:
    // Every message the tray acted on: state messages, errors, and board events of watched boards
    // that are not our own echoes. The headless printer prints these.
    void messageReceived(const forgewire::protocol::ServerMessage& message);
    void boardNotification(const forgewire::BoardNotification& notification);
    void configChanged();
    // Something worth a desktop notification: new unread notifications arrived on the forge.
    void notificationsArrived(const QList<forgewire::ForgeNotification>& fresh);
    // A stopwatch has been running for another StopwatchReminders::kInterval.
    void stopwatchReminder(const QString& title, const QString& body, const QUrl& url);
    // A forge action succeeded.
    void actionSucceeded();
    // A forge action failed: `message` is a sentence for the user (the UI shows it as a notification).
    void actionFailed(const QString& title, const QString& message);

private:
    void startDirect();
    void handle(const protocol::ServerMessage& message);
    // The one place board messages go: notifications first (they name issues from the model as it
    // was before the change), then the live model. True when `message` was a board message.
    bool handleBoardMessage(const protocol::ServerMessage& message);
    // Boards subscribed and modelled: the watched ones and those open in a window.
    bool wantsBoard(qint64 projectId) const;
    void subscribeBoards(const QList<qint64>& boards);
    void unsubscribeBoards(const QList<qint64>& boards);
    void updateOwnTags();
    void checkReminders();
    // Stop and Cancel differ only in the forge call; both report failures the same way.
    using StopwatchAction = void (ForgeActions::*)(const QString& owner, const QString& repo,
                                                   qint64 issueIndex, ForgeActions::Done done);
    void runStopwatchAction(StopwatchAction action, const protocol::Stopwatch& stopwatch,
                            const QString& failureTitle);
    void finishStopwatchAction(ForgeActions* actions, const protocol::Stopwatch& stopwatch,
                               const ForgeActionResult& result, const QString& failureTitle);

    Config m_config;
    TrayState m_state;
    BoardWatcher m_boards;
    NotificationList m_notifications;
    StopwatchReminders m_reminders;
    LiveBoards m_live;
    // Open board windows per board.
    QHash<qint64, int> m_viewedBoards;
    const Clock& m_clock;
    QPointer<SharedConnection> m_connection;
    DirectForge* m_direct = nullptr;
    QString m_sessionTag;
    QString m_loggedWarning;
    // Rebuilt when the forge URL changes; answers of a replaced instance are ignored.
    ForgeActions* m_actions = nullptr;
};

} // namespace forgewire
