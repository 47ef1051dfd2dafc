// Sign-in by the forge's session cookie (PROTOCOL.md v1.2, Forge drop-in), against a stand-in forge
// that behaves as Gitea >= 1.17 does (the cookie counts on its web routes only, 303 to the sign-in
// page without a session, /api/v1 token-only): the settings that must come together, hostile Cookie
// headers refused with 400 before anything of them reaches the forge, sign-in on both endpoints,
// the Origin rule, and a session the forge signs out, on both transports.

#include "FakeForge.h"
#include "TestSupport.h"

#include <QJsonArray>
#include <QNetworkRequest>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

class TestCookieAuth : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase_data() { addTransportRows(); }
    void init() { useGlobalTransport(); }

    void startRefusedWithoutItsSettings_data();
    void startRefusedWithoutItsSettings();
    void hostileCookieIs400AndNeverForwarded_data();
    void hostileCookieIs400AndNeverForwarded();
    void signedInOnBothEndpoints();
    void unknownSessionIsRefusedBeforeTheStream();
    void unknownSessionGets401BeforeTheUpgrade();
    void aTokenWinsOverTheCookie();
    void cookieOnWebSocketNeedsAnAllowedOrigin();
    void forgeSigningOutOneSessionEndsOnlyIt();
    void publicBoardsOnly();

private:
    void startServer();
    SseClient::Event nextData(SseClient& stream, const QByteArray& name);

    std::unique_ptr<FakeForge> m_forge;
    std::unique_ptr<ServerFixture> m_fixture;
};

namespace {

const QByteArray kOrigin = "http://git.example.org";

QByteArray cookieHeader(const QByteArray& session)
{
    return "Cookie: lang=en-US; i_like_gitea=" + session + "\r\n";
}

} // namespace

void TestCookieAuth::startServer()
{
    m_forge = std::make_unique<FakeForge>();
    QVERIFY(m_forge->start());
    m_forge->rememberPort();
    m_forge->addSignedInBrowsers();
    ServerConfig config = m_forge->cookieSignInConfig(QString::fromLatin1(kOrigin));
    m_fixture = std::make_unique<ServerFixture>(config);
    QVERIFY2(m_fixture->start(), qPrintable(m_fixture->error()));
}

SseClient::Event TestCookieAuth::nextData(SseClient& stream, const QByteArray& name)
{
    for (int i = 0; i < 20; ++i) {
        const SseClient::Event event = stream.next();
        if (!event.isValid() || event.name == name)
            return event;
    }
    return {};
}

void TestCookieAuth::signedInOnBothEndpoints()
{
    startServer();
    SseClient stream;
    QVERIFY(stream.open(m_fixture->server()->port(), "/user/events", cookieHeader("sess-a")));
    QCOMPARE(stream.status(), 200);
    // No user id: the web routes name none, so a forge session's count says 0.
    QCOMPARE(nextData(stream, "notification-count").data, R"({"UserID":0,"Count":3})");
    const SseClient::Event watches = nextData(stream, "stopwatches");
    QCOMPARE(
        QJsonDocument::fromJson(watches.data).array().first().toObject().value("issue_title"_L1).toString(),
        u"Fix X"_s);

    QNetworkRequest request(m_fixture->wsUrl());
    request.setRawHeader("Origin", kOrigin);
    request.setRawHeader("Cookie", "i_like_gitea=sess-a");
    WsClient client;
    client.socket().open(request);
    const QJsonObject hello = client.next();
    QCOMPARE(hello.value("type"_L1).toString(), u"hello"_s);
    QVERIFY(hello.value("user"_L1).isNull());
    QCOMPARE(hello.value("forge_session"_L1).toBool(), true);
    QCOMPARE(client.nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 3);

    // The forge's count changes: the session's poller sees it on the web route and both get it.
    m_forge->accounts[7].unread = 5;
    // (The stream also hears the state sent again for the WebSocket that joined: repeated state.)
    QVERIFY(stream.waitForRaw("event: notification-count\ndata: {\"UserID\":0,\"Count\":5}\n\n"));
    QCOMPARE(client.nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 5);
    // The cookie went to the web routes only, never to the API.
    QVERIFY(m_forge->count(u"/notifications/new"_s) >= 2);
    QVERIFY(m_forge->count(u"/user/stopwatches"_s) >= 1);
    for (const FakeForge::Hit& hit : std::as_const(m_forge->hits))
        QVERIFY2(!hit.path.startsWith(u"/api/"_s), qPrintable(hit.path));
    // One poller for the session, however many connections.
    QVERIFY(m_fixture->admin("GET", u"/metrics"_s).body.contains("\nforgewire_forge_session_pollers 1\n"));
}

