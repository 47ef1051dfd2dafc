// The tray's direct mode (no forgewire-server): TrayController polls a stand-in forge itself with
// the server bridge's own poller (DirectForge over shared/forge). The count and the stopwatch appear
// within one poll, an action on the forge makes it poll at once, a refused token stops polling with a
// message until the token changes, and an unreachable forge shows as reconnecting and is backed off
// from.

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
    // No more polls with the refused token.
    const int polls = m_forge->count(u"/api/v1/notifications/new"_s);
    QTest::qWait(800);
    QCOMPARE(m_forge->count(u"/api/v1/notifications/new"_s), polls);

    // A new token from Settings: polling resumes.
    const QByteArray fresh = "fedcba9876543210fedcba9876543210fedcba98";
    m_forge->addAccount(kAlice, u"alice"_s, fresh);
    TrayController::Config config = controller->config();
    config.token = fresh;
    controller->configure(config);
    controller->signInAgain();
    QTRY_COMPARE(state.status(), TrayState::Status::Connected);
    QTRY_COMPARE(state.unreadCount(), qint64(3));
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
