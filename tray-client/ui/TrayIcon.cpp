#include "ui/TrayIcon.h"

#include "app/TrayLogging.h"
#include "model/TrayController.h"
#include "ui/BoardsMenu.h"

#include <QDesktopServices>

namespace forgewire {

using namespace Qt::StringLiterals;

TrayIcon::TrayIcon(TrayController* controller, QObject* parent) : QObject(parent), m_controller(controller)
{
    m_header = m_menu.addAction(QString());
    m_header->setEnabled(false);
    m_cleartextWarning = m_menu.addAction(QString());
    m_cleartextWarning->setEnabled(false);
    m_cleartextWarning->setVisible(false);
    m_menu.addSeparator();
    m_stopwatchEnd = m_menu.addSeparator();

    // Forge section; the stopwatch actions are in each stopwatch's submenu.
    m_markAllRead = m_menu.addAction(tr("Mark all as read"), this, [this] { m_controller->markAllRead(); });
    m_openNotifications =
        m_menu.addAction(tr("Open notifications"), this, [this] { open(m_controller->notificationsUrl()); });
    m_signIn = m_menu.addAction(tr("Sign in again"), this, [this] { m_controller->signInAgain(); });
    m_reconnect = m_menu.addAction(tr("Reconnect now"), this, [this] { m_controller->signInAgain(); });
    m_menu.addSeparator();
    // Live boards (issue #13): the submenu owns its windows.
    m_boardsMenu = new BoardsMenu(m_controller, &m_menu);
    connect(m_boardsMenu, &BoardsMenu::openRequested, this, &TrayIcon::open);
    m_menu.addMenu(m_boardsMenu);
    m_menu.addAction(tr("Settings…"), this, &TrayIcon::settingsRequested);
    m_menu.addAction(tr("Quit"), this, &TrayIcon::quitRequested);
    m_tray.setContextMenu(&m_menu);

    connect(&m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
        // Most XEmbed trays only send clicks; a left click shows the menu too.
        if (reason == QSystemTrayIcon::Trigger)
            m_menu.popup(QCursor::pos());
    });
    connect(&m_tray, &QSystemTrayIcon::messageClicked, this, [this] { open(m_balloonUrl); });
    connect(&m_notifier, &DesktopNotifier::openRequested, this, &TrayIcon::open);
    connect(&m_notifier, &DesktopNotifier::deliveryFailed, this, &TrayIcon::showBalloon);

    TrayState& state = m_controller->state();
    connect(&state, &TrayState::changed, this, [this] {
        refreshIcon();
        refreshActions();
        refreshTexts();
    });
    connect(&state, &TrayState::stopwatchesChanged, this, &TrayIcon::rebuildStopwatches);
    connect(&state, &TrayState::ticked, this, &TrayIcon::refreshTexts);
    connect(m_controller, &TrayController::configChanged, this, [this] {
        // The stopwatch entries link with the forge URL, which may have changed.
        rebuildStopwatches();
        refreshActions();
        refreshTexts(); // the clear-text token warning follows the URLs
    });
    connect(m_controller, &TrayController::boardNotification, this, &TrayIcon::notify);
    connect(m_controller, &TrayController::actionFailed, this,
            [this](const QString& title, const QString& message) {
                if (!m_notifier.show(u"forge-action"_s, title, message, {}))
                    showBalloon(title, message, {});
            });

    rebuildStopwatches();
    refreshIcon();
    refreshActions();
    refreshTexts();
}

void TrayIcon::refreshIcon()
{
    const TrayState& state = m_controller->state();
    const TrayIconPainter::Look look = TrayIconPainter::lookFor(state.status());
    const QString badge = TrayState::badgeText(state.unreadCount());
    if (m_iconSet && look == m_look && badge == m_badge)
        return;
    m_look = look;
    m_badge = badge;
    m_iconSet = true;
    m_tray.setIcon(TrayIconPainter::icon(look, badge));
}

