#include "model/TrayController.h"

#include "app/TrayLogging.h"
#include "client/SharedConnection.h"
#include "forge/ForgeActions.h"
#include "forge/ForgeHttp.h"
#include "model/DirectForge.h"
#include "protocol/Protocol.h"
#include "protocol/Topic.h"

#include <QHostAddress>
#include <QUuid>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

namespace Type = protocol::MessageType;
// The server messages the tray acts on; pings and pongs are the connection's own business.
const QStringList kTypes{
    Type::Hello,      Type::NotificationCount, Type::Stopwatches, Type::Logout,        Type::Board,
    Type::Subscribed, Type::Unsubscribed,      Type::Error,       Type::BoardSnapshot, Type::Boards};

} // namespace

TrayController::TrayController(const Clock& clock, QObject* parent)
    : QObject(parent), m_state(clock), m_clock(clock),
      m_sessionTag(QUuid::createUuid().toString(QUuid::WithoutBraces))
{
    connect(&m_boards, &BoardWatcher::notificationReady, this, [this](const BoardNotification& n) {
        if (m_config.boardNotifications)
            Q_EMIT boardNotification(n);
    });
    connect(&m_state, &TrayState::countChanged, this, [this] {
        if (m_config.notificationList && forgeActionsAvailable())
            m_notifications.refresh();
    });
    connect(&m_state, &TrayState::ticked, this, &TrayController::checkReminders);
    connect(&m_state, &TrayState::stopwatchesChanged, this, &TrayController::checkReminders);
    connect(&m_notifications, &NotificationList::arrived, this, &TrayController::notificationsArrived);
    connect(&m_notifications, &NotificationList::markedRead, this, [this] { requestRefresh(); });
    connect(&m_notifications, &NotificationList::markReadFailed, this, [this](const QString& message) {
        Q_EMIT actionFailed(tr("Could not mark the notification read"), message);
    });
    connect(&m_live, &LiveBoards::resyncNeeded, this, [this](const QString& topic) {
        if (m_connection)
            m_connection->send(protocol::Resync{topic});
    });
    updateOwnTags();
}

TrayController::~TrayController()
{
    // Pending replies are aborted here; their answers must not reach a half-destroyed controller.
    delete std::exchange(m_actions, nullptr);
    stop();
}

bool sendsTokenInClear(const QUrl& url)
{
    const QString scheme = url.scheme().toLower();
    if (scheme != "ws"_L1 && scheme != "http"_L1)
        return false;
    QString host = url.host().toLower();
    if (host.endsWith(u'.'))
        host.chop(1);
    if (host == "localhost"_L1 || host.endsWith(".localhost"_L1)) // RFC 6761: always loopback
        return false;
    const QHostAddress address(host);
    return address.isNull() || !address.isLoopback();
}

QString TrayController::cleartextTokenWarning() const
{
    if (m_config.token.isEmpty())
        return {};
    QStringList hosts;
    if (sendsTokenInClear(m_config.serverUrl))
        hosts.append(m_config.serverUrl.toDisplayString(QUrl::RemovePath | QUrl::RemoveQuery));
    // Forge actions send the token only when it looks like a forge token.
    if (ForgeActions::looksLikeForgeToken(m_config.token) && sendsTokenInClear(m_config.forgeUrl))
        hosts.append(m_config.forgeUrl.toDisplayString(QUrl::RemovePath | QUrl::RemoveQuery));
    if (hosts.isEmpty())
        return {};
    return tr("Your token is sent unencrypted to %1; anyone on the network can read and reuse it. "
              "Use wss:// and https://.")
        .arg(hosts.join(tr(" and ")));
}

