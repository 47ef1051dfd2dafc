#pragma once

#include "model/BoardWatcher.h"
#include "platform/DesktopNotifier.h"
#include "ui/TrayIconPainter.h"

#include <QMenu>
#include <QObject>
#include <QSystemTrayIcon>
#include <QUrl>

namespace forgewire {

class BoardsMenu;
class TrayController;

// The icon in the system tray: badge with the unread count, a look per connection state, a tooltip,
// and the menu with the running stopwatches ticking every second.
class TrayIcon : public QObject
{
    Q_OBJECT
public:
    // How long the fallback balloon stays when there is no notification server.
    static constexpr int kBalloonTimeoutMs = 10'000;

    explicit TrayIcon(TrayController* controller, QObject* parent = nullptr);

    QSystemTrayIcon& systemTrayIcon() { return m_tray; }
    QMenu& menu() { return m_menu; }
    BoardsMenu* boardsMenu() const { return m_boardsMenu; }
    void show() { m_tray.show(); }
    // A desktop notification when a notification server runs, the tray's balloon otherwise.
    void notify(const BoardNotification& notification);

    // Texts of the menu's stopwatch entries, in order (for tests and accessibility tools).
    QStringList stopwatchTexts() const;
    QString headerText() const;

Q_SIGNALS:
    void settingsRequested();
    void quitRequested();

private:
    void refreshIcon();
    void refreshTexts();
    void rebuildStopwatches();
    void refreshActions();
    void showBalloon(const QString& title, const QString& body, const QUrl& url);
    static void open(const QUrl& url);

    TrayController* m_controller;
    DesktopNotifier m_notifier;
    QSystemTrayIcon m_tray;
    QMenu m_menu;
    QAction* m_header = nullptr;
    QAction* m_cleartextWarning = nullptr; // shown while the token would travel unencrypted
    QAction* m_stopwatchEnd = nullptr;
    // One entry per running stopwatch: a plain link to the issue, or (with forge actions) the
    // menuAction() of a submenu in m_stopwatchMenus with Open issue / Stop / Cancel.
    QList<QAction*> m_stopwatchActions;
    QList<QMenu*> m_stopwatchMenus;
    QAction* m_markAllRead = nullptr;
    QAction* m_openNotifications = nullptr;
    QAction* m_signIn = nullptr;
    QAction* m_reconnect = nullptr;
    BoardsMenu* m_boardsMenu = nullptr;
    QUrl m_balloonUrl;
    // The icon is only re-rendered when what it shows changes, not on every stopwatch tick.
    TrayIconPainter::Look m_look = TrayIconPainter::Look::Disconnected;
    QString m_badge;
    bool m_iconSet = false;
};

} // namespace forgewire
