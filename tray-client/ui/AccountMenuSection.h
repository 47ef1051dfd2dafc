#pragma once

#include <QList>
#include <QObject>
#include <QPointer>
#include <QUrl>

class QAction;
class QMenu;

namespace forgewire {

class BoardsMenu;
class TrayController;

// One account's part of the tray menu, inserted into the shared menu before `anchor`: a header (count
// and connection), the clear-text warning, running stopwatches, the latest unread notifications and
// the account's actions. Other per-account entries (a "Boards" submenu) go in at extrasAnchor().
class AccountMenuSection : public QObject
{
    Q_OBJECT
public:
    // `title` is empty when the tray has only this account (its header then needs no name).
    AccountMenuSection(TrayController* controller, const QString& title, QMenu* menu, QAction* anchor,
                       QObject* parent = nullptr);
    ~AccountMenuSection() override;

    TrayController* controller() const { return m_controller; }
    QString headerText() const;
    QStringList stopwatchTexts() const;
    QStringList notificationTexts() const;
    // Insert per-account submenus (e.g. boards) before this action; it belongs to the section.
    QAction* extrasAnchor() const { return m_extrasEnd; }
    // The account's "Boards" submenu (list-boards; one window per board).
    BoardsMenu* boardsMenu() const { return m_boardsMenu; }

Q_SIGNALS:
    void openRequested(const QUrl& url);

private:
    QAction* addAction(const QString& text);
    void refreshTexts();
    void refreshActions();
    void rebuildStopwatches();
    void rebuildNotifications();
    void fillStartMenu();

    QPointer<TrayController> m_controller;
    QString m_title;
    QMenu* m_menu;
    QAction* m_anchor;
    QList<QAction*> m_own; // every action of the section in the shared menu
    QAction* m_header = nullptr;
    QAction* m_cleartextWarning = nullptr;
    QAction* m_stopwatchEnd = nullptr;
    QAction* m_notificationEnd = nullptr;
    QAction* m_extrasEnd = nullptr;
    // One entry per running stopwatch: a plain link to the issue, or (with forge actions) the
    // menuAction() of a submenu in m_stopwatchMenus with Open issue / Stop / Cancel.
    QList<QAction*> m_stopwatchActions;
    QList<QMenu*> m_stopwatchMenus;
    QList<QAction*> m_notificationActions;
    QAction* m_markAllRead = nullptr;
    QAction* m_openNotifications = nullptr;
    QMenu* m_startMenu = nullptr;
    BoardsMenu* m_boardsMenu = nullptr;
    QAction* m_signIn = nullptr;
    QAction* m_reconnect = nullptr;
};

} // namespace forgewire
