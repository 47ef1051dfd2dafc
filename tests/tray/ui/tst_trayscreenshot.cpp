// The tray icon in a real XEmbed tray (trayer on Xvfb, see run-under-xvfb.sh): the badge, the open
// menu with the ticking stopwatch, the reconnecting look and the balloon fallback for notifications.
// Also two accounts with the unread notification list (from FakeForge), the settings dialog in
// English and German, and Do not disturb keeping the balloon away.
// Screenshots go to FORGEWIRE_ARTIFACTS_DIR (build/artifacts).

#include "FakeForge.h"
#include "SampleBoard.h"
#include "app/Translations.h"
#include "model/AccountSet.h"
#include "model/LiveBoards.h"
#include "model/TrayController.h"
#include "ui/AccountMenuSection.h"
#include "ui/BoardWindow.h"
#include "ui/SettingsDialog.h"
#include "ui/TrayIcon.h"
#include "ui/TrayIconPainter.h"

#include <QApplication>
#include <QDir>
#include <QListWidget>
#include <QScreen>
#include <QSignalSpy>
#include <QStyleFactory>
#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

namespace {

constexpr int kTrayWaitMs = 10'000;
// trayer's --height in run-under-xvfb.sh.
constexpr int kTrayHeight = 32;

protocol::Stopwatch stopwatch()
{
    protocol::Stopwatch s;
    // Started 5025 s ago, so `created` and `seconds` agree (the label counts from the later of the two).
    s.created = QDateTime::currentDateTimeUtc().addSecs(-5025);
    s.seconds = 5025;
    s.issueIndex = 7;
    s.issueTitle = u"Fix X"_s;
    s.repoOwnerName = u"alice"_s;
    s.repoName = u"proj"_s;
    return s;
}

int pixelsNear(const QImage& image, const QRect& rect, const QColor& colour)
{
    int count = 0;
    const QRect area = rect.intersected(image.rect());
    for (int y = area.top(); y <= area.bottom(); ++y) {
        for (int x = area.left(); x <= area.right(); ++x) {
            const QColor c = image.pixelColor(x, y);
            count += std::abs(c.red() - colour.red()) < 24 && std::abs(c.green() - colour.green()) < 24 &&
                     std::abs(c.blue() - colour.blue()) < 24;
        }
    }
    return count;
}

QRect boundingBoxOf(const QImage& image, const QColor& colour)
{
    QRect box;
    for (int y = 0; y < image.height(); ++y) {
        for (int x = 0; x < image.width(); ++x) {
            if (pixelsNear(image, QRect(x, y, 1, 1), colour))
                box = box.united(QRect(x, y, 1, 1));
        }
    }
    return box;
}

int distinctColours(const QImage& image, const QRect& rect)
{
    QSet<QRgb> colours;
    const QRect area = rect.intersected(image.rect());
    for (int y = area.top(); y <= area.bottom(); ++y) {
        for (int x = area.left(); x <= area.right(); ++x)
            colours.insert(image.pixel(x, y));
    }
    return int(colours.size());
}

const QByteArray kForgeToken = "0123456789abcdef0123456789abcdef01234567";

// A fake Gitea with alice (account 42, kForgeToken) and one unread issue notification.
bool startForge(test::FakeForge& forge)
{
    forge.addAccount(42, u"alice"_s, kForgeToken);
    if (!forge.start())
        return false;
    forge.rememberPort();
    forge.addThread(42, forge.thread(1, u"Issue"_s, u"Crash on start"_s, 7));
    return true;
}

} // namespace

class TestTrayScreenshot : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void badgeAndOpenMenu();
    void reconnectingLook();
    void balloonWhenNoNotificationServer();
    void severalAccountsWithNotifications();
    void directModeMenu();
    void settingsDialog();
    void doNotDisturbKeepsTheBalloonAway();
    void boardWindow_data();
    void boardWindow();

private:
    QImage screenshot(const QString& name);
    bool waitForIcon();

    TrayController m_controller;
    AccountSet m_accounts;
    std::unique_ptr<TrayIcon> m_icon;
    QString m_artifacts;
};

