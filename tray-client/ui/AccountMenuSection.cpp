#include "ui/AccountMenuSection.h"

#include "model/TrayController.h"
#include "ui/BoardsMenu.h"
#include "ui/TrayIconPainter.h"

#include <QMenu>

namespace forgewire {

using namespace Qt::StringLiterals;

AccountMenuSection::AccountMenuSection(TrayController* controller, const QString& title, QMenu* menu,
                                       QAction* anchor, QObject* parent)
    : QObject(parent), m_controller(controller), m_title(title), m_menu(menu), m_anchor(anchor)
{
    m_header = addAction(QString());
    m_header->setEnabled(false);
    m_cleartextWarning = addAction(QString());
    m_cleartextWarning->setEnabled(false);
    m_cleartextWarning->setVisible(false);
    m_stopwatchEnd = addAction(QString());
    m_stopwatchEnd->setSeparator(true);
    m_notificationEnd = addAction(QString());
    m_notificationEnd->setSeparator(true);

    m_markAllRead = addAction(tr("Mark all as read"));
    connect(m_markAllRead, &QAction::triggered, this, [this] { m_controller->markAllRead(); });
    m_openNotifications = addAction(tr("Open notifications"));
    connect(m_openNotifications, &QAction::triggered, this,
            [this] { Q_EMIT openRequested(m_controller->notificationsUrl()); });
    m_startMenu = new QMenu(tr("Start stopwatch…"), m_menu);
    m_menu->insertMenu(m_anchor, m_startMenu);
    // Asked when opened: the assigned issues change on the forge, not through the push.
    connect(m_startMenu, &QMenu::aboutToShow, this, &AccountMenuSection::fillStartMenu);
    m_extrasEnd = addAction(QString());
    m_extrasEnd->setSeparator(true);
    m_extrasEnd->setVisible(false);
    // Live boards (issue #13): this account's readable boards; the submenu owns their windows.
    m_boardsMenu = new BoardsMenu(controller, m_menu);
    if (!m_title.isEmpty())
        m_boardsMenu->setTitle(tr("Boards — %1").arg(m_title));
    m_menu->insertMenu(m_extrasEnd, m_boardsMenu);
    connect(m_boardsMenu, &BoardsMenu::openRequested, this, &AccountMenuSection::openRequested);
    m_signIn = addAction(tr("Sign in again"));
    connect(m_signIn, &QAction::triggered, this, [this] { m_controller->signInAgain(); });
    m_reconnect = addAction(tr("Reconnect now"));
    connect(m_reconnect, &QAction::triggered, this, [this] { m_controller->signInAgain(); });
    QAction* end = addAction(QString());
    end->setSeparator(true);

    TrayState& state = controller->state();
    connect(&state, &TrayState::changed, this, [this] {
        refreshActions();
        refreshTexts();
    });
    connect(&state, &TrayState::stopwatchesChanged, this, &AccountMenuSection::rebuildStopwatches);
    connect(&state, &TrayState::ticked, this, &AccountMenuSection::refreshTexts);
    connect(&controller->notifications(), &NotificationList::changed, this,
            &AccountMenuSection::rebuildNotifications);
    connect(controller, &TrayController::configChanged, this, [this] {
        // The stopwatch entries link with the forge URL, which may have changed.
        rebuildStopwatches();
        rebuildNotifications();
        refreshActions();
        refreshTexts(); // the clear-text token warning follows the URLs
    });

    rebuildStopwatches();
    rebuildNotifications();
    refreshActions();
    refreshTexts();
}

AccountMenuSection::~AccountMenuSection()
{
    // Submenus own their menuAction(): delete the plain actions directly, then the menus.
    for (QAction* action : std::as_const(m_stopwatchActions)) {
        if (action->parent() == m_menu)
            delete action;
    }
    qDeleteAll(m_stopwatchMenus);
    qDeleteAll(m_notificationActions);
    delete m_startMenu;
    delete m_boardsMenu;
    for (QAction* action : std::as_const(m_own)) {
        if (action->parent() == m_menu)
            delete action;
    }
}

QAction* AccountMenuSection::addAction(const QString& text)
{
    auto* action = new QAction(text, m_menu);
    m_menu->insertAction(m_anchor, action);
    m_own.append(action);
    return action;
}

QString AccountMenuSection::headerText() const
{
    const TrayState& state = m_controller->state();
    QString text;
    if (!state.hasReceivedState()) {
        text = state.connectionText();
    } else {
        const QString count = state.unreadCount() == 1
                                  ? tr("1 unread notification")
                                  : tr("%1 unread notifications").arg(state.unreadCount());
        text = count + u" · "_s + state.connectionText();
    }
    return m_title.isEmpty() ? text : m_title + u" — "_s + text;
}

void AccountMenuSection::refreshTexts()
{
    const TrayState& state = m_controller->state();
    const QString warning = m_controller->cleartextTokenWarning();
    m_header->setText(headerText());
    m_cleartextWarning->setText(u"\u26a0 "_s + warning);
    m_cleartextWarning->setToolTip(warning);
    m_cleartextWarning->setVisible(!warning.isEmpty());
    const auto& stopwatches = state.stopwatches();
    for (qsizetype i = 0; i < stopwatches.size() && i < m_stopwatchActions.size(); ++i)
        m_stopwatchActions[i]->setText(state.stopwatchLabel(stopwatches[i]));
}

void AccountMenuSection::rebuildStopwatches()
{
    // A submenu owns its menuAction(): delete the plain actions directly, then the menus.
    for (QAction* action : std::as_const(m_stopwatchActions)) {
        if (action->parent() == m_menu)
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
            auto* action = new QAction(state.stopwatchLabel(entry), m_menu);
            action->setEnabled(hasUrl);
            action->setToolTip(tr("Open the issue in the browser"));
            connect(action, &QAction::triggered, this, [this, url] { Q_EMIT openRequested(url); });
            m_menu->insertAction(m_stopwatchEnd, action);
            m_stopwatchActions.append(action);
            continue;
        }
        auto* submenu = new QMenu(state.stopwatchLabel(entry), m_menu);
        QAction* openIssue =
            submenu->addAction(tr("Open issue"), this, [this, url] { Q_EMIT openRequested(url); });
        openIssue->setEnabled(hasUrl);
        const protocol::Stopwatch stopwatch = entry.stopwatch;
        submenu->addAction(tr("Stop"), this, [this, stopwatch] { m_controller->stopStopwatch(stopwatch); });
        submenu->addAction(tr("Cancel"), this,
                           [this, stopwatch] { m_controller->cancelStopwatch(stopwatch); });
        m_menu->insertMenu(m_stopwatchEnd, submenu);
        m_stopwatchMenus.append(submenu);
        m_stopwatchActions.append(submenu->menuAction());
    }
    m_stopwatchEnd->setVisible(!m_stopwatchActions.isEmpty());
}

