// SharedConnection against a scripted in-test WebSocket server (close codes, malformed frames,
// consumers, subscriptions, backoff, sleep) and against the real forgewire-server binary (kill it,
// start it again, see the client come back with the retained state).

#include "FakeClock.h"
#include "ServerProcess.h"
#include "client/SharedConnection.h"

#include <QPointer>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketServer>

#include <memory>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using State = SharedConnection::State;

namespace {

const QString kHello = uR"({"type":"hello","user":{"id":7,"login":"alice"},"session":"s1","heartbeat":25})"_s;

// A WebSocket server the test scripts: what each new peer is sent, and a record of what came back.
class ScriptedServer : public QObject
{
public:
    struct Peer
    {
        QPointer<QWebSocket> socket;
        QByteArray authorization;
        QStringList received;
        bool closed = false;
    };

    ScriptedServer()
    {
        connect(&m_server, &QWebSocketServer::newConnection, this, [this] {
            while (QWebSocket* socket = m_server.nextPendingConnection()) {
                auto peer = std::make_shared<Peer>();
                peer->socket = socket;
                peer->authorization = socket->request().rawHeader("Authorization");
                socket->setParent(this);
                connect(socket, &QWebSocket::textMessageReceived, this,
                        [peer](const QString& text) { peer->received.append(text); });
                connect(socket, &QWebSocket::disconnected, this, [peer] { peer->closed = true; });
                peers.append(peer);
                onConnect(socket);
            }
        });
    }

    bool listen(quint16 port = 0) { return m_server.listen(QHostAddress::LocalHost, port); }
    quint16 port() const { return m_server.serverPort(); }
    QUrl url() const { return QUrl(u"ws://127.0.0.1:%1/-/ws"_s.arg(m_port ? m_port : port())); }
    // Stops listening and closes every peer with 1001, keeping the port for a later listen().
    void shutDown()
    {
        m_port = port();
        m_server.close();
        for (const auto& peer : std::as_const(peers)) {
            if (peer->socket)
                peer->socket->close(QWebSocketProtocol::CloseCodeGoingAway);
        }
    }
    int openPeers() const
    {
        return int(std::count_if(peers.cbegin(), peers.cend(), [](const auto& p) { return !p->closed; }));
    }

    std::function<void(QWebSocket*)> onConnect = [](QWebSocket* socket) {
        socket->sendTextMessage(kHello);
    };
    QList<std::shared_ptr<Peer>> peers;

private:
    QWebSocketServer m_server{u"scripted"_s, QWebSocketServer::NonSecureMode};
    quint16 m_port = 0;
};

// Records what the connection handed to one consumer.
struct Recorder
{
    QObject object;
    QList<protocol::ServerMessage> messages;

    void attach(SharedConnection& connection, const QStringList& types = {})
    {
        connection.addConsumer(&object, types,
                               [this](const protocol::ServerMessage& m) { messages.append(m); });
    }
    QStringList types() const
    {
        QStringList result;
        for (const auto& m : messages)
            result.append(protocol::typeName(m));
        return result;
    }
    template<typename T>
    std::optional<T> last() const
    {
        for (auto it = messages.crbegin(); it != messages.crend(); ++it) {
            if (const auto* value = std::get_if<T>(&*it))
                return *value;
        }
        return std::nullopt;
    }
};

} // namespace

class TestSharedConnection : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void onePerUrl();
    void consumersShareOneSocket();
    void lastConsumerLeavingClosesAndCancelsRetry();
    void consumersGetTheTypesTheyAskedFor();
    void malformedFramesAreLoggedAndDropped();
    void applicationEventsAreNotMalformed();
    void pingIsAnswered();
    void tokenGoesInTheAuthorizationHeader();
    void backoffWhileTheServerIsDown();
    void upgradeClosedBeforeHelloBacksOff();
    void unauthorizedStopsUntilANewToken();
    void subscriptionsAreCountedAndRenewed();
    void lateHeartbeatForcesAFreshSocket();

    // Against the real forgewire-server binary.
    void recoversAfterServerRestart();
    void badTokenFromTheRealServer();
    void forgeOutageBacksOffAgainstTheRealServer();
};

