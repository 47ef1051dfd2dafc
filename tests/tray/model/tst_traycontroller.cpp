// TrayController against the real forgewire-server: retained and live state, board notifications
// (folded bursts, own echoes dropped), logout here and elsewhere, signing in again; forge actions
// against a fake Gitea on loopback, end to end through a bridge-mode server.

#include "FakeForge.h"
#include "ServerProcess.h"
#include "client/SharedConnection.h"
#include "forge/ForgeActions.h"
#include "model/TrayController.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using Status = TrayState::Status;

namespace {

// Started 5025 s ago, as the forge would publish it now: `created` and `seconds` agree.
QByteArray stopwatchStartedAgo(qint64 seconds = 5025)
{
    const QDateTime created = QDateTime::currentDateTimeUtc().addSecs(-seconds);
    return R"([{"created":")" + created.toString(Qt::ISODateWithMs).toLatin1() + R"(","seconds":)" +
           QByteArray::number(seconds) +
           R"(,"issue_index":7,)"
           R"("issue_title":"Fix X","repo_owner_name":"alice","repo_name":"proj"}])";
}

QByteArray cardMoved(int index, const QString& sessionTag = {})
{
    QJsonObject body{{u"event"_s, u"card.moved"_s},
                     {u"data"_s, QJsonObject{{u"issue_id"_s, 1},
                                             {u"issue_index"_s, index},
                                             {u"repo"_s, u"alice/proj"_s},
                                             {u"from_column_id"_s, 1},
                                             {u"to_column_id"_s, 2},
                                             {u"sorting"_s, 0}}}};
    if (!sessionTag.isEmpty())
        body.insert(u"session_tag"_s, sessionTag);
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

QStringList typesOf(const QSignalSpy& spy)
{
    QStringList types;
    for (const auto& args : spy)
        types.append(protocol::typeName(args.at(0).value<protocol::ServerMessage>()));
    return types;
}

} // namespace

class TestTrayController : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void retainedStateThenLiveUpdates();
    void boardNotifications();
    void unwatchingUnsubscribes();
    void logoutElsewhereIsIgnored();
    void logoutHereSignsOutUntilSignedInAgain();
    void forgeActionsNeedForgeUrlAndToken_data();
    void forgeActionsNeedForgeUrlAndToken();
    void forgeActionFailuresAreReported();
    void stopStopwatchThroughBridge();
    void cancelStopwatchThroughBridge();
    void markAllReadThroughBridge();
    void notificationListFollowsThePushedCount();
    void startStopwatchThroughBridge();
    void sendsTokenInClear_data();
    void sendsTokenInClear();
    void cleartextTokenWarning_data();
    void cleartextTokenWarning();

private:
    TrayController::Config config(const QList<qint64>& boards = {}) const
    {
        TrayController::Config c;
        c.serverUrl = m_server.wsUrl();
        c.token = ServerProcess::kStaticToken;
        c.forgeUrl = QUrl(u"https://forge.example.org"_s);
        c.watchedBoards = boards;
        return c;
    }

    // A bridge-mode server whose regular polling is far too slow to matter within a test, so any fresh
    // state after an action comes from the re-subscribe.
    struct Bridge
    {
        FakeForge forge;
        std::unique_ptr<ServerFixture> server;
        std::unique_ptr<TrayController> controller;
    };
    static bool startBridge(Bridge& bridge);
    static int stateMessagesAfter(const QSignalSpy& spy, qsizetype from, const QString& type);

    ServerProcess m_server;
};

namespace {

constexpr qint64 kForgeAliceId = 42;
const QByteArray kForgeAliceToken = "0123456789abcdef0123456789abcdef01234567";

protocol::Stopwatch stopwatchOn(qint64 index, const QString& owner = u"alice"_s,
                                const QString& repo = u"proj"_s)
{
    protocol::Stopwatch s;
    s.issueIndex = index;
    s.repoOwnerName = owner;
    s.repoName = repo;
    return s;
}

} // namespace