void TrayController::configure(const Config& config)
{
    const Config old = std::exchange(m_config, config);
    m_boards.setForgeUrl(config.forgeUrl);
    if (old.forgeUrl != config.forgeUrl || old.token != config.token ||
        old.notificationList != config.notificationList || !m_actions) {
        m_notifications.configure(config.notificationList ? config.forgeUrl : QUrl(), config.token);
        if (forgeActionsAvailable() && m_state.hasReceivedState())
            m_notifications.refresh();
    }
    if (!m_actions || old.forgeUrl != config.forgeUrl) {
        delete std::exchange(m_actions, nullptr);
        m_actions = new ForgeActions(config.forgeUrl, config.token, this);
    } else {
        m_actions->setToken(config.token);
    }
    const bool running = isRunning();
    const bool reconnect = old.serverUrl != config.serverUrl || old.direct != config.direct ||
                           (config.direct && old.forgeUrl != config.forgeUrl);
    if (running && reconnect) {
        stop();
        m_boards.setWatched(config.watchedBoards);
        for (const qint64 id : old.watchedBoards) {
            if (!wantsBoard(id))
                m_live.untrack(id);
        }
        start();
    } else {
        QList<qint64> removed, added;
        // A board open in a window stays subscribed whether watched or not.
        for (qint64 id : old.watchedBoards) {
            if (!config.watchedBoards.contains(id) && !m_viewedBoards.contains(id))
                removed.append(id);
        }
        for (qint64 id : config.watchedBoards) {
            if (!old.watchedBoards.contains(id) && !m_viewedBoards.contains(id))
                added.append(id);
        }
        m_boards.setWatched(config.watchedBoards);
        for (qint64 id : removed)
            m_live.untrack(id);
        for (qint64 id : added)
            m_live.track(id);
        if (m_connection) {
            unsubscribeBoards(removed);
            subscribeBoards(added);
            m_connection->setToken(config.token);
        } else if (m_direct) {
            m_direct->setToken(config.token);
        }
    }
    if (const QString warning = cleartextTokenWarning(); warning != m_loggedWarning) {
        m_loggedWarning = warning;
        if (!warning.isEmpty())
            qCWarning(lcTray).noquote() << warning;
    }
    Q_EMIT configChanged();
}

void TrayController::start()
{
    if (m_config.direct) {
        startDirect();
        return;
    }
    if (m_connection || !m_config.serverUrl.isValid() || m_config.serverUrl.isEmpty())
        return;
    m_connection = SharedConnection::forUrl(m_config.serverUrl);
    connect(m_connection, &SharedConnection::stateChanged, this, [this](SharedConnection::State s) {
        m_state.setConnectionState(s, m_connection ? m_connection->reconnectInMs() : 0);
        m_live.setConnected(s == SharedConnection::State::Connected);
    });
    m_connection->setToken(m_config.token);
    m_connection->addConsumer(this, kTypes, [this](const protocol::ServerMessage& m) { handle(m); });
    for (qint64 id : m_config.watchedBoards)
        m_live.track(id);
    subscribeBoards(m_config.watchedBoards);
    subscribeBoards(m_viewedBoards.keys());
    m_state.setConnectionState(m_connection->state(), m_connection->reconnectInMs());
    m_live.setConnected(m_connection->state() == SharedConnection::State::Connected);
}

void TrayController::startDirect()
{
    if (m_direct || !m_config.forgeUrl.isValid() || m_config.forgeUrl.isEmpty())
        return;
    m_direct = new DirectForge(m_config.forgeUrl, m_config.token, m_config.forgePoll, m_clock, this);
    connect(m_direct, &DirectForge::stateChanged, this, [this](SharedConnection::State s) {
        m_state.setRefusal(m_direct->refusal());
        m_state.setConnectionState(s);
    });
    connect(m_direct, &DirectForge::messageReceived, this, &TrayController::handle);
    m_direct->start();
    m_state.setConnectionState(m_direct->state());
}

void TrayController::stop()
{
    if (m_direct) {
        delete std::exchange(m_direct, nullptr);
        m_state.setConnectionState(SharedConnection::State::Idle);
        return;
    }
    if (!m_connection)
        return;
    disconnect(m_connection, nullptr, this, nullptr);
    m_connection->removeConsumer(this);
    m_connection = nullptr;
    m_state.setConnectionState(SharedConnection::State::Idle);
    m_live.setConnected(false);
}

void TrayController::signInAgain()
{
    m_state.clearSignedOut();
    if (m_direct) {
        m_direct->setToken(m_config.token);
        m_direct->refresh();
        return;
    }
    if (!m_connection)
        start();
    else
        m_connection->reconnectNow();
}

void TrayController::subscribeBoards(const QList<qint64>& boards)
{
    if (!m_connection)
        return; // direct mode: boards need a server
    for (qint64 id : boards)
        m_connection->subscribe(this, Topic::projectBoard(id));
}

void TrayController::unsubscribeBoards(const QList<qint64>& boards)
{
    if (!m_connection)
        return;
    for (qint64 id : boards)
        m_connection->unsubscribe(this, Topic::projectBoard(id));
}

void TrayController::checkReminders()
{
    QList<StopwatchReminders::Running> running;
    for (const TrayState::RunningStopwatch& entry : m_state.stopwatches())
        running.append({entry.stopwatch, m_state.elapsedSeconds(entry)});
    for (const StopwatchReminders::Running& due : m_reminders.due(running)) {
        const QString reference = TrayState::issueReference(due.stopwatch);
        Q_EMIT stopwatchReminder(
            tr("Still running: %1").arg(reference),
            tr("%1 has been running for %2")
                .arg(due.stopwatch.issueTitle, TrayState::formatDuration(due.elapsedSeconds)),
            TrayState::issueUrl(m_config.forgeUrl, due.stopwatch));
    }
}