void TestSharedConnection::onePerUrl()
{
    const QUrl a(u"ws://127.0.0.1:1/-/ws"_s);
    const QUrl b(u"ws://127.0.0.1:2/-/ws"_s);
    QCOMPARE(SharedConnection::forUrl(a), SharedConnection::forUrl(a));
    QVERIFY(SharedConnection::forUrl(a) != SharedConnection::forUrl(b));
    QCOMPARE(SharedConnection::forUrl(a)->url(), a);
    QCOMPARE(SharedConnection::forUrl(a)->state(), State::Idle);
}

void TestSharedConnection::consumersShareOneSocket()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    SharedConnection connection(server.url());
    Recorder tray, window, printer;
    tray.attach(connection);
    window.attach(connection);
    printer.attach(connection);
    QCOMPARE(connection.consumerCount(), 3);
    QTRY_COMPARE(connection.state(), State::Connected);
    QTRY_COMPARE(printer.messages.size(), 1);
    QCOMPARE(server.peers.size(), 1);
    QCOMPARE(tray.types(), QStringList{u"hello"_s});
    QCOMPARE(window.types(), QStringList{u"hello"_s});
    QVERIFY(connection.hello().has_value());
    QCOMPARE(connection.hello()->session, u"s1"_s);
}

void TestSharedConnection::lastConsumerLeavingClosesAndCancelsRetry()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    SharedConnection connection(server.url());
    QSignalSpy states(&connection, &SharedConnection::stateChanged);
    Recorder first;
    auto second = std::make_unique<Recorder>();
    first.attach(connection);
    second->attach(connection);
    QTRY_COMPARE(connection.state(), State::Connected);

    connection.removeConsumer(&first.object);
    QTest::qWait(100);
    QCOMPARE(server.openPeers(), 1);

    // Destroying a consumer counts as leaving.
    second.reset();
    QCOMPARE(connection.consumerCount(), 0);
    QCOMPARE(connection.state(), State::Idle);
    QTRY_COMPARE(server.openPeers(), 0);
    QCOMPARE(states.last().at(0).value<State>(), State::Idle);

    // Leaving while a retry is pending cancels it.
    Recorder third;
    server.onConnect = [](QWebSocket* socket) {
        socket->close(QWebSocketProtocol::CloseCodeGoingAway);
    };
    third.attach(connection);
    QTRY_COMPARE(connection.state(), State::Reconnecting);
    connection.removeConsumer(&third.object);
    QCOMPARE(connection.state(), State::Idle);
    QCOMPARE(connection.reconnectInMs(), 0);
    const int peers = int(server.peers.size());
    QTest::qWait(300);
    QCOMPARE(server.peers.size(), peers);
}

void TestSharedConnection::consumersGetTheTypesTheyAskedFor()
{
    ScriptedServer server;
    server.onConnect = [](QWebSocket* socket) {
        socket->sendTextMessage(kHello);
        socket->sendTextMessage(uR"({"type":"notification-count","count":3})"_s);
        socket->sendTextMessage(uR"({"type":"stopwatches","data":[]})"_s);
        socket->sendTextMessage(uR"({"type":"notification-count","count":4})"_s);
    };
    QVERIFY(server.listen());
    SharedConnection connection(server.url());
    Recorder counts, everything;
    counts.attach(connection, {u"notification-count"_s});
    everything.attach(connection);
    QTRY_COMPARE(everything.messages.size(), 4);
    QCOMPARE(counts.types(), (QStringList{u"notification-count"_s, u"notification-count"_s}));
    QCOMPARE(counts.last<protocol::NotificationCount>()->count, 4);
    QCOMPARE(everything.types(),
             (QStringList{u"hello"_s, u"notification-count"_s, u"stopwatches"_s, u"notification-count"_s}));

    // Registering again replaces the types.
    counts.attach(connection, {u"stopwatches"_s});
    server.peers.first()->socket->sendTextMessage(uR"({"type":"notification-count","count":5})"_s);
    server.peers.first()->socket->sendTextMessage(uR"({"type":"stopwatches","data":[]})"_s);
    QTRY_COMPARE(counts.messages.size(), 3);
    QCOMPARE(counts.types().last(), u"stopwatches"_s);
}