void TestTrayScreenshot::initTestCase()
{
    if (qEnvironmentVariableIsSet("FORGEWIRE_XVFB_MISSING"))
        QSKIP(qPrintable(u"screenshot test skipped: "_s + qEnvironmentVariable("FORGEWIRE_XVFB_MISSING")));
    QCOMPARE(QGuiApplication::platformName(), u"xcb"_s);
    m_artifacts = qEnvironmentVariable("FORGEWIRE_ARTIFACTS_DIR");
    QVERIFY(!m_artifacts.isEmpty());
    QVERIFY(QDir().mkpath(m_artifacts));
    // trayer starts next to the test; wait until it owns the tray selection.
    QTRY_VERIFY_WITH_TIMEOUT(QSystemTrayIcon::isSystemTrayAvailable(), kTrayWaitMs);

    TrayController::Config config;
    config.forgeUrl = QUrl(u"https://forge.example.org"_s);
    m_controller.configure(config);
    TrayState& state = m_controller.state();
    state.setConnectionState(SharedConnection::State::Connected);
    state.apply(protocol::Hello{protocol::UserInfo{7, u"alice"_s}, u"s"_s, 25});
    state.apply(protocol::NotificationCount{7});
    state.apply(protocol::Stopwatches{{stopwatch()}});

    m_accounts.add(&m_controller, u"Example"_s);
    m_icon = std::make_unique<TrayIcon>(&m_accounts);
    m_icon->show();
    QVERIFY2(waitForIcon(), "the icon never got embedded in trayer");
}

bool TestTrayScreenshot::waitForIcon()
{
    return QTest::qWaitFor(
        [this] {
            const QRect g = m_icon->systemTrayIcon().geometry();
            return g.isValid() && g.width() >= 16 && QGuiApplication::primaryScreen()->geometry().contains(g);
        },
        kTrayWaitMs);
}

QImage TestTrayScreenshot::screenshot(const QString& name)
{
    // Let the tray and the menu paint.
    QTest::qWait(400);
    const QImage image = QGuiApplication::primaryScreen()->grabWindow(0).toImage();
    const QString path = m_artifacts + u'/' + name;
    if (!image.save(path))
        qWarning("could not save %s", qPrintable(path));
    qInfo("screenshot: %s", qPrintable(path));
    return image;
}

void TestTrayScreenshot::badgeAndOpenMenu()
{
    QVERIFY(m_icon->systemTrayIcon().toolTip().contains(u"7 unread notifications"_s));
    QCOMPARE(m_icon->stopwatchTexts(), QStringList{u"alice/proj#7 Fix X — 01:23:45"_s});

    // QSystemTrayIcon::geometry() does not know where trayer reparented the icon, so find the badge
    // on the screen: trayer sits at the top right edge, 32 px high.
    const QImage tray = screenshot(u"tray-icon.png"_s);
    const QRect badge = boundingBoxOf(tray, TrayIconPainter::kBadgeColor);
    const QRect screen = QGuiApplication::primaryScreen()->geometry();
    QVERIFY2(!badge.isEmpty(), "no badge-coloured pixels on the screen");
    QVERIFY2(
        badge.bottom() < kTrayHeight && badge.left() > screen.width() / 2,
        qPrintable(
            u"badge at %1,%2 %3x%4"_s.arg(badge.x()).arg(badge.y()).arg(badge.width()).arg(badge.height())));
    QVERIFY(pixelsNear(tray, badge, TrayIconPainter::kBadgeColor) > badge.width() * badge.height() / 3);
    // The connected tile's blue is right next to it.
    QVERIFY(pixelsNear(tray, badge.adjusted(-kTrayHeight, 0, 0, kTrayHeight), QColor(0x2f, 0x6f, 0xdb)) > 0);

    QMenu& menu = m_icon->menu();
    menu.popup(QPoint(badge.right(), kTrayHeight + 2));
    QTRY_VERIFY(menu.isVisible());
    const QImage image = screenshot(u"tray-badge.png"_s);
    QVERIFY(QFileInfo(m_artifacts + u"/tray-badge.png"_s).size() > 0);
    // The menu is on screen with text in it, and the badge still shows next to it.
    QVERIFY(distinctColours(image, menu.geometry()) > 8);
    QVERIFY(pixelsNear(image, badge, TrayIconPainter::kBadgeColor) > 0);

    // The stopwatch entry ticks while the menu is open.
    QTRY_COMPARE_WITH_TIMEOUT(m_icon->stopwatchTexts(), QStringList{u"alice/proj#7 Fix X — 01:23:46"_s},
                              3000);
    screenshot(u"tray-menu-ticked.png"_s);
    menu.hide();
}