void TrayController::updateOwnTags()
{
    QSet<QString> tags{m_sessionTag};
    if (!m_state.session().isEmpty())
        tags.insert(m_state.session());
    m_boards.setOwnSessionTags(tags);
}

bool TrayController::wantsBoard(qint64 projectId) const
{
    return m_config.watchedBoards.contains(projectId) || m_viewedBoards.contains(projectId);
}

void TrayController::openBoard(qint64 projectId)
{
    if (projectId <= 0)
        return;
    const bool wanted = wantsBoard(projectId);
    ++m_viewedBoards[projectId];
    if (wanted)
        return;
    m_live.track(projectId);
    if (!m_connection)
        return;
    const QString topic = Topic::projectBoard(projectId);
    if (m_connection->topics().contains(topic)) {
        // Another consumer of the connection has it subscribed: no `subscribed` and no snapshot
        // would come for us, so ask for the snapshot.
        m_connection->subscribe(this, topic);
        m_connection->send(protocol::Resync{topic});
        return;
    }
    m_connection->subscribe(this, topic);
}

void TrayController::closeBoard(qint64 projectId)
{
    const auto it = m_viewedBoards.find(projectId);
    if (it == m_viewedBoards.end())
        return;
    if (--it.value() > 0)
        return;
    m_viewedBoards.erase(it);
    if (wantsBoard(projectId))
        return;
    m_live.untrack(projectId);
    if (m_connection)
        unsubscribeBoards({projectId});
}

bool TrayController::listBoards()
{
    return m_connection && m_connection->send(protocol::ListBoards{});
}

QUrl TrayController::boardUrl(qint64 projectId) const
{
    const BoardState* board = m_live.board(projectId);
    const QUrl url = board ? board->projectUrl(m_config.forgeUrl) : QUrl();
    return url.isEmpty() ? m_config.forgeUrl : url;
}

bool TrayController::handleBoardMessage(const protocol::ServerMessage& message)
{
    if (const auto* board = std::get_if<protocol::BoardEvent>(&message)) {
        const Topic topic = Topic::parse(board->topic);
        const BoardState* model =
            topic.kind() == Topic::Kind::ProjectBoard ? m_live.board(topic.id()) : nullptr;
        // An event the model already has (a duplicate after a resync) is no news.
        const bool stale = model && board->seq && model->seq() && *board->seq <= *model->seq();
        const bool notified = !stale && m_boards.handle(*board, model);
        m_live.handle(message);
        if (notified)
            Q_EMIT messageReceived(message);
        return true;
    }
    if (std::holds_alternative<protocol::BoardSnapshot>(message) ||
        std::holds_alternative<protocol::Boards>(message)) {
        m_live.handle(message);
        Q_EMIT messageReceived(message);
        return true;
    }
    // `subscribed` also tells the live model; it is the state's message too.
    m_live.handle(message);
    return false;
}

void TrayController::handle(const protocol::ServerMessage& message)
{
    if (handleBoardMessage(message))
        return;
    if (const auto* error = std::get_if<protocol::Error>(&message)) {
        qCWarning(lcTray) << "server error" << protocol::errorCodeName(error->code) << error->topic
                          << error->message;
    }
    m_state.apply(message);
    if (std::holds_alternative<protocol::Hello>(message))
        updateOwnTags();
    Q_EMIT messageReceived(message);
    if (m_state.status() == TrayState::Status::SignedOut) {
        // Like Gitea's worker after "logout here": close the connection and show the signed-out state.
        stop();
    }
}

QUrl TrayController::issueUrl(const TrayState::RunningStopwatch& entry) const
{
    return TrayState::issueUrl(m_config.forgeUrl, entry.stopwatch);
}

QUrl TrayController::notificationsUrl() const
{
    return ForgeHttp::join(m_config.forgeUrl, u"/notifications"_s);
}

bool TrayController::forgeActionsAvailable() const
{
    return m_config.forgeUrl.isValid() && !m_config.forgeUrl.isEmpty() &&
           ForgeActions::looksLikeForgeToken(m_config.token);
}

void TrayController::stopStopwatch(const protocol::Stopwatch& stopwatch)
{
    runStopwatchAction(&ForgeActions::stopStopwatch, stopwatch, tr("Could not stop the stopwatch"));
}

