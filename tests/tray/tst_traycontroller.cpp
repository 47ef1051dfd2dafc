// TrayController against the real forgewire-server: retained and live state, board notifications
// (folded bursts, own echoes dropped), logout here and elsewhere, signing in again.

#include "ServerProcess.h"
#include "SharedConnection.h"
#include "TrayController.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using Status = TrayState::Status;

namespace {

const QByteArray kStopwatch = R"([{"created":"2026-01-05T10:00:00Z","seconds":5025,"issue_index":7,)"
                              R"("issue_title":"Fix X","repo_owner_name":"alice","repo_name":"proj"}])";

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

    ServerProcess m_server;
};

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
    QCOMPARE(m_server.admin("PUT", u"/api/v1/users/7/stopwatches"_s, kStopwatch).status, 202);

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

QTEST_GUILESS_MAIN(TestTrayController)
#include "tst_traycontroller.moc"