void TestTrayScreenshot::reconnectingLook()
{
    m_controller.state().setConnectionState(SharedConnection::State::Reconnecting, 3200);
    QVERIFY(m_icon->systemTrayIcon().toolTip().contains(u"Reconnecting in 4 s"_s));
    const QImage image = screenshot(u"tray-reconnecting.png"_s);
    const QRect trayStrip(0, 0, image.width(), kTrayHeight);
    // Amber tile instead of the blue one, badge still there (the count is kept while reconnecting).
    QVERIFY(pixelsNear(image, trayStrip, QColor(0xe8, 0x89, 0x0c)) > 0);
    QCOMPARE(pixelsNear(image, trayStrip, QColor(0x2f, 0x6f, 0xdb)), 0);
    QVERIFY(pixelsNear(image, trayStrip, TrayIconPainter::kBadgeColor) > 0);
    m_controller.state().setConnectionState(SharedConnection::State::Connected);
}

void TestTrayScreenshot::balloonWhenNoNotificationServer()
{
    BoardNotification n;
    n.projectId = 42;
    n.title = u"Roadmap"_s;
    n.body = u"3 changes\n• alice/proj#1 moved to “Done”"_s;
    n.changes = 3;
    m_icon->notify(n);
    QWidget* balloon = nullptr;
    QTRY_VERIFY(([&] {
        for (QWidget* w : QApplication::topLevelWidgets()) {
            if (w->isVisible() && QByteArray(w->metaObject()->className()) == "QBalloonTip")
                balloon = w;
        }
        return balloon != nullptr;
    }()));
    const QImage image = screenshot(u"tray-notification.png"_s);
    QVERIFY(distinctColours(image, balloon->geometry()) > 8);
}

void TestTrayScreenshot::severalAccountsWithNotifications()
{
    // The second account talks to a fake Gitea: its list of unread notifications is real HTTP.
    test::FakeForge forge;
    QVERIFY(startForge(forge));
    const QByteArray token = kForgeToken;
    forge.addThread(42, forge.thread(2, u"Pull"_s, u"Fix the crash"_s, 8, u"bob/lib"_s));
    forge.addThread(42, forge.thread(3, u"Release"_s, u"v1.0"_s, 3));

    TrayController work;
    TrayController::Config config;
    config.forgeUrl = forge.url();
    config.token = token;
    work.configure(config);
    work.state().setConnectionState(SharedConnection::State::Connected);
    work.state().apply(protocol::Hello{protocol::UserInfo{42, u"alice"_s}, u"w"_s, 25});
    work.state().apply(protocol::NotificationCount{3});
    m_accounts.add(&work, u"Work Gitea"_s);
    QTRY_COMPARE(m_icon->notificationTexts().size(), 3);
    QCOMPARE(m_icon->notificationTexts().first(), u"alice/proj: v1.0"_s);
    QCOMPARE(m_icon->sections().size(), std::size_t(2));
    QVERIFY(m_icon->sections().front()->headerText().startsWith(u"Example — 7 unread"_s));
    QVERIFY(m_icon->sections().back()->headerText().startsWith(u"Work Gitea — 3 unread"_s));
    // The badge shows the total, the tooltip the split.
    const QString tooltip = m_icon->systemTrayIcon().toolTip();
    QVERIFY2(tooltip.contains(u"10 unread notifications in total"_s), qPrintable(tooltip));
    QVERIFY(tooltip.contains(u"Work Gitea: 3 unread"_s));

    QMenu& menu = m_icon->menu();
    menu.popup(QPoint(QGuiApplication::primaryScreen()->geometry().width() - 10, kTrayHeight + 2));
    QTRY_VERIFY(menu.isVisible());
    const QImage image = screenshot(u"tray-menu-accounts.png"_s);
    QVERIFY(distinctColours(image, menu.geometry()) > 8);
    // The kind icons: Gitea's pull-request purple is somewhere in the menu.
    QVERIFY(pixelsNear(image, menu.geometry(), QColor(0x8e, 0x44, 0xad)) > 0);
    menu.hide();
    m_accounts.remove(&work);
}