void TrayIcon::refreshTexts()
{
    const TrayState& state = m_controller->state();
    const QString warning = m_controller->cleartextTokenWarning();
    m_tray.setToolTip(warning.isEmpty() ? state.tooltip() : state.tooltip() + u"\n\u26a0 "_s + warning);
    m_header->setText(headerText());
    m_cleartextWarning->setText(u"\u26a0 "_s + warning);
    m_cleartextWarning->setToolTip(warning);
    m_cleartextWarning->setVisible(!warning.isEmpty());
    const auto& stopwatches = state.stopwatches();
    for (qsizetype i = 0; i < stopwatches.size() && i < m_stopwatchActions.size(); ++i)
        m_stopwatchActions[i]->setText(state.stopwatchLabel(stopwatches[i]));
}

QString TrayIcon::headerText() const
{
    const TrayState& state = m_controller->state();
    if (!state.hasReceivedState())
        return state.connectionText();
    const QString count = state.unreadCount() == 1 ? tr("1 unread notification")
                                                   : tr("%1 unread notifications").arg(state.unreadCount());
    return count + u" · "_s + state.connectionText();
}

void TrayIcon::rebuildStopwatches()
{
    // A submenu owns its menuAction(): delete the menus, and only the plain actions directly.
    for (QAction* action : std::as_const(m_stopwatchActions)) {
        if (action->parent() == &m_menu)
            delete action;
    }
    m_stopwatchActions.clear();
    qDeleteAll(m_stopwatchMenus);
    m_stopwatchMenus.clear();
    const TrayState& state = m_controller->state();
    const bool actions = m_controller->forgeActionsAvailable();
    for (const TrayState::RunningStopwatch& entry : state.stopwatches()) {
        const QUrl url = m_controller->issueUrl(entry);
        const bool hasUrl = url.isValid() && !url.isEmpty();
        if (!actions) {
            auto* action = new QAction(state.stopwatchLabel(entry), &m_menu);
            action->setEnabled(hasUrl);
            action->setToolTip(tr("Open the issue in the browser"));
            connect(action, &QAction::triggered, this, [url] { open(url); });
            m_menu.insertAction(m_stopwatchEnd, action);
            m_stopwatchActions.append(action);
            continue;
        }
        auto* submenu = new QMenu(state.stopwatchLabel(entry), &m_menu);
        QAction* openIssue = submenu->addAction(tr("Open issue"), this, [url] { open(url); });
        openIssue->setEnabled(hasUrl);
        const protocol::Stopwatch stopwatch = entry.stopwatch;
        submenu->addAction(tr("Stop"), this, [this, stopwatch] { m_controller->stopStopwatch(stopwatch); });
        submenu->addAction(tr("Cancel"), this,
                           [this, stopwatch] { m_controller->cancelStopwatch(stopwatch); });
        m_menu.insertMenu(m_stopwatchEnd, submenu);
        m_stopwatchMenus.append(submenu);
        m_stopwatchActions.append(submenu->menuAction());
    }
    m_stopwatchEnd->setVisible(!m_stopwatchActions.isEmpty());
}

void TrayIcon::refreshActions()
{
    const TrayState::Status status = m_controller->state().status();
    const QUrl notifications = m_controller->notificationsUrl();
    m_openNotifications->setVisible(notifications.isValid() && !notifications.isEmpty());
    m_markAllRead->setVisible(m_controller->forgeActionsAvailable());
    m_signIn->setVisible(status == TrayState::Status::SignedOut || status == TrayState::Status::Unauthorized);
    m_reconnect->setVisible(status == TrayState::Status::Reconnecting);
}

QStringList TrayIcon::stopwatchTexts() const
{
    QStringList texts;
    for (const QAction* action : m_stopwatchActions)
        texts.append(action->text());
    return texts;
}

void TrayIcon::notify(const BoardNotification& n)
{
    if (m_notifier.show(u"board-%1"_s.arg(n.projectId), n.title, n.body, n.url))
        return;
    showBalloon(n.title, n.body, n.url);
}

void TrayIcon::showBalloon(const QString& title, const QString& body, const QUrl& url)
{
    m_balloonUrl = url;
    m_tray.showMessage(title, body, QSystemTrayIcon::Information, kBalloonTimeoutMs);
}

void TrayIcon::open(const QUrl& url)
{
    if (url.isValid() && !url.isEmpty() && !QDesktopServices::openUrl(url))
        qCWarning(lcTray) << "could not open" << url.toString();
}

} // namespace forgewire
