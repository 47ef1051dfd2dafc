// The tray's direct mode (no forgewire-server): TrayController polls a stand-in forge itself with
// the server bridge's own poller (DirectForge over shared/forge). The count and the stopwatch appear
// within one poll, an action on the forge makes it poll at once, a refused token stops polling with a
// message until the token changes, and an unreachable forge shows as reconnecting and is backed off
// from; a 429 is waited out without the amber state; the notification list, mark-read and the
// notifications a desktop popup (and Do not disturb) sees work as with a server.

#include "FakeForge.h"
#include "ServerProcess.h"
#include "model/AccountSet.h"
#include "model/DirectForge.h"
#include "model/TrayController.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

constexpr qint64 kAlice = 7;
const QByteArray kToken = "0123456789abcdef0123456789abcdef01234567";

// Slow enough that "at once" is told apart from "the next regular poll".
PollSettings slowPolling()
{
    PollSettings settings;
    settings.minMs = 5'000;
    settings.stepMs = 0;
    settings.maxMs = 5'000;
    settings.outageMaxMs = 5'000;
    settings.jitter = 0;
    return settings;
}

} // namespace

class TestDirectForge : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void stateAppearsWithinOnePoll();
    void actionPollsAtOnce();
    void refusedTokenStopsPollingUntilChanged();
    void unreachableForgeBacksOff();
    void rateLimitIsHonoured();
    void notificationListAndMarkRead();
    void mixedWithAServerAccount();

private:
    std::unique_ptr<TrayController> startDirect(const PollSettings& settings = slowPolling());

    std::unique_ptr<FakeForge> m_forge;
};

void TestDirectForge::init()
{
    m_forge = std::make_unique<FakeForge>();
    m_forge->addAccount(kAlice, u"alice"_s, kToken);
    m_forge->accounts[kAlice].unread = 3;
    m_forge->accounts[kAlice].stopwatches = {
        FakeForge::stopwatch(7, u"Fix X"_s, QDateTime::currentDateTimeUtc().addSecs(-90))};
    QVERIFY(m_forge->start());
    m_forge->rememberPort();
}

std::unique_ptr<TrayController> TestDirectForge::startDirect(const PollSettings& settings)
{
    auto controller = std::make_unique<TrayController>();
    TrayController::Config config;
    config.direct = true;
    config.forgeUrl = m_forge->url();
    config.token = kToken;
    config.forgePoll = settings;
    config.notificationList = false;
    controller->configure(config);
    controller->start();
    return controller;
}

void TestDirectForge::stateAppearsWithinOnePoll()
{
    auto controller = startDirect();
    TrayState& state = controller->state();
    QTRY_COMPARE(state.status(), TrayState::Status::Connected);
    QTRY_COMPARE(state.unreadCount(), qint64(3));
    QTRY_COMPARE(state.stopwatches().size(), 1);
    QCOMPARE(state.stopwatches().first().stopwatch.issueTitle, u"Fix X"_s);
    QVERIFY(state.elapsedSeconds(state.stopwatches().first()) >= 90);
    // One poll: each route asked once, with the token, on the REST API.
    QCOMPARE(m_forge->count(u"/api/v1/notifications/new"_s), 1);
    QCOMPARE(m_forge->count(u"/api/v1/user/stopwatches"_s), 1);
    QVERIFY(controller->isRunning());
    QVERIFY(controller->connection() == nullptr); // no server anywhere
}