bool TestTrayController::startBridge(Bridge& bridge)
{
    bridge.forge.addAccount(kForgeAliceId, u"alice"_s, kForgeAliceToken);
    if (!bridge.forge.start())
        return false;
    bridge.forge.rememberPort();
    ServerConfig config = testConfig();
    config.forgeUrl = bridge.forge.url().toString();
    config.forgePoll.minMs = 120'000;
    config.forgePoll.stepMs = 120'000;
    config.forgePoll.maxMs = 120'000;
    config.forgePoll.outageMaxMs = 120'000;
    bridge.server = std::make_unique<ServerFixture>(config);
    if (!bridge.server->start()) {
        qWarning() << bridge.server->error();
        return false;
    }
    bridge.controller = std::make_unique<TrayController>();
    TrayController::Config c;
    c.serverUrl = bridge.server->wsUrl();
    c.token = kForgeAliceToken;
    c.forgeUrl = bridge.forge.url();
    bridge.controller->configure(c);
    bridge.controller->start();
    return true;
}

int TestTrayController::stateMessagesAfter(const QSignalSpy& spy, qsizetype from, const QString& type)
{
    int n = 0;
    for (qsizetype i = from; i < spy.size(); ++i) {
        if (protocol::typeName(spy.at(i).at(0).value<protocol::ServerMessage>()) == type)
            ++n;
    }
    return n;
}

void TestTrayController::initTestCase()
{
    QString error;
    QVERIFY2(m_server.start(&error), qPrintable(error));
    QCOMPARE(m_server.admin("PUT", u"/api/v1/projects/42/access"_s, R"({"public":false,"users":[7]})").status,
             200);
}

void TestTrayController::retainedStateThenLiveUpdates()
{
    QCOMPARE(m_server.admin("PUT", u"/api/v1/users/7/notification-count"_s, R"({"count":5})").status, 202);
    QCOMPARE(m_server.admin("PUT", u"/api/v1/users/7/stopwatches"_s, stopwatchStartedAgo()).status, 202);

    TrayController controller;
    controller.configure(config());
    controller.start();
    TrayState& state = controller.state();
    QTRY_COMPARE(state.status(), Status::Connected);
    QTRY_COMPARE(state.unreadCount(), 5);
    QTRY_COMPARE(state.stopwatches().size(), 1);
    QCOMPARE(state.user()->login, u"alice"_s);
    QVERIFY(state.isTicking());
    QCOMPARE(controller.issueUrl(state.stopwatches().first()),
             QUrl(u"https://forge.example.org/alice/proj/issues/7"_s));
    QVERIFY(state.statusLine().startsWith(u"5 unread | alice/proj#7 01:23:4"_s));

    QCOMPARE(m_server.admin("PUT", u"/api/v1/users/7/notification-count"_s, R"({"count":6})").status, 202);
    QTRY_COMPARE(state.unreadCount(), 6);
    QCOMPARE(m_server.admin("PUT", u"/api/v1/users/7/stopwatches"_s, "[]").status, 202);
    QTRY_VERIFY(state.stopwatches().isEmpty());
    QVERIFY(!state.isTicking());
    QCOMPARE(state.statusLine(), u"6 unread"_s);
}