void TestCookieAuth::unknownSessionIsRefusedBeforeTheStream()
{
    startServer();
    SseClient stream;
    QVERIFY(stream.open(m_fixture->server()->port(), "/user/events", cookieHeader("nope")));
    QCOMPARE(stream.status(), 401);
    QVERIFY(stream.refusalBody().contains("not signed in to the forge"));
    // Asked once on the web route (no redirect followed); the refusal is cached.
    QCOMPARE(m_forge->count(u"/notifications/new"_s), 1);
    QCOMPARE(m_forge->count(u"/user/login"_s), 0);
    SseClient again;
    QVERIFY(again.open(m_fixture->server()->port(), "/user/events", cookieHeader("nope")));
    QCOMPARE(again.status(), 401);
    QCOMPARE(m_forge->count(u"/notifications/new"_s), 1);
    // Cookies without the session cookie are not forwarded at all.
    SseClient none;
    QVERIFY(none.open(m_fixture->server()->port(), "/user/events", "Cookie: lang=en\r\n"));
    QCOMPARE(none.status(), 401);
    QCOMPARE(m_forge->count(u"/notifications/new"_s), 1);
}

void TestCookieAuth::cookieOnWebSocketNeedsAnAllowedOrigin()
{
    startServer();
    // Another site's page: refused before anything is forwarded.
    RawWsClient foreign;
    QVERIFY(!foreign.connectAndUpgrade(m_fixture->server()->port(), "/-/ws",
                                       "Origin: http://evil.example\r\n" + cookieHeader("sess-a")));
    QVERIFY(foreign.refusal().startsWith("HTTP/1.1 403"));
    SseClient foreignStream;
    QVERIFY(foreignStream.open(m_fixture->server()->port(), "/user/events",
                               "Origin: http://evil.example\r\n" + cookieHeader("sess-a")));
    QCOMPARE(foreignStream.status(), 403);
    // No Origin (a native client): the cookie does not count; it is an anonymous connection.
    QNetworkRequest request(m_fixture->wsUrl());
    request.setRawHeader("Cookie", "i_like_gitea=sess-a");
    WsClient client;
    client.socket().open(request);
    const QJsonObject hello = client.next();
    QCOMPARE(hello.value("type"_L1).toString(), u"hello"_s);
    QVERIFY(!hello.contains("forge_session"_L1));
    QVERIFY(client.silentFor(300));
    QVERIFY(m_forge->hits.isEmpty());
}

void TestCookieAuth::forgeSigningOutOneSessionEndsOnlyIt()
{
    startServer();
    SseClient a;
    SseClient b;
    QVERIFY(a.open(m_fixture->server()->port(), "/user/events", cookieHeader("sess-a")));
    QVERIFY(b.open(m_fixture->server()->port(), "/user/events", cookieHeader("sess-b")));
    QCOMPARE(nextData(a, "notification-count").data, R"({"UserID":0,"Count":3})");
    QCOMPARE(nextData(b, "notification-count").data, R"({"UserID":0,"Count":3})");
    // The person signs out in browser A only.
    m_forge->sessions.remove("sess-a");
    QCOMPARE(nextData(a, "logout").data, "here");
    QVERIFY(a.waitClosed());
    QVERIFY(!b.waitClosed(300));
    m_forge->accounts[7].unread = 6;
    QCOMPARE(nextData(b, "notification-count").data, R"({"UserID":0,"Count":6})");
    QVERIFY(!b.body().contains("logout"));
    // A reconnect of the signed-out browser is refused.
    SseClient again;
    QVERIFY(again.open(m_fixture->server()->port(), "/user/events", cookieHeader("sess-a")));
    QCOMPARE(again.status(), 401);
}