void TestSharedConnection::malformedFramesAreLoggedAndDropped()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    SharedConnection connection(server.url());
    Recorder consumer;
    consumer.attach(connection);
    QTRY_COMPARE(connection.state(), State::Connected);
    QTRY_COMPARE(consumer.messages.size(), 1);

    const QStringList garbage{u"{not json"_s, u"[1,2]"_s, uR"({"type":"No Such Type"})"_s,
                              uR"({"type":"notification-count","count":"three"})"_s};
    for (qsizetype i = 0; i < garbage.size(); ++i)
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"dropping a malformed message"_s));
    for (const QString& frame : garbage)
        server.peers.first()->socket->sendTextMessage(frame);
    server.peers.first()->socket->sendTextMessage(uR"({"type":"notification-count","count":9})"_s);

    QTRY_COMPARE(consumer.messages.size(), 2);
    QCOMPARE(consumer.last<protocol::NotificationCount>()->count, 9);
    QCOMPARE(connection.state(), State::Connected);
    QCOMPARE(server.peers.size(), 1);
    QCOMPARE(server.openPeers(), 1);
}

void TestSharedConnection::applicationEventsAreNotMalformed()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    SharedConnection connection(server.url());
    Recorder consumer;
    consumer.attach(connection);
    QTRY_COMPARE(connection.state(), State::Connected);
    QTRY_COMPARE(consumer.messages.size(), 1);

    // PROTOCOL.md v1.1: a forge's own event type goes by quietly; the connection carries on.
    QTest::failOnWarning(QRegularExpression(u"malformed"_s));
    server.peers.first()->socket->sendTextMessage(uR"({"type":"ci.status","state":"failed"})"_s);
    server.peers.first()->socket->sendTextMessage(uR"({"type":"notification-count","count":4})"_s);
    QTRY_COMPARE(consumer.messages.size(), 2);
    QCOMPARE(consumer.last<protocol::NotificationCount>()->count, 4);
    QCOMPARE(connection.state(), State::Connected);
}

void TestSharedConnection::pingIsAnswered()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    SharedConnection connection(server.url());
    Recorder consumer;
    consumer.attach(connection);
    QTRY_COMPARE(consumer.messages.size(), 1);
    server.peers.first()->socket->sendTextMessage(uR"({"type":"ping"})"_s);
    QTRY_COMPARE(server.peers.first()->received, QStringList{uR"({"type":"pong"})"_s});
    QCOMPARE(consumer.messages.size(), 1);
}

void TestSharedConnection::tokenGoesInTheAuthorizationHeader()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    SharedConnection connection(server.url());
    Recorder consumer;
    consumer.attach(connection);
    QTRY_COMPARE(connection.state(), State::Connected);
    QCOMPARE(server.peers.first()->authorization, QByteArray());

    // A new token replaces the open socket at once.
    connection.setToken("secret-1");
    QTRY_COMPARE(server.peers.size(), 2);
    QCOMPARE(server.peers.last()->authorization, QByteArray("Bearer secret-1"));
    QTRY_VERIFY(server.peers.first()->closed);
    QTRY_COMPARE(connection.state(), State::Connected);
}