void TestTrayController::boardNotifications()
{
    TrayController controller;
    controller.configure(config({42}));
    controller.boards().setCoalesceWindow(400ms);
    QSignalSpy messages(&controller, &TrayController::messageReceived);
    QSignalSpy notifications(&controller, &TrayController::boardNotification);
    controller.start();
    QTRY_VERIFY(typesOf(messages).contains(u"subscribed"_s));
    QTRY_VERIFY(!controller.state().session().isEmpty());
    const QString ownSession = controller.state().session();

    // A burst from others, plus our own change echoed back in the middle of it.
    QCOMPARE(m_server.admin("POST", u"/api/v1/projects/42/events"_s, cardMoved(1)).status, 202);
    QCOMPARE(m_server.admin("POST", u"/api/v1/projects/42/events"_s, cardMoved(2, ownSession)).status, 202);
    QCOMPARE(
        m_server.admin("POST", u"/api/v1/projects/42/events"_s, cardMoved(3, controller.sessionTag())).status,
        202);
    QCOMPARE(m_server.admin("POST", u"/api/v1/projects/42/events"_s, cardMoved(4, u"someone-else"_s)).status,
             202);
    QCOMPARE(m_server.admin("POST", u"/api/v1/projects/42/events"_s, cardMoved(5)).status, 202);

    QTRY_COMPARE(notifications.size(), 1);
    const BoardNotification n = notifications.first().at(0).value<BoardNotification>();
    QCOMPARE(n.projectId, 42);
    QCOMPARE(n.changes, 3);
    QVERIFY2(n.body.startsWith(u"3 changes\n• alice/proj#1 moved"_s), qPrintable(n.body));
    QVERIFY(n.body.contains(u"alice/proj#4"_s));
    QVERIFY(!n.body.contains(u"alice/proj#2"_s));
    QCOMPARE(typesOf(messages).count(u"board"_s), 3);
    QTest::qWait(600);
    QCOMPARE(notifications.size(), 1);

    // Board notifications switched off: events still pass, no notification.
    TrayController::Config quiet = config({42});
    quiet.boardNotifications = false;
    controller.configure(quiet);
    QCOMPARE(m_server.admin("POST", u"/api/v1/projects/42/events"_s, cardMoved(6)).status, 202);
    QTRY_COMPARE(typesOf(messages).count(u"board"_s), 4);
    QTest::qWait(600);
    QCOMPARE(notifications.size(), 1);
}

void TestTrayController::unwatchingUnsubscribes()
{
    TrayController controller;
    controller.configure(config({42}));
    QSignalSpy messages(&controller, &TrayController::messageReceived);
    controller.start();
    QTRY_VERIFY(typesOf(messages).contains(u"subscribed"_s));
    controller.configure(config({}));
    QTRY_VERIFY(typesOf(messages).contains(u"unsubscribed"_s));
    QCOMPARE(controller.connection()->topics(), QStringList());
}

void TestTrayController::logoutElsewhereIsIgnored()
{
    TrayController controller;
    controller.configure(config());
    QSignalSpy messages(&controller, &TrayController::messageReceived);
    controller.start();
    QTRY_COMPARE(controller.state().status(), Status::Connected);
    QCOMPARE(
        m_server.admin("POST", u"/api/v1/users/7/logout"_s, R"({"session_id":"another-browser"})").status,
        202);
    QTRY_VERIFY(typesOf(messages).contains(u"logout"_s));
    QCOMPARE(controller.state().status(), Status::Connected);
    QVERIFY(controller.isRunning());
}

void TestTrayController::logoutHereSignsOutUntilSignedInAgain()
{
    QCOMPARE(m_server.admin("PUT", u"/api/v1/users/7/notification-count"_s, R"({"count":4})").status, 202);
    TrayController controller;
    controller.configure(config());
    QSignalSpy signedOut(&controller.state(), &TrayState::signedOut);
    controller.start();
    QTRY_COMPARE(controller.state().unreadCount(), 4);
    SharedConnection* connection = controller.connection();

    QCOMPARE(m_server
                 .admin("POST", u"/api/v1/users/7/logout"_s,
                        R"({"session_id":")" + ServerProcess::kStaticSession.toUtf8() + R"("})")
                 .status,
             202);
    QTRY_COMPARE(signedOut.size(), 1);
    QCOMPARE(controller.state().status(), Status::SignedOut);
    QCOMPARE(controller.state().unreadCount(), 0);
    QCOMPARE(controller.state().statusLine(), u"signed out"_s);
    // Like Gitea's worker: the connection is closed, not retried.
    QVERIFY(!controller.isRunning());
    QCOMPARE(connection->state(), SharedConnection::State::Idle);
    QTest::qWait(300);
    QCOMPARE(connection->state(), SharedConnection::State::Idle);

    // PROTOCOL.md v1.1: the logout revoked that session, so its token is refused from now on...
    controller.signInAgain();
    QTRY_COMPARE(controller.state().status(), Status::Unauthorized);
    // ...and signing in again means a new session (a fresh token from the forge).
    TrayController::Config fresh = config();
    fresh.token = Jwt::sign(
        JwtClaims{7, u"alice"_s, u"tray-session-2"_s, QDateTime::currentDateTimeUtc().addDays(1), {}},
        kJwtSecret);
    controller.configure(fresh);
    controller.signInAgain();
    QTRY_COMPARE(controller.state().status(), Status::Connected);
    QTRY_COMPARE(controller.state().unreadCount(), 4);
}