void TestCookieAuth::startRefusedWithoutItsSettings_data()
{
    QTest::addColumn<QString>("forgeUrl");
    QTest::addColumn<QStringList>("origins");
    QTest::addColumn<QString>("error");
    QTest::newRow("no forge url") << QString() << QStringList{u"https://git.example.org"_s} << u"forge url"_s;
    QTest::newRow("no allowed_origins") << u"http://127.0.0.1:9"_s << QStringList() << u"allowed_origins"_s;
}

void TestCookieAuth::startRefusedWithoutItsSettings()
{
    QFETCH(QString, forgeUrl);
    QFETCH(QStringList, origins);
    QFETCH(QString, error);
    ServerConfig config = testConfig();
    config.cookieAuth = true;
    config.forgeUrl = forgeUrl;
    config.allowedOrigins = origins;
    QVERIFY(config.validate().contains(error));
    ServerFixture fixture(config);
    QVERIFY(!fixture.start());
    QVERIFY2(fixture.error().contains(error) && fixture.error().contains(u"cookie_auth"_s),
             qPrintable(fixture.error()));
}

void TestCookieAuth::hostileCookieIs400AndNeverForwarded_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("cookie");
    QTest::addColumn<QByteArray>("error");
    for (const QByteArray& path : {QByteArray("/-/ws"), QByteArray("/user/events")}) {
        QTest::addRow("%s over 8 KiB", path.constData())
            << path << "i_like_gitea=" + QByteArray(8 * 1024, 'a') << QByteArray("over 8192 bytes");
        QByteArrayList many;
        for (int i = 0; i < 65; ++i)
            many.append("c" + QByteArray::number(i) + "=1");
        QTest::addRow("%s 65 cookies", path.constData())
            << path << many.join("; ") << QByteArray("more than 64 cookies");
        // The request parser refuses it first (a control character in any header value).
        QTest::addRow("%s control character", path.constData())
            << path << QByteArray("i_like_gitea=a\x01z") << QByteArray("malformed HTTP request");
    }
}

void TestCookieAuth::hostileCookieIs400AndNeverForwarded()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, cookie);
    QFETCH(QByteArray, error);
    FakeForge forge;
    QVERIFY(forge.start());
    forge.rememberPort();
    ServerConfig config = testConfig();
    config.cookieAuth = true;
    config.forgeUrl = forge.url().toString();
    config.allowedOrigins = {u"http://git.example.org"_s};
    ServerFixture fixture(config);
    QVERIFY2(fixture.start(), qPrintable(fixture.error()));

    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, fixture.server()->port());
    QVERIFY(socket.waitForConnected(kWaitMs));
    socket.write("GET " + path +
                 " HTTP/1.1\r\nHost: git.example.org\r\nOrigin: http://git.example.org\r\n"
                 "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAccept: text/event-stream\r\nCookie: " +
                 cookie + "\r\n\r\n");
    QByteArray answer;
    QVERIFY(waitFor([&] {
        socket.waitForReadyRead(10);
        answer += socket.readAll();
        return socket.state() != QAbstractSocket::ConnectedState;
    }));
    QVERIFY2(answer.startsWith("HTTP/1.1 400 "), answer.left(200).constData());
    QVERIFY2(answer.contains(error), answer.constData());
    QVERIFY(forge.hits.isEmpty());
    QCOMPARE(fixture.server()->metrics()->connectionsTotal.load(), 0);
}

