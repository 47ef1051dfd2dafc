#pragma once

#include "model/BoardWatcher.h"
#include "platform/DesktopNotifier.h"
#include "platform/NotificationGate.h"
#include "ui/TrayIconPainter.h"

#include <QMenu>
#include <QObject>
#include <QSystemTrayIcon>
#include <QUrl>

#include <memory>
#include <vector>

namespace forgewire {

class AccountMenuSection;
class AccountSet;
class TrayController;

// The icon in the system tray: badge with the total unread count of every account, a look per
// connection state, a tooltip with the split, and the menu: a section per account (see
// AccountMenuSection), then Do not disturb, Settings and Quit.
class TrayIcon : public QObject
{
    Q_OBJECT
public:
    // How long the fallback balloon stays when there is no notification server.
    static constexpr int kBalloonTimeoutMs = 10'000;

    explicit TrayIcon(AccountSet* accounts, const QDBusConnection& bus = QDBusConnection::sessionBus(),
                      QObject* parent = nullptr);
    ~TrayIcon() override;

    QSystemTrayIcon& systemTrayIcon() { return m_tray; }
    QMenu& menu() { return m_menu; }
    NotificationGate& gate() { return m_gate; }
    void show() { m_tray.show(); }
    // A desktop notification when a notification server runs, the tray's balloon otherwise; nothing
    // while Do not disturb silences the kind.
    void notify(const BoardNotification& notification);

    // Texts of the menu's stopwatch / notification entries over all accounts, in order (for tests and
    // accessibility tools).
    QStringList stopwatchTexts() const;
    QStringList notificationTexts() const;
    // The first account's header.
    QString headerText() const;
    const std::vector<std::unique_ptr<AccountMenuSection>>& sections() const { return m_sections; }

Q_SIGNALS:
    void settingsRequested();
    void quitRequested();
    // The menu's Do not disturb toggle changed the rules (to be saved).
    void doNotDisturbChanged(const forgewire::DoNotDisturb& rules);

private:
    void rebuildSections();
    void watch(TrayController* controller);
    void refreshIcon();
    void refreshTexts();
    void show(DoNotDisturb::Kind kind, const QString& key, const QString& title, const QString& body,
              const QUrl& url);
    void showBalloon(const QString& title, const QString& body, const QUrl& url);
    static void open(const QUrl& url);

    AccountSet* m_accounts;
    DesktopNotifier m_notifier;
    NotificationGate m_gate;
    QSystemTrayIcon m_tray;
    QMenu m_menu;
    QAction* m_sectionsEnd = nullptr;
    QAction* m_doNotDisturb = nullptr;
    // Declared after m_menu: destroyed first, while the menu their actions are in still exists.
    std::vector<std::unique_ptr<AccountMenuSection>> m_sections;
    QList<TrayController*> m_watched;
    QUrl m_balloonUrl;
    // The icon is only re-rendered when what it shows changes, not on every stopwatch tick.
    TrayIconPainter::Look m_look = TrayIconPainter::Look::Disconnected;
    QString m_badge;
    bool m_iconSet = false;
};

} // namespace forgewire