void TestTrayController::forgeActionsNeedForgeUrlAndToken_data()
{
    QTest::addColumn<QString>("forge");
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<bool>("available");
    QTest::newRow("both") << u"https://codeberg.org"_s << QByteArray("t") << true;
    QTest::newRow("no forge") << QString() << QByteArray("t") << false;
    QTest::newRow("no token") << u"https://codeberg.org"_s << QByteArray() << false;
    // A Forgewire JWT means nothing to the forge (it would answer 401).
    QTest::newRow("jwt")
        << u"https://codeberg.org"_s
        << Jwt::sign(JwtClaims{7, u"alice"_s, u"s"_s, QDateTime::currentDateTimeUtc().addDays(1), {}},
                     kJwtSecret)
        << false;
    QTest::newRow("gitea token") << u"https://codeberg.org"_s << kForgeAliceToken << true;
}

void TestTrayController::forgeActionsNeedForgeUrlAndToken()
{
    QFETCH(QString, forge);
    QFETCH(QByteArray, token);
    QFETCH(bool, available);
    TrayController controller;
    TrayController::Config c;
    c.forgeUrl = QUrl(forge);
    c.token = token;
    controller.configure(c);
    QCOMPARE(controller.forgeActionsAvailable(), available);
    QCOMPARE(controller.notificationsUrl().isEmpty(), forge.isEmpty());
}

void TestTrayController::forgeActionFailuresAreReported()
{
    FakeForge forge;
    forge.addAccount(kForgeAliceId, u"alice"_s, kForgeAliceToken);
    QVERIFY(forge.start());
    forge.rememberPort();
    TrayController controller;
    TrayController::Config c;
    c.token = kForgeAliceToken;
    c.forgeUrl = forge.url();
    controller.configure(c);
    QSignalSpy failed(&controller, &TrayController::actionFailed);
    QSignalSpy succeeded(&controller, &TrayController::actionSucceeded);

    // 409: nothing runs on that issue.
    controller.stopStopwatch(stopwatchOn(9));
    QTRY_COMPARE(failed.size(), 1);
    QCOMPARE(failed.at(0).at(1).toString(), u"Cannot stop a non existent stopwatch"_s);
    QCOMPARE(forge.count("POST", u"/api/v1/repos/alice/proj/issues/9/stopwatch/stop"_s), 1);

    // 401: the forge refuses the token.
    forge.revoked.insert(kForgeAliceToken);
    controller.markAllRead();
    QTRY_COMPARE(failed.size(), 2);
    QCOMPARE(failed.at(1).at(1).toString(), u"the forge refused the token"_s);

    // The forge is gone.
    forge.stop();
    controller.cancelStopwatch(stopwatchOn(9));
    QTRY_COMPARE(failed.size(), 3);
    QVERIFY2(failed.at(2).at(1).toString().startsWith(u"cannot reach the forge"_s),
             qPrintable(failed.at(2).at(1).toString()));

    // Without a forge token nothing is sent at all.
    c.token = Jwt::sign(JwtClaims{7, u"alice"_s, u"s"_s, QDateTime::currentDateTimeUtc().addDays(1), {}},
                        kJwtSecret);
    controller.configure(c);
    const qsizetype hits = forge.hits.size();
    controller.markAllRead();
    QCOMPARE(failed.size(), 4);
    QCOMPARE(forge.hits.size(), hits);
    QCOMPARE(succeeded.size(), 0);
}