void TestTrayScreenshot::directModeMenu()
{
    // An account with no server: the tray polls a (fake) Codeberg itself.
    test::FakeForge forge;
    QVERIFY(startForge(forge));
    const QByteArray token = kForgeToken;
    forge.accounts[42].stopwatches = {test::FakeForge::stopwatch(
        9, u"Direct mode"_s, QDateTime::currentDateTimeUtc().addSecs(-125), u"alice"_s, u"tray"_s)};
    TrayController direct;
    TrayController::Config config;
    config.direct = true;
    config.forgeUrl = forge.url();
    config.token = token;
    direct.configure(config);
    direct.start();
    m_accounts.add(&direct, u"Codeberg"_s);
    QTRY_VERIFY_WITH_TIMEOUT(direct.state().status() == TrayState::Status::Connected, 5000);
    QTRY_COMPARE(direct.state().unreadCount(), qint64(1));
    QTRY_COMPARE(m_icon->sections().size(), std::size_t(2));
    QTRY_VERIFY(m_icon->sections().back()->headerText().startsWith(u"Codeberg — 1 unread"_s));
    // The forge says who the token is (the header names the login), and boards need a server.
    QTRY_VERIFY2(m_icon->sections().back()->headerText().contains(u"alice"_s),
                 qPrintable(m_icon->sections().back()->headerText()));
    QTRY_VERIFY(m_icon->stopwatchTexts().join(u' ').contains(u"alice/tray#9 Direct mode"_s));
    QVERIFY(direct.forgeActionsAvailable());

    QMenu& menu = m_icon->menu();
    menu.popup(QPoint(QGuiApplication::primaryScreen()->geometry().width() - 10, kTrayHeight + 2));
    QTRY_VERIFY(menu.isVisible());
    const QImage image = screenshot(u"tray-menu-direct.png"_s);
    QVERIFY(distinctColours(image, menu.geometry()) > 8);
    menu.hide();
    m_accounts.remove(&direct);
}

void TestTrayScreenshot::settingsDialog()
{
    SettingsDialog::Account codeberg;
    codeberg.settings.name = u"Codeberg"_s;
    codeberg.settings.serverUrl = QUrl(u"wss://push.codeberg.example/-/ws"_s);
    codeberg.settings.forgeUrl = QUrl(u"https://codeberg.example"_s);
    codeberg.hasToken = true;
    SettingsDialog::Account work;
    work.settings.name = u"Work Gitea"_s;
    work.settings.serverUrl = QUrl(u"wss://git.work.example/push/-/ws"_s);
    work.settings.watchedBoards = {42};
    DoNotDisturb quiet;
    quiet.scheduled = true;
    for (const bool german : {false, true}) {
        if (german)
            QVERIFY(Translations::install(QLocale(QLocale::German, QLocale::Germany)));
        SettingsDialog dialog({codeberg, work}, true, quiet);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QCOMPARE(dialog.windowTitle(), german ? u"Forgewire-Einstellungen"_s : u"Forgewire Settings"_s);
        const QString name = german ? u"tray-settings-de.png"_s : u"tray-settings.png"_s;
        QVERIFY(dialog.grab().save(m_artifacts + u'/' + name));
        qInfo("screenshot: %s", qPrintable(m_artifacts + u'/' + name));
        dialog.selectAccount(1);
        QCOMPARE(dialog.settings().name, u"Work Gitea"_s);
    }
    Translations::install(QLocale(QLocale::English));
}