void TestCookieAuth::publicBoardsOnly()
{
    startServer();
    QCOMPARE(
        m_fixture->admin("PUT", u"/api/v1/projects/42/access"_s, R"({"public":false,"users":[7]})").status,
        200);
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/43/access"_s, R"({"public":true,"users":[]})").status,
             200);
    SseClient stream;
    QVERIFY(stream.open(m_fixture->server()->port(), "/user/events", cookieHeader("sess-a")));
    QCOMPARE(nextData(stream, "notification-count").data, R"({"UserID":0,"Count":3})");
    const QByteArray moved =
        R"({"event":"card.moved","data":{"issue_id":1,"issue_index":3,"repo":"alice/proj",)"
        R"("from_column_id":1,"to_column_id":2,"sorting":0}})";
    // Board 42 is alice's, but the forge session names no user: only the public board reaches it.
    QVERIFY(m_fixture->publish(u"/api/v1/projects/42/events"_s, moved));
    QVERIFY(m_fixture->publish(u"/api/v1/projects/43/events"_s, moved));
    const SseClient::Event board = nextData(stream, "project-board.43");
    QCOMPARE(QJsonDocument::fromJson(board.data).object().value("project_id"_L1).toInt(), 43);
    QVERIFY(!stream.body().contains("project-board.42"));

    // On /-/ws the same: the public board may be subscribed, the private one is forbidden.
    QNetworkRequest request(m_fixture->wsUrl());
    request.setRawHeader("Origin", kOrigin);
    request.setRawHeader("Cookie", "i_like_gitea=sess-a");
    WsClient ws;
    ws.socket().open(request);
    QCOMPARE(ws.next().value("forge_session"_L1).toBool(), true);
    ws.subscribe(u"project-board.42"_s);
    QCOMPARE(ws.nextOfType(u"error"_s).value("code"_L1).toString(), u"forbidden"_s);
    ws.subscribe(u"project-board.43"_s);
    QCOMPARE(ws.nextOfType(u"subscribed"_s).value("topic"_L1).toString(), u"project-board.43"_s);
    QVERIFY(m_fixture->publish(u"/api/v1/projects/43/events"_s, moved));
    QCOMPARE(ws.nextOfType(u"board"_s).value("topic"_L1).toString(), u"project-board.43"_s);
}

void TestCookieAuth::unknownSessionGets401BeforeTheUpgrade()
{
    startServer();
    const quint16 port = m_fixture->server()->port();
    RawWsClient unknown;
    QVERIFY(!unknown.connectAndUpgrade(port, "/-/ws", "Origin: " + kOrigin + "\r\n" + cookieHeader("nope")));
    QVERIFY2(unknown.refusal().startsWith("HTTP/1.1 401"), unknown.refusal().constData());
    QVERIFY(waitForPeerClose(unknown.socket()));
    RawWsClient noSession;
    QVERIFY(!noSession.connectAndUpgrade(port, "/-/ws", "Origin: " + kOrigin + "\r\nCookie: lang=en\r\n"));
    QVERIFY(noSession.refusal().startsWith("HTTP/1.1 401"));
    // Asked once, for the unknown session; nothing was upgraded.
    QCOMPARE(m_forge->count(u"/notifications/new"_s), 1);
    QCOMPARE(m_fixture->server()->metrics()->connectionsTotal.load(), 0);
    // A known session is upgraded (its check was cached by the one before the upgrade).
    RawWsClient known;
    QVERIFY(known.connectAndUpgrade(port, "/-/ws", "Origin: " + kOrigin + "\r\n" + cookieHeader("sess-a")));
    QVERIFY(waitFor([&] { return m_fixture->server()->metrics()->connections.load() == 1; }));
    QVERIFY(
        m_fixture->admin("GET", u"/metrics"_s).body.contains("\nforgewire_forge_session_checks_total 2\n"));
}

void TestCookieAuth::aTokenWinsOverTheCookie()
{
    // A page that passes a token signs in by it: its cookie goes nowhere.
    startServer();
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":9})", "PUT"));
    SseClient stream;
    QVERIFY(stream.open(m_fixture->server()->port(), "/user/events?access_token=" + makeToken(7, u"alice"_s),
                        cookieHeader("sess-a")));
    QCOMPARE(stream.status(), 200);
    QCOMPARE(nextData(stream, "notification-count").data, R"({"UserID":7,"Count":9})");
    RawWsClient ws;
    QVERIFY(ws.connectAndUpgrade(m_fixture->server()->port(), "/-/ws",
                                 "Origin: " + kOrigin + "\r\nAuthorization: Bearer " +
                                     makeToken(7, u"alice"_s) + "\r\n" + cookieHeader("nope")));
    QVERIFY(m_forge->hits.isEmpty());
}

QTEST_MAIN(TestCookieAuth)
#include "tst_cookieauth.moc"