void TestTrayController::stopStopwatchThroughBridge()
{
    Bridge bridge;
    const QDateTime created = QDateTime::currentDateTimeUtc().addSecs(-300);
    bridge.forge.accounts[kForgeAliceId].stopwatches = {FakeForge::stopwatch(7, u"Fix X"_s, created),
                                                        FakeForge::stopwatch(8, u"Fix Y"_s, created)};
    QVERIFY(startBridge(bridge));
    TrayController& controller = *bridge.controller;
    TrayState& state = controller.state();
    QSignalSpy messages(&controller, &TrayController::messageReceived);
    QTRY_COMPARE(state.stopwatches().size(), 2);
    QVERIFY(controller.forgeActionsAvailable());

    // The stopwatch is gone from the state the moment the forge confirms, before any server message.
    bool goneAtOnce = false;
    connect(&controller, &TrayController::actionSucceeded, this, [&] {
        goneAtOnce = state.stopwatches().size() == 1 && state.stopwatches().first().stopwatch.issueIndex == 8;
    });
    const qsizetype before = messages.size();
    const int polls = bridge.forge.count(u"/api/v1/user/stopwatches"_s);
    controller.stopStopwatch(state.stopwatches().first().stopwatch);
    QTRY_VERIFY(goneAtOnce);
    QCOMPARE(bridge.forge.count("POST", u"/api/v1/repos/alice/proj/issues/7/stopwatch/stop"_s), 1);
    QCOMPARE(bridge.forge.accounts[kForgeAliceId].stopwatches.size(), 1);

    // The re-subscribe made the server poll the forge at once and push the new list.
    QTRY_COMPARE(stateMessagesAfter(messages, before, u"stopwatches"_s), 1);
    QVERIFY(bridge.forge.count(u"/api/v1/user/stopwatches"_s) > polls);
    QCOMPARE(state.stopwatches().size(), 1);
    QCOMPARE(state.stopwatches().first().stopwatch.issueIndex, 8);

    // The last one: the forge's list empties, and so does the state, at once and after the re-poll.
    controller.stopStopwatch(state.stopwatches().first().stopwatch);
    QTRY_VERIFY(bridge.forge.accounts[kForgeAliceId].stopwatches.isEmpty());
    QTRY_VERIFY(state.stopwatches().isEmpty());
    QVERIFY(!state.isTicking());
    QTRY_COMPARE(stateMessagesAfter(messages, before, u"stopwatches"_s), 2);
    QVERIFY(state.stopwatches().isEmpty());
}

void TestTrayController::cancelStopwatchThroughBridge()
{
    Bridge bridge;
    bridge.forge.accounts[kForgeAliceId].stopwatches = {
        FakeForge::stopwatch(7, u"Fix X"_s, QDateTime::currentDateTimeUtc().addSecs(-60))};
    QVERIFY(startBridge(bridge));
    TrayController& controller = *bridge.controller;
    QSignalSpy messages(&controller, &TrayController::messageReceived);
    QTRY_COMPARE(controller.state().stopwatches().size(), 1);
    const qsizetype before = messages.size();
    controller.cancelStopwatch(controller.state().stopwatches().first().stopwatch);
    QTRY_VERIFY(controller.state().stopwatches().isEmpty());
    QCOMPARE(bridge.forge.count("DELETE", u"/api/v1/repos/alice/proj/issues/7/stopwatch/delete"_s), 1);
    QVERIFY(bridge.forge.accounts[kForgeAliceId].stopwatches.isEmpty());
    QTRY_COMPARE(stateMessagesAfter(messages, before, u"stopwatches"_s), 1);
    QVERIFY(controller.state().stopwatches().isEmpty());
}

void TestTrayController::markAllReadThroughBridge()
{
    Bridge bridge;
    bridge.forge.accounts[kForgeAliceId].unread = 3;
    QVERIFY(startBridge(bridge));
    TrayController& controller = *bridge.controller;
    QSignalSpy messages(&controller, &TrayController::messageReceived);
    QTRY_COMPARE(controller.state().unreadCount(), 3);
    bool zeroAtOnce = false;
    connect(&controller, &TrayController::actionSucceeded, this,
            [&] { zeroAtOnce = controller.state().unreadCount() == 0; });
    const qsizetype before = messages.size();
    controller.markAllRead();
    QTRY_VERIFY(zeroAtOnce);
    QCOMPARE(bridge.forge.count("PUT", u"/api/v1/notifications"_s), 1);
    QCOMPARE(bridge.forge.accounts[kForgeAliceId].unread, 0);
    QTRY_COMPARE(stateMessagesAfter(messages, before, u"notification-count"_s), 1);
    QCOMPARE(controller.state().unreadCount(), 0);
}