void TestTrayScreenshot::doNotDisturbKeepsTheBalloonAway()
{
    // Let the balloon of the earlier test go.
    const auto balloonVisible = [] {
        for (QWidget* w : QApplication::topLevelWidgets()) {
            if (w->isVisible() && QByteArray(w->metaObject()->className()) == "QBalloonTip")
                return true;
        }
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(!balloonVisible(), TrayIcon::kBalloonTimeoutMs + 2000);
    QAction* toggle = nullptr;
    for (QAction* action : m_icon->menu().actions()) {
        if (action->text() == u"Do not disturb"_s)
            toggle = action;
    }
    QVERIFY(toggle && toggle->isCheckable());
    QSignalSpy saved(m_icon.get(), &TrayIcon::doNotDisturbChanged);
    toggle->trigger();
    QCOMPARE(saved.size(), 1);
    QVERIFY(m_icon->gate().rules().enabled);
    QVERIFY(m_icon->systemTrayIcon().toolTip().endsWith(u"Do not disturb"_s));

    BoardNotification n;
    n.projectId = 42;
    n.title = u"Quiet please"_s;
    n.body = u"1 change"_s;
    m_icon->notify(n);
    QTest::qWait(500);
    QVERIFY(!balloonVisible());
    QCOMPARE(m_icon->gate().silencedCount(), 1);
    toggle->trigger();
    QVERIFY(!m_icon->gate().rules().enabled);
}

void TestTrayScreenshot::boardWindow_data()
{
    QTest::addColumn<bool>("dark");
    QTest::newRow("light") << false;
    QTest::newRow("dark") << true;
}

void TestTrayScreenshot::boardWindow()
{
    QFETCH(bool, dark);
    // The desktop's palette, as a light or a dark desktop theme would set it (Fusion follows it fully).
    const QPalette original = QApplication::palette();
    QApplication::setStyle(QStyleFactory::create(u"Fusion"_s));
    QPalette palette = QApplication::style()->standardPalette();
    if (dark) {
        palette.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2b));
        palette.setColor(QPalette::WindowText, QColor(0xee, 0xee, 0xee));
        palette.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
        palette.setColor(QPalette::AlternateBase, QColor(0x26, 0x26, 0x26));
        palette.setColor(QPalette::Text, QColor(0xee, 0xee, 0xee));
        palette.setColor(QPalette::Button, QColor(0x3a, 0x3a, 0x3a));
        palette.setColor(QPalette::ButtonText, QColor(0xee, 0xee, 0xee));
        palette.setColor(QPalette::PlaceholderText, QColor(0x99, 0x99, 0x99));
        palette.setColor(QPalette::Highlight, QColor(0x3d, 0x8e, 0xe6));
        palette.setColor(QPalette::HighlightedText, Qt::white);
        palette.setColor(QPalette::Disabled, QPalette::Text, QColor(0x77, 0x77, 0x77));
    }
    QApplication::setPalette(palette);

    {
        BoardWindow window(&m_controller, 42);
        LiveBoards& live = m_controller.liveBoards();
        live.setConnected(true);
        live.handle(protocol::Subscribed{u"project-board.42"_s});
        live.handle(protocol::BoardSnapshot{u"project-board.42"_s, 17, test::sampleBoard()});
        live.handle(test::sampleMove(42, 13, 3, 1, 2, 5, 18));
        window.setGeometry(40, 90, 700, 420);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(window.highlightedIssue(), 13);
        QCOMPARE(window.statusText(), QString());
        const QImage image = screenshot(dark ? u"board-window-dark.png"_s : u"board-window-light.png"_s);
        const QRect area = window.frameGeometry();
        // The window's background is the palette's, the moved card carries the highlight colour and
        // each column its own colour stripe.
        QVERIFY(pixelsNear(image, area, palette.color(QPalette::Window)) > area.width() * area.height() / 10);
        QVERIFY(pixelsNear(image, area, palette.color(QPalette::Highlight)) > 200);
        for (const char* stripe : {"#3a87ad", "#e8890c", "#2ecc71"})
            QVERIFY2(pixelsNear(image, area, QColor::fromString(QLatin1StringView(stripe))) > 100, stripe);
        window.close();
    }
    QApplication::setPalette(original);
}

QTEST_MAIN(TestTrayScreenshot)
#include "tst_trayscreenshot.moc"