void AccountMenuSection::rebuildNotifications()
{
    qDeleteAll(m_notificationActions);
    m_notificationActions.clear();
    const NotificationList& list = m_controller->notifications();
    for (const ForgeNotification& n : list.entries()) {
        auto* action =
            new QAction(TrayIconPainter::kindIcon(n.kind), u"%1: %2"_s.arg(n.repo, n.title), m_menu);
        action->setToolTip(tr("Open in the browser and mark as read"));
        const qint64 id = n.id;
        const QUrl url = n.htmlUrl;
        connect(action, &QAction::triggered, this, [this, id, url] {
            Q_EMIT openRequested(url);
            m_controller->markNotificationRead(id);
        });
        m_menu->insertAction(m_notificationEnd, action);
        m_notificationActions.append(action);
    }
    m_notificationEnd->setVisible(!m_notificationActions.isEmpty());
}

void AccountMenuSection::fillStartMenu()
{
    m_startMenu->clear();
    QAction* loading = m_startMenu->addAction(tr("Loading your issues…"));
    loading->setEnabled(false);
    const QPointer<QMenu> menu = m_startMenu;
    m_controller->assignedIssues([this, menu](const QList<ForgeIssue>& issues) {
        if (!menu)
            return;
        menu->clear();
        if (issues.isEmpty()) {
            menu->addAction(tr("No open issues assigned to you"))->setEnabled(false);
            return;
        }
        for (const ForgeIssue& issue : issues) {
            menu->addAction(u"%1 %2"_s.arg(issue.reference(), issue.title), this,
                            [this, issue] { m_controller->startStopwatch(issue); });
        }
        // The menu was opened before the answer: let it resize to the new entries.
        menu->adjustSize();
    });
}

void AccountMenuSection::refreshActions()
{
    const TrayState::Status status = m_controller->state().status();
    const QUrl notifications = m_controller->notificationsUrl();
    const bool forge = m_controller->forgeActionsAvailable();
    m_openNotifications->setVisible(notifications.isValid() && !notifications.isEmpty());
    m_markAllRead->setVisible(forge);
    m_startMenu->menuAction()->setVisible(forge);
    m_signIn->setVisible(status == TrayState::Status::SignedOut || status == TrayState::Status::Unauthorized);
    m_reconnect->setVisible(status == TrayState::Status::Reconnecting);
    // Live boards come from a server; an account polling the forge directly has none.
    m_boardsMenu->menuAction()->setVisible(!m_controller->config().direct);
}

QStringList AccountMenuSection::stopwatchTexts() const
{
    QStringList texts;
    for (const QAction* action : m_stopwatchActions)
        texts.append(action->text());
    return texts;
}

QStringList AccountMenuSection::notificationTexts() const
{
    QStringList texts;
    for (const QAction* action : m_notificationActions)
        texts.append(action->text());
    return texts;
}

} // namespace forgewire