void TestSharedConnection::backoffWhileTheServerIsDown()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    SharedConnection connection(server.url());
    QSignalSpy delays(&connection, &SharedConnection::reconnectScheduled);
    Recorder consumer;
    consumer.attach(connection);
    QTRY_COMPARE(connection.state(), State::Connected);

    const quint16 port = server.port();
    server.shutDown();
    QTRY_COMPARE(delays.size(), 5);
    QList<int> seen;
    for (const auto& args : std::as_const(delays))
        seen.append(args.at(0).toInt());
    // 50 after the open connection dropped, then doubling while every attempt is refused.
    QCOMPARE(seen, (QList<int>{50, 100, 200, 400, 800}));
    QCOMPARE(connection.state(), State::Reconnecting);

    QVERIFY(server.listen(port));
    QTRY_COMPARE_WITH_TIMEOUT(connection.state(), State::Connected, 10'000);
    QTRY_COMPARE(consumer.types().count(u"hello"_s), 2);

    // The hello of the new socket reset the schedule.
    delays.clear();
    server.peers.last()->socket->close(QWebSocketProtocol::CloseCodeGoingAway);
    QTRY_COMPARE(delays.size(), 1);
    QCOMPARE(delays.first().at(0).toInt(), 50);
}

void TestSharedConnection::upgradeClosedBeforeHelloBacksOff()
{
    // Like a draining server: every upgrade succeeds and is closed with 1001 before hello. Before
    // PROTOCOL.md v1.1 each upgrade reset the backoff and the client came back every 50 ms forever.
    ScriptedServer server;
    server.onConnect = [](QWebSocket* socket) {
        socket->close(QWebSocketProtocol::CloseCodeGoingAway);
    };
    QVERIFY(server.listen());
    SharedConnection connection(server.url());
    QSignalSpy delays(&connection, &SharedConnection::reconnectScheduled);
    Recorder consumer;
    consumer.attach(connection);
    QTRY_COMPARE_WITH_TIMEOUT(delays.size(), 5, 10'000);
    QList<int> seen;
    for (const auto& args : std::as_const(delays))
        seen.append(args.at(0).toInt());
    QCOMPARE(seen, (QList<int>{50, 100, 200, 400, 800}));
    QVERIFY(consumer.types().isEmpty());

    // Once the server greets again, the next drop starts over at 50 ms.
    server.onConnect = [](QWebSocket* socket) {
        socket->sendTextMessage(kHello);
    };
    QTRY_COMPARE_WITH_TIMEOUT(consumer.types(), QStringList{u"hello"_s}, 10'000);
    delays.clear();
    server.peers.last()->socket->close(QWebSocketProtocol::CloseCodeGoingAway);
    QTRY_COMPARE(delays.size(), 1);
    QCOMPARE(delays.first().at(0).toInt(), 50);
}

void TestSharedConnection::unauthorizedStopsUntilANewToken()
{
    ScriptedServer server;
    server.onConnect = [](QWebSocket* socket) {
        if (socket->request().rawHeader("Authorization") == "Bearer good") {
            socket->sendTextMessage(kHello);
            return;
        }
        socket->sendTextMessage(uR"({"type":"hello","user":null,"session":"s0","heartbeat":25})"_s);
        socket->close(QWebSocketProtocol::CloseCode(protocol::CloseCode::Unauthorized), u"unauthorized"_s);
    };
    QVERIFY(server.listen());
    SharedConnection connection(server.url());
    connection.setToken("bad");
    QSignalSpy states(&connection, &SharedConnection::stateChanged);
    QSignalSpy closes(&connection, &SharedConnection::closed);
    QSignalSpy delays(&connection, &SharedConnection::reconnectScheduled);
    Recorder consumer;
    consumer.attach(connection);

    QTRY_COMPARE(connection.state(), State::Unauthorized);
    QCOMPARE(closes.size(), 1);
    QCOMPARE(closes.first().at(0).toInt(), int(protocol::CloseCode::Unauthorized));
    QCOMPARE(states.last().at(0).value<State>(), State::Unauthorized);
    QTest::qWait(500);
    QCOMPARE(server.peers.size(), 1);
    QCOMPARE(delays.size(), 0);
    QCOMPARE(connection.reconnectInMs(), 0);

    // Setting the same token again is a retry the user asked for.
    connection.setToken("good");
    QTRY_COMPARE(connection.state(), State::Connected);
    QCOMPARE(server.peers.size(), 2);
    QCOMPARE(server.peers.last()->authorization, QByteArray("Bearer good"));
}

void TestSharedConnection::subscriptionsAreCountedAndRenewed()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    SharedConnection connection(server.url());
    Recorder a, b;
    a.attach(connection);
    b.attach(connection);
    // Subscribed before the socket is even open: sent after hello.
    connection.subscribe(&a.object, u"project-board.42"_s);
    connection.subscribe(&b.object, u"project-board.42"_s);
    connection.subscribe(&b.object, u"project-board.42"_s);
    const QString subscribe = uR"({"topic":"project-board.42","type":"subscribe"})"_s;
    const QString unsubscribe = uR"({"topic":"project-board.42","type":"unsubscribe"})"_s;
    QTRY_COMPARE(server.peers.size(), 1);
    QTRY_COMPARE(server.peers.first()->received, QStringList{subscribe});

    server.peers.first()->socket->close(QWebSocketProtocol::CloseCodeGoingAway);
    QTRY_COMPARE(server.peers.size(), 2);
    QTRY_COMPARE(server.peers.last()->received, QStringList{subscribe});

    connection.unsubscribe(&a.object, u"project-board.42"_s);
    QTest::qWait(100);
    QCOMPARE(server.peers.last()->received.size(), 1);
    // The last user of the topic leaving, here by unregistering, unsubscribes.
    connection.removeConsumer(&b.object);
    QTRY_COMPARE(server.peers.last()->received, (QStringList{subscribe, unsubscribe}));
    QCOMPARE(connection.topics(), QStringList());
}

void TestSharedConnection::lateHeartbeatForcesAFreshSocket()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    FakeClock clock;
    SharedConnection connection(server.url(), clock);
    connection.setTickInterval(20ms);
    Recorder consumer;
    consumer.attach(connection);
    QTRY_COMPARE(connection.state(), State::Connected);
    QTest::qWait(100);
    QCOMPARE(server.peers.size(), 1);

    // The process was frozen for ten minutes: the next tick is far too late.
    clock.advance(10min);
    QTRY_COMPARE(server.peers.size(), 2);
    QTRY_VERIFY(server.peers.first()->closed);
    QTRY_COMPARE(connection.state(), State::Connected);
    QCOMPARE(consumer.types(), (QStringList{u"hello"_s, u"hello"_s}));
}