QTEST_GUILESS_MAIN(TestTrayController)
void TestTrayController::notificationListFollowsThePushedCount()
{
    Bridge bridge;
    bridge.forge.addAccount(kForgeAliceId, u"alice"_s, kForgeAliceToken);
    bridge.forge.addThread(kForgeAliceId, bridge.forge.thread(1, u"Issue"_s, u"Crash"_s, 7));
    QVERIFY(startBridge(bridge));
    TrayController& controller = *bridge.controller;
    QSignalSpy arrived(&controller, &TrayController::notificationsArrived);
    QTRY_COMPARE(controller.state().unreadCount(), 1);
    // The pushed count changed from nothing to 1: the list was fetched.
    QTRY_COMPARE(controller.notifications().entries().size(), 1);
    QCOMPARE(controller.notifications().entries().first().title, u"Crash"_s);
    QCOMPARE(arrived.size(), 0); // the backlog is no news

    // A new one on the forge; the bridge sees it when asked to poll, pushes the count, the list follows.
    bridge.forge.addThread(kForgeAliceId, bridge.forge.thread(2, u"Pull"_s, u"Fix"_s, 8));
    QVERIFY(controller.requestRefresh());
    QTRY_COMPARE(controller.state().unreadCount(), 2);
    QTRY_COMPARE(arrived.size(), 1);
    QCOMPARE(controller.notifications().entries().size(), 2);

    // Opening one marks it read on the forge; the count follows through the server.
    controller.markNotificationRead(2);
    QTRY_COMPARE(controller.state().unreadCount(), 1);
    QCOMPARE(bridge.forge.count("PATCH", u"/api/v1/notifications/threads/2"_s), 1);
    QTRY_COMPARE(controller.notifications().entries().size(), 1);

    // Mark all as read empties the list.
    controller.markAllRead();
    QTRY_COMPARE(controller.state().unreadCount(), 0);
    QVERIFY(controller.notifications().entries().isEmpty());
}

void TestTrayController::startStopwatchThroughBridge()
{
    Bridge bridge;
    bridge.forge.addAccount(kForgeAliceId, u"alice"_s, kForgeAliceToken);
    bridge.forge.accounts[kForgeAliceId].assigned = {FakeForge::issue(7, u"Fix X"_s)};
    QVERIFY(startBridge(bridge));
    TrayController& controller = *bridge.controller;
    QTRY_COMPARE(controller.state().status(), Status::Connected);
    QVERIFY(controller.forgeActionsAvailable());
    std::optional<QList<ForgeIssue>> issues;
    controller.assignedIssues([&issues](const QList<ForgeIssue>& list) { issues = list; });
    QTRY_VERIFY(issues);
    QCOMPARE(issues->size(), 1);
    QCOMPARE(issues->first().reference(), u"alice/proj#7"_s);

    QSignalSpy succeeded(&controller, &TrayController::actionSucceeded);
    controller.startStopwatch(issues->first());
    QTRY_COMPARE(succeeded.size(), 1);
    QCOMPARE(bridge.forge.count("POST", u"/api/v1/repos/alice/proj/issues/7/stopwatch/start"_s), 1);
    // The server's push (after the re-subscribe) shows it running.
    QTRY_COMPARE(controller.state().stopwatches().size(), 1);
    QCOMPARE(controller.state().stopwatches().first().stopwatch.issueTitle, u"Fix X"_s);

    // Starting it again: the forge's 409 is reported.
    QSignalSpy failed(&controller, &TrayController::actionFailed);
    controller.startStopwatch(issues->first());
    QTRY_COMPARE(failed.size(), 1);
    QVERIFY(failed.first().at(1).toString().contains(u"already exists"_s));
}