void TestDirectForge::actionPollsAtOnce()
{
    auto controller = startDirect();
    TrayState& state = controller->state();
    QTRY_COMPARE(state.stopwatches().size(), 1);
    QVERIFY(controller->forgeActionsAvailable());
    const int polls = m_forge->count(u"/api/v1/user/stopwatches"_s);
    controller->stopStopwatch(state.stopwatches().first().stopwatch);
    QTRY_COMPARE(m_forge->count("POST", u"/api/v1/repos/alice/proj/issues/7/stopwatch/stop"_s), 1);
    // Polled again right after the action, long before the 5 s interval.
    QTRY_VERIFY_WITH_TIMEOUT(m_forge->count(u"/api/v1/user/stopwatches"_s) > polls, 3'000);
    QTRY_VERIFY(state.stopwatches().isEmpty());
    m_forge->accounts[kAlice].unread = 4;
    controller->requestRefresh();
    QTRY_COMPARE_WITH_TIMEOUT(state.unreadCount(), qint64(4), 3'000);
}

void TestDirectForge::refusedTokenStopsPollingUntilChanged()
{
    m_forge->revoked.insert(kToken);
    auto controller = startDirect(PollSettings{200, 0, 200, 200, 0});
    TrayState& state = controller->state();
    QTRY_COMPARE(state.status(), TrayState::Status::Unauthorized);
    QVERIFY(controller->direct());
    QVERIFY2(controller->direct()->refusal().contains(u"refused the token"_s),
             qPrintable(controller->direct()->refusal()));
    // The menu says the forge's reason, not only "check Settings".
    QCOMPARE(state.refusal(), controller->direct()->refusal());
    QVERIFY2(state.connectionText().contains(u"HTTP 401"_s), qPrintable(state.connectionText()));
    const QString line = AccountSet::summaryLine(u"Codeberg"_s, state);
    QVERIFY2(line.contains(u"HTTP 401"_s), qPrintable(line));
    QVERIFY(state.tooltip().contains(u"HTTP 401"_s));
    // No more polls with the refused token, and it is said once: nothing shown changes meanwhile.
    QSignalSpy changes(&state, &TrayState::changed);
    const int polls = m_forge->count(u"/api/v1/notifications/new"_s);
    QTest::qWait(800);
    QCOMPARE(m_forge->count(u"/api/v1/notifications/new"_s), polls);
    QCOMPARE(changes.size(), 0);

    // A new token from Settings: polling resumes.
    const QByteArray fresh = "fedcba9876543210fedcba9876543210fedcba98";
    m_forge->addAccount(kAlice, u"alice"_s, fresh);
    TrayController::Config config = controller->config();
    config.token = fresh;
    controller->configure(config);
    controller->signInAgain();
    QTRY_COMPARE(state.status(), TrayState::Status::Connected);
    QTRY_COMPARE(state.unreadCount(), qint64(3));
    QVERIFY(state.refusal().isEmpty());
    QVERIFY(!state.connectionText().contains(u"HTTP 401"_s));
}

void TestDirectForge::unreachableForgeBacksOff()
{
    auto controller = startDirect(PollSettings{100, 0, 100, 1'600, 0});
    TrayState& state = controller->state();
    QTRY_COMPARE(state.unreadCount(), qint64(3));
    const quint16 port = m_forge->url().port();
    m_forge->stop();
    // In the forge's place, something that takes each connection and drops it: every attempt counts.
    QTcpServer broken;
    QVERIFY(broken.listen(QHostAddress::LocalHost, port));
    int attempts = 0;
    connect(&broken, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket* socket = broken.nextPendingConnection()) {
            ++attempts;
            socket->abort();
            socket->deleteLater();
        }
    });
    QTRY_COMPARE(state.status(), TrayState::Status::Reconnecting);
    QCOMPARE(state.unreadCount(), qint64(3)); // still shown while the forge is away
    QTest::qWait(2'500);
    // Doubling from 100 ms up to 1.6 s: about five rounds of two requests, not one every 100 ms.
    QVERIFY2(attempts >= 2 && attempts <= 16, qPrintable(QString::number(attempts)));
    broken.close();
    QVERIFY(m_forge->start(port));
    m_forge->accounts[kAlice].unread = 5;
    QTRY_COMPARE_WITH_TIMEOUT(state.unreadCount(), qint64(5), 5'000);
    QCOMPARE(state.status(), TrayState::Status::Connected);
}

void TestDirectForge::rateLimitIsHonoured()
{
    auto controller = startDirect(PollSettings{200, 0, 200, 200, 0});
    TrayState& state = controller->state();
    QTRY_COMPARE(state.unreadCount(), qint64(3));
    m_forge->retryAfter = "1";
    m_forge->rateLimitNext = 1;
    QTRY_VERIFY(std::any_of(m_forge->hits.cbegin(), m_forge->hits.cend(),
                            [](const auto& h) { return h.status == 429; }));
    const qint64 limitedAt = std::find_if(m_forge->hits.cbegin(), m_forge->hits.cend(), [](const auto& h) {
                                 return h.status == 429;
                             })->atMs;
    // The other half of that round may land right after; the next round waits Retry-After.
    QTRY_VERIFY_WITH_TIMEOUT(m_forge->count(u"/api/v1/notifications/new"_s, limitedAt + 50) >= 1, 3'000);
    const qint64 next = m_forge->times(u"/api/v1/notifications/new"_s, limitedAt + 50).first();
    QVERIFY2(next - limitedAt >= 900, qPrintable(QString::number(next - limitedAt)));
    // The forge answered: no amber "reconnecting" for a rate limit.
    QCOMPARE(state.status(), TrayState::Status::Connected);
    QVERIFY(!state.statusLine().contains(u"reconnecting"_s));
}

void TestDirectForge::notificationListAndMarkRead()
{
    m_forge->accounts[kAlice].unread = 0;
    m_forge->addThread(kAlice, m_forge->thread(1, u"Issue"_s, u"Crash"_s, 7));
    auto controller = std::make_unique<TrayController>();
    TrayController::Config config;
    config.direct = true;
    config.forgeUrl = m_forge->url();
    config.token = kToken;
    config.forgePoll = slowPolling();
    controller->configure(config);
    QSignalSpy arrived(controller.get(), &TrayController::notificationsArrived);
    controller->start();
    TrayState& state = controller->state();
    QTRY_COMPARE(state.unreadCount(), qint64(1));
    QTRY_COMPARE(controller->notifications().entries().size(), 1);
    QCOMPARE(arrived.size(), 0); // the backlog is no news

    // A new one: an action's refresh polls at once, the list follows, and it is news (what the
    // desktop notification and its Do not disturb gate get, as from a server).
    m_forge->addThread(kAlice, m_forge->thread(2, u"Pull"_s, u"Fix"_s, 8));
    QVERIFY(controller->requestRefresh());
    QTRY_COMPARE_WITH_TIMEOUT(state.unreadCount(), qint64(2), 3'000);
    QTRY_COMPARE(arrived.size(), 1);
    QCOMPARE(arrived.first().first().value<QList<ForgeNotification>>().first().title, u"Fix"_s);

    // Opening one marks it read on the forge and polls at once: the count drops long before 5 s.
    controller->markNotificationRead(2);
    QTRY_COMPARE_WITH_TIMEOUT(state.unreadCount(), qint64(1), 3'000);
    QCOMPARE(m_forge->count("PATCH", u"/api/v1/notifications/threads/2"_s), 1);
    QCOMPARE(controller->notifications().entries().size(), 1);

    controller->markAllRead();
    QTRY_COMPARE_WITH_TIMEOUT(state.unreadCount(), qint64(0), 3'000);
    QVERIFY(controller->notifications().entries().isEmpty());
}

void TestDirectForge::mixedWithAServerAccount()
{
    // Two accounts on one icon: a work Gitea through forgewire-server, and Codeberg directly.
    ServerProcess server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    QCOMPARE(server.admin("PUT", u"/api/v1/users/7/notification-count"_s, R"({"count":2})").status, 202);
    TrayController viaServer;
    TrayController::Config config;
    config.serverUrl = server.wsUrl();
    config.token = ServerProcess::kStaticToken;
    config.notificationList = false;
    viaServer.configure(config);
    viaServer.start();
    auto direct = startDirect();
    AccountSet accounts;
    accounts.add(&viaServer, u"work"_s);
    accounts.add(direct.get(), u"codeberg"_s);
    QTRY_COMPARE(viaServer.state().unreadCount(), qint64(2));
    QTRY_COMPARE(direct->state().unreadCount(), qint64(3));
    QCOMPARE(accounts.totalUnread(), qint64(5));
    QVERIFY(viaServer.connection() != nullptr && direct->connection() == nullptr);
    // Each goes on by itself: the server's push, the forge's poll.
    QCOMPARE(server.admin("PUT", u"/api/v1/users/7/notification-count"_s, R"({"count":6})").status, 202);
    QTRY_COMPARE(accounts.totalUnread(), qint64(9));
}

QTEST_MAIN(TestDirectForge)
#include "tst_directforge.moc"