void TrayController::cancelStopwatch(const protocol::Stopwatch& stopwatch)
{
    runStopwatchAction(&ForgeActions::cancelStopwatch, stopwatch, tr("Could not cancel the stopwatch"));
}

void TrayController::runStopwatchAction(StopwatchAction action, const protocol::Stopwatch& stopwatch,
                                        const QString& failureTitle)
{
    if (!forgeActionsAvailable()) {
        Q_EMIT actionFailed(failureTitle, tr("Forge actions need the forge URL and a forge access token."));
        return;
    }
    ForgeActions* actions = m_actions;
    (actions->*action)(stopwatch.repoOwnerName, stopwatch.repoName, stopwatch.issueIndex,
                       [this, actions, stopwatch, failureTitle](const ForgeActionResult& result) {
                           finishStopwatchAction(actions, stopwatch, result, failureTitle);
                       });
}

void TrayController::finishStopwatchAction(ForgeActions* actions, const protocol::Stopwatch& stopwatch,
                                           const ForgeActionResult& result, const QString& failureTitle)
{
    if (actions != m_actions)
        return;
    if (result.ok || result.nothingToDo) {
        // 409: it was already stopped elsewhere, so what we show is stale either way.
        m_state.removeStopwatch(stopwatch.repoOwnerName, stopwatch.repoName, stopwatch.issueIndex);
        requestRefresh();
    }
    if (result.ok) {
        Q_EMIT actionSucceeded();
    } else {
        qCWarning(lcTray) << "forge action failed" << result.httpStatus << result.error;
        Q_EMIT actionFailed(failureTitle, result.error);
    }
}

void TrayController::markAllRead()
{
    const QString title = tr("Could not mark notifications read");
    if (!forgeActionsAvailable()) {
        Q_EMIT actionFailed(title, tr("Forge actions need the forge URL and a forge access token."));
        return;
    }
    ForgeActions* actions = m_actions;
    actions->markAllRead([this, actions, title](const ForgeActionResult& result) {
        if (actions != m_actions)
            return;
        if (!result.ok) {
            qCWarning(lcTray) << "forge action failed" << result.httpStatus << result.error;
            Q_EMIT actionFailed(title, result.error);
            return;
        }
        m_state.clearUnreadCount();
        m_notifications.clear();
        requestRefresh();
        Q_EMIT actionSucceeded();
    });
}

void TrayController::markNotificationRead(qint64 threadId)
{
    m_notifications.markRead(threadId);
}

void TrayController::startStopwatch(const ForgeIssue& issue)
{
    const QString title = tr("Could not start the stopwatch");
    if (!forgeActionsAvailable()) {
        Q_EMIT actionFailed(title, tr("Forge actions need the forge URL and a forge access token."));
        return;
    }
    ForgeActions* actions = m_actions;
    actions->startStopwatch(
        issue.owner, issue.repo, issue.index, [this, actions, title](const ForgeActionResult& result) {
            if (actions != m_actions)
                return;
            if (!result.ok) {
                qCWarning(lcTray) << "forge action failed" << result.httpStatus << result.error;
                Q_EMIT actionFailed(title, result.error);
                return;
            }
            requestRefresh();
            Q_EMIT actionSucceeded();
        });
}

void TrayController::assignedIssues(std::function<void(const QList<ForgeIssue>&)> done)
{
    if (!forgeActionsAvailable()) {
        Q_EMIT actionFailed(tr("Could not list your issues"),
                            tr("Forge actions need the forge URL and a forge access token."));
        done({});
        return;
    }
    ForgeActions* actions = m_actions;
    actions->assignedIssues(
        kMaxAssignedIssues, [this, actions, done = std::move(done)](const ForgeActionResult& result,
                                                                    const QList<ForgeIssue>& issues) {
            if (actions != m_actions)
                return;
            if (!result.ok) {
                qCWarning(lcTray) << "could not list assigned issues" << result.httpStatus << result.error;
                Q_EMIT actionFailed(tr("Could not list your issues"), result.error);
            }
            done(issues);
        });
}

bool TrayController::requestRefresh()
{
    if (m_direct) {
        // Polls the forge at once, as the bridge does when a client asks.
        m_direct->refresh();
        return true;
    }
    const auto& user = m_state.user();
    if (!m_connection || !user || user->id <= 0)
        return false;
    // Not SharedConnection::subscribe(): that skips topics already subscribed, and this one always is.
    return m_connection->send(protocol::Subscribe{Topic::user(user->id)});
}

} // namespace forgewire