void TestSharedConnection::recoversAfterServerRestart()
{
    ServerProcess server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    QCOMPARE(server.admin("PUT", u"/api/v1/users/7/notification-count"_s, R"({"count":5})").status, 202);
    QCOMPARE(server
                 .admin("PUT", u"/api/v1/users/7/stopwatches"_s,
                        R"([{"created":"2026-01-05T10:00:00Z","seconds":125,"issue_index":7,)"
                        R"("issue_title":"Fix X","repo_owner_name":"alice","repo_name":"proj"}])")
                 .status,
             202);

    SharedConnection connection(server.wsUrl());
    connection.setToken(makeToken(7, u"alice"_s));
    QSignalSpy states(&connection, &SharedConnection::stateChanged);
    Recorder consumer;
    consumer.attach(connection, {u"hello"_s, u"notification-count"_s, u"stopwatches"_s});
    QTRY_COMPARE(consumer.messages.size(), 3);
    QCOMPARE(consumer.last<protocol::Hello>()->user->id, 7);
    QCOMPARE(consumer.last<protocol::NotificationCount>()->count, 5);
    QCOMPARE(consumer.last<protocol::Stopwatches>()->data.size(), 1);

    server.kill();
    QTRY_COMPARE(connection.state(), State::Reconnecting);
    consumer.messages.clear();
    // Let a few attempts fail so the restart really has to be found by the backoff.
    QTest::qWait(400);
    QVERIFY2(server.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(connection.state(), State::Connected, 15'000);
    QTRY_COMPARE(consumer.messages.size(), 3);
    QCOMPARE(consumer.last<protocol::NotificationCount>()->count, 5);
    QCOMPARE(consumer.last<protocol::Stopwatches>()->data.first().issueTitle, u"Fix X"_s);

    // And live updates flow again.
    QCOMPARE(server.admin("PUT", u"/api/v1/users/7/notification-count"_s, R"({"count":6})").status, 202);
    QTRY_COMPARE(consumer.last<protocol::NotificationCount>()->count, 6);

    QList<State> seen;
    for (const auto& args : std::as_const(states))
        seen.append(args.at(0).value<State>());
    QVERIFY(seen.contains(State::Reconnecting));
    QCOMPARE(seen.last(), State::Connected);
}

void TestSharedConnection::badTokenFromTheRealServer()
{
    ServerProcess server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    SharedConnection connection(server.wsUrl());
    connection.setToken(makeToken(7, u"alice"_s, {}, {}, QDateTime::currentDateTimeUtc().addSecs(3600),
                                  "not-the-server-secret"));
    QSignalSpy closes(&connection, &SharedConnection::closed);
    Recorder consumer;
    consumer.attach(connection);
    QTRY_COMPARE(connection.state(), State::Unauthorized);
    QCOMPARE(closes.first().at(0).toInt(), int(protocol::CloseCode::Unauthorized));
    QTest::qWait(300);
    QCOMPARE(closes.size(), 1);
    QCOMPARE(connection.state(), State::Unauthorized);

    connection.setToken(ServerProcess::kStaticToken);
    QTRY_COMPARE(connection.state(), State::Connected);
    QTRY_VERIFY(consumer.last<protocol::Hello>() && consumer.last<protocol::Hello>()->user);
    QCOMPARE(consumer.last<protocol::Hello>()->user->login, u"alice"_s);
}

void TestSharedConnection::forgeOutageBacksOffAgainstTheRealServer()
{
    // Bridge mode with the forge down: the real server upgrades, cannot verify the forge token and
    // closes (1001, "try again later") before hello. The client must back off, not hammer it every 50 ms.
    QTcpServer deadForge;
    QVERIFY(deadForge.listen(QHostAddress::LocalHost));
    const quint16 forgePort = deadForge.serverPort();
    deadForge.close(); // nothing listens there any more: every forge call is refused

    ServerProcess server;
    server.setExtraArguments({u"--forge-url"_s, u"http://127.0.0.1:%1"_s.arg(forgePort)});
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    SharedConnection connection(server.wsUrl());
    connection.setToken("0123456789abcdef0123456789abcdef01234567"); // a forge access token
    QSignalSpy delays(&connection, &SharedConnection::reconnectScheduled);
    QSignalSpy closes(&connection, &SharedConnection::closed);
    Recorder consumer;
    consumer.attach(connection);
    QTRY_COMPARE_WITH_TIMEOUT(delays.size(), 4, 15'000);
    const int code = closes.first().at(0).toInt();
    QVERIFY2(code == protocol::CloseCode::GoingAway || code == protocol::CloseCode::TryAgainLater,
             qPrintable(QString::number(code)));
    QList<int> seen;
    for (const auto& args : std::as_const(delays))
        seen.append(args.at(0).toInt());
    QCOMPARE(seen, (QList<int>{50, 100, 200, 400}));
    QVERIFY(consumer.types().isEmpty());
}

QTEST_GUILESS_MAIN(TestSharedConnection)
#include "tst_sharedconnection.moc"