void TestTrayController::sendsTokenInClear_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("inClear");
    QTest::newRow("ws remote name") << u"ws://push.example.org/-/ws"_s << true;
    QTest::newRow("WS upper case") << u"WS://push.example.org/-/ws"_s << true;
    QTest::newRow("http remote") << u"http://forge.example.org"_s << true;
    QTest::newRow("ws LAN address") << u"ws://192.168.1.10:8080/-/ws"_s << true;
    QTest::newRow("ws any address") << u"ws://0.0.0.0:8080/-/ws"_s << true;
    QTest::newRow("ws remote IPv6") << u"ws://[2001:db8::1]/-/ws"_s << true;
    QTest::newRow("ws 'localhost' lookalike") << u"ws://localhost.example.org/-/ws"_s << true;
    QTest::newRow("ws 127 lookalike name") << u"ws://127.0.0.1.example.org/-/ws"_s << true;
    QTest::newRow("wss remote") << u"wss://push.example.org/-/ws"_s << false;
    QTest::newRow("https remote") << u"https://forge.example.org"_s << false;
    QTest::newRow("ws localhost") << u"ws://localhost:8080/-/ws"_s << false;
    QTest::newRow("ws LOCALHOST.") << u"ws://LOCALHOST.:8080/-/ws"_s << false;
    QTest::newRow("ws sub.localhost") << u"ws://push.localhost/-/ws"_s << false;
    QTest::newRow("ws 127.0.0.1") << u"ws://127.0.0.1:8080/-/ws"_s << false;
    QTest::newRow("ws 127.1.2.3") << u"ws://127.1.2.3/-/ws"_s << false;
    QTest::newRow("http ::1") << u"http://[::1]:3000"_s << false;
    QTest::newRow("empty") << QString() << false;
}

void TestTrayController::sendsTokenInClear()
{
    QFETCH(QString, url);
    QFETCH(bool, inClear);
    QCOMPARE(forgewire::sendsTokenInClear(QUrl(url)), inClear);
}

void TestTrayController::cleartextTokenWarning_data()
{
    QTest::addColumn<QString>("server");
    QTest::addColumn<QString>("forge");
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<QString>("warning"); // fragment; empty: no warning

    const QByteArray forgeToken = "0123456789abcdef0123456789abcdef01234567";
    const QByteArray jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0.c2ln";
    QTest::newRow("ws remote") << u"ws://push.example.org/-/ws"_s << u"https://forge.example.org"_s
                               << forgeToken << u"unencrypted to ws://push.example.org;"_s;
    QTest::newRow("http forge with a forge token")
        << u"wss://push.example.org/-/ws"_s << u"http://forge.example.org"_s << forgeToken
        << u"unencrypted to http://forge.example.org;"_s;
    QTest::newRow("both") << u"ws://push.example.org/-/ws"_s << u"http://forge.example.org"_s << forgeToken
                          << u"ws://push.example.org and http://forge.example.org"_s;
    // A JWT never goes to the forge.
    QTest::newRow("http forge with a JWT")
        << u"wss://push.example.org/-/ws"_s << u"http://forge.example.org"_s << jwt << QString();
    QTest::newRow("no token") << u"ws://push.example.org/-/ws"_s << u"http://forge.example.org"_s
                              << QByteArray() << QString();
    QTest::newRow("encrypted") << u"wss://push.example.org/-/ws"_s << u"https://forge.example.org"_s
                               << forgeToken << QString();
    QTest::newRow("loopback") << u"ws://127.0.0.1:8080/-/ws"_s << u"http://localhost:3000"_s << forgeToken
                              << QString();
}

void TestTrayController::cleartextTokenWarning()
{
    QFETCH(QString, server);
    QFETCH(QString, forge);
    QFETCH(QByteArray, token);
    QFETCH(QString, warning);

    TrayController controller;
    TrayController::Config c;
    c.serverUrl = QUrl(server);
    c.forgeUrl = QUrl(forge);
    c.token = token;
    // Logged once when it appears (forgewire.tray), not again for an unchanged configuration.
    if (!warning.isEmpty())
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QRegularExpression::escape(warning)));
    controller.configure(c); // not started: nothing is sent anywhere
    controller.configure(c);
    if (warning.isEmpty()) {
        QVERIFY2(controller.cleartextTokenWarning().isEmpty(),
                 qPrintable(controller.cleartextTokenWarning()));
    } else {
        QVERIFY2(controller.cleartextTokenWarning().contains(warning),
                 qPrintable(controller.cleartextTokenWarning()));
        QVERIFY(!controller.cleartextTokenWarning().contains(QString::fromLatin1(token)));
    }
    QTest::failOnWarning(QRegularExpression(u".*"_s));
    controller.configure(c);
}

#include "tst_traycontroller.moc"
