// GET /user/events, the server-sent event stream of released Gitea and Forgejo pages (PROTOCOL.md
// v1.2, Forge drop-in), end to end over real loopback sockets on every transport: the exact bytes of
// each event, the refusals before any stream, keep-alive, the send-queue bound, drain, metrics and
// hostile requests.

#include "../broker/BoardCases.h"
#include "TestSupport.h"

#include "http/EventStream.h"

#include <QJsonArray>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

class TestEventStream : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase_data() { addTransportRows(); }
    void init();
    void cleanup();

    void retainedStateThenLiveEventsExactBytes();
    void tokenInHeaderOrQuery_data();
    void tokenInHeaderOrQuery();
    void refusedBeforeAnyStream_data();
    void refusedBeforeAnyStream();
    void logoutRewrittenPerStream();
    void revokedSessionGets401();
    void applicationEventsAndRepliesAreNotSent();
    void boardEventsOfReadableBoards();
    void boardEventsCarrySeqOfTheModel();
    void keepAliveWithoutPongs();
    void slowReaderClosedAtTheBound();
    void drainEndsStreams();
    void badRequests_data();
    void badRequests();
    void perAddressCapCountsStreams();
    void pathPrefix();

private:
    quint16 port() const { return m_fixture->server()->port(); }
    QByteArray metrics() const { return m_fixture->admin("GET", u"/metrics"_s).body; }
    std::unique_ptr<ServerFixture> m_fixture;
};

namespace {

QByteArray bearer(const QByteArray& token)
{
    return "Authorization: Bearer " + token + "\r\n";
}

const QByteArray kStopwatches = R"([{"created":"2026-01-05T10:00:00Z","seconds":125,"issue_index":7,)"
                                R"("issue_title":"Fix X","repo_owner_name":"alice","repo_name":"proj"}])";

} // namespace

void TestEventStream::init()
{
    useGlobalTransport();
    m_fixture = std::make_unique<ServerFixture>();
    QVERIFY2(m_fixture->start(), qPrintable(m_fixture->error()));
}

void TestEventStream::cleanup()
{
    m_fixture.reset();
}

void TestEventStream::retainedStateThenLiveEventsExactBytes()
{
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":3})", "PUT"));
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/stopwatches"_s, kStopwatches, "PUT"));

    SseClient stream;
    QVERIFY(stream.open(port(), "/user/events", bearer(makeToken(7, u"alice"_s))));
    QCOMPARE(stream.status(), 200);
    QCOMPARE(stream.header("content-type"), "text/event-stream; charset=utf-8");
    QCOMPARE(stream.header("cache-control"), "no-cache");
    QCOMPARE(stream.header("x-accel-buffering"), "no");
    // The retained count and stopwatches first, each exactly as Gitea writes them.
    const QByteArray compactWatches = QJsonDocument::fromJson(kStopwatches).toJson(QJsonDocument::Compact);
    QVERIFY(stream.waitForRaw("event: notification-count\ndata: {\"UserID\":7,\"Count\":3}\n\n"
                              "event: stopwatches\ndata: " +
                              compactWatches + "\n\n"));
    QVERIFY(stream.body().startsWith("event: notification-count\n")); // nothing before them

    QVERIFY(m_fixture->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":4})", "PUT"));
    QVERIFY(stream.waitForRaw("event: notification-count\ndata: {\"UserID\":7,\"Count\":4}\n\n"));
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/stopwatches"_s, "[]", "PUT"));
    QVERIFY(stream.waitForRaw("event: stopwatches\ndata: []\n\n"));
    // Another user's state never reaches this stream.
    QVERIFY(m_fixture->publish(u"/api/v1/users/8/notification-count"_s, R"({"count":9})", "PUT"));
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":5})", "PUT"));
    const SseClient::Event next = stream.next();
    QCOMPARE(next.name, "notification-count");
    QCOMPARE(next.data, R"({"UserID":7,"Count":5})");

    const QByteArray text = metrics();
    QVERIFY2(text.contains("forgewire_event_streams 1\n"), text.constData());
    QVERIFY(text.contains("forgewire_event_stream_events_total 5\n"));
    QVERIFY(text.contains("forgewire_connections 1\n"));
}

void TestEventStream::tokenInHeaderOrQuery_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("headers");
    const QByteArray token = makeToken(7, u"alice"_s);
    QTest::newRow("bearer header") << QByteArray("/user/events") << bearer(token);
    QTest::newRow("token scheme") << QByteArray("/user/events")
                                  << QByteArray("Authorization: token " + token + "\r\n");
    QTest::newRow("access_token query") << QByteArray("/user/events?access_token=" + token) << QByteArray();
}

void TestEventStream::tokenInHeaderOrQuery()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, headers);
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":2})", "PUT"));
    SseClient stream;
    QVERIFY(stream.open(port(), target, headers));
    QCOMPARE(stream.status(), 200);
    const SseClient::Event count = stream.next();
    QVERIFY2(count.name == "notification-count", stream.body().constData());
    QCOMPARE(count.data, R"({"UserID":7,"Count":2})");
}

void TestEventStream::refusedBeforeAnyStream_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<QByteArray>("error");
    QTest::newRow("no credentials") << QByteArray("/user/events") << QByteArray() << QByteArray("sign in");
    QTest::newRow("bad signature") << QByteArray("/user/events")
                                   << bearer(makeToken(7, u"alice"_s, {}, {},
                                                       QDateTime::currentDateTimeUtc().addSecs(60),
                                                       "another-secret"))
                                   << QByteArray("unauthorized");
    QTest::newRow("expired") << QByteArray("/user/events")
                             << bearer(makeToken(7, u"alice"_s, {}, {},
                                                 QDateTime::currentDateTimeUtc().addSecs(-3600)))
                             << QByteArray("unauthorized");
    QTest::newRow("unknown static token")
        << QByteArray("/user/events?access_token=nobody") << QByteArray() << QByteArray("");
    QTest::newRow("malformed token") << QByteArray("/user/events?access_token=a%0D%0Ab") << QByteArray()
                                     << QByteArray("malformed");
    QTest::newRow("no bearer scheme")
        << QByteArray("/user/events") << QByteArray("Authorization: Basic eDp5\r\n")
        << QByteArray("unauthorized");
}

void TestEventStream::refusedBeforeAnyStream()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, headers);
    QFETCH(QByteArray, error);
    SseClient stream;
    QVERIFY(stream.open(port(), target, headers));
    QCOMPARE(stream.status(), 401);
    QVERIFY(stream.header("content-type").startsWith("application/json"));
    const QByteArray body = stream.refusalBody();
    const QJsonObject json = QJsonDocument::fromJson(body).object();
    QVERIFY2(json.value("error"_L1).toString().toUtf8().contains(error), body.constData());
    QVERIFY(!body.contains("event:"));
    QVERIFY(stream.waitClosed());
    QVERIFY(waitFor([&] { return m_fixture->server()->metrics()->connections.load() == 0; }));
}

void TestEventStream::logoutRewrittenPerStream()
{
    SseClient here;
    SseClient elsewhere;
    QVERIFY(here.open(port(), "/user/events", bearer(makeToken(7, u"alice"_s, u"sess-1"_s))));
    QVERIFY(elsewhere.open(port(), "/user/events", bearer(makeToken(7, u"alice"_s, u"sess-2"_s))));
    QCOMPARE(here.status(), 200);
    QCOMPARE(elsewhere.status(), 200);
    QVERIFY(waitFor([&] { return m_fixture->server()->metrics()->subscriptionsUser.load() == 2; }));
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/logout"_s, R"({"session_id":"sess-1"})"));
    QVERIFY(here.waitForRaw("event: logout\ndata: here\n\n"));
    QVERIFY(elsewhere.waitForRaw("event: logout\ndata: elsewhere\n\n"));
    // The signed-out stream ends; the other one stays.
    QVERIFY(here.waitClosed());
    QVERIFY(!elsewhere.waitClosed(300));
    QVERIFY(!here.body().contains("sess-1") && !elsewhere.body().contains("sess-1"));
    QVERIFY(metrics().contains("forgewire_event_stream_closes_total{reason=\"unauthorized\"} 1\n"));
}

void TestEventStream::revokedSessionGets401()
{
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/logout"_s, R"({"session_id":"sess-R"})"));
    SseClient stream;
    QVERIFY(stream.open(port(), "/user/events", bearer(makeToken(7, u"alice"_s, u"sess-R"_s))));
    QCOMPARE(stream.status(), 401);
    QVERIFY(stream.refusalBody().contains("revoked session"));
}

void TestEventStream::applicationEventsAndRepliesAreNotSent()
{
    SseClient stream;
    QVERIFY(stream.open(port(), "/user/events", bearer(makeToken(7, u"alice"_s))));
    QVERIFY(waitFor([&] { return m_fixture->server()->metrics()->subscriptionsUser.load() == 1; }));
    QVERIFY(m_fixture->publish(
        u"/api/v1/publish"_s, R"({"topic":"user-7","message":{"type":"repo.starred","repo":"alice/proj"}})"));
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":1})", "PUT"));
    const SseClient::Event event = stream.next();
    QCOMPARE(event.name, "notification-count");
    // No hello, no application event before it: the stream is exactly that one event so far.
    QCOMPARE(stream.body(), "event: notification-count\ndata: {\"UserID\":7,\"Count\":1}\n\n");
}

namespace {

QByteArray moved(int issueId)
{
    return R"({"event":"card.moved","data":{"issue_id":)" + QByteArray::number(issueId) +
           R"(,"issue_index":3,"repo":"alice/proj","from_column_id":1,"to_column_id":2,"sorting":0},"session_tag":"tab-1"})";
}

} // namespace

void TestEventStream::boardEventsOfReadableBoards()
{
    QCOMPARE(
        m_fixture->admin("PUT", u"/api/v1/projects/42/access"_s, R"({"public":false,"users":[7]})").status,
        200);
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/43/access"_s, R"({"public":true,"users":[]})").status,
             200);
    SseClient alice;
    SseClient bob; // reads board 45 by his token's topics only
    QVERIFY(alice.open(port(), "/user/events", bearer(makeToken(7, u"alice"_s))));
    QVERIFY(bob.open(port(), "/user/events", bearer(makeToken(8, u"bob"_s, {}, {u"project-board.45"_s}))));
    QVERIFY(waitFor([&] { return m_fixture->server()->metrics()->subscriptionsUser.load() == 2; }));

    // No subscribe message: each stream gets the boards its user may read, and only those.
    QVERIFY(m_fixture->publish(u"/api/v1/projects/42/events"_s, moved(1)));
    QVERIFY(m_fixture->publish(u"/api/v1/projects/43/events"_s, moved(2)));
    QVERIFY(m_fixture->publish(u"/api/v1/projects/45/events"_s, moved(3)));
    SseClient::Event event = alice.next();
    QCOMPARE(event.name, "project-board.42");
    const QJsonObject data = QJsonDocument::fromJson(event.data).object();
    QCOMPARE(data, QJsonObject({{u"type"_s, u"card.moved"_s},
                                {u"project_id"_s, 42},
                                {u"issue_id"_s, 1},
                                {u"issue_index"_s, 3},
                                {u"repo"_s, u"alice/proj"_s},
                                {u"from_column_id"_s, 1},
                                {u"to_column_id"_s, 2},
                                {u"sorting"_s, 0},
                                {u"session_tag"_s, u"tab-1"_s}}));
    QCOMPARE(alice.next().name, "project-board.43");
    event = bob.next();
    QCOMPARE(event.name, "project-board.43");
    QCOMPARE(QJsonDocument::fromJson(event.data).object().value("issue_id"_L1).toInt(), 2);
    QCOMPARE(bob.next().name, "project-board.45");

    // Access is checked at publish time: a reader taken off the ACL stops receiving at once.
    QCOMPARE(
        m_fixture->admin("PUT", u"/api/v1/projects/42/access"_s, R"({"public":false,"users":[8]})").status,
        200);
    QVERIFY(m_fixture->publish(u"/api/v1/projects/42/events"_s, moved(4)));
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":1})", "PUT"));
    QCOMPARE(alice.next().name, "notification-count"); // and nothing of board 42 before it
    event = bob.next();
    QCOMPARE(event.name, "project-board.42");
    QCOMPARE(QJsonDocument::fromJson(event.data).object().value("issue_id"_L1).toInt(), 4);
    QVERIFY(!alice.body().contains("\"issue_id\":4"));

    // A WebSocket subscriber of the same board on the same node gets each event once, as before.
    WsClient ws;
    QVERIFY(ws.open(m_fixture->wsUrl(), makeToken(8, u"bob"_s)));
    ws.subscribe(u"project-board.43"_s);
    QVERIFY(!ws.nextOfType(u"subscribed"_s).isEmpty());
    QVERIFY(m_fixture->publish(u"/api/v1/projects/43/events"_s, moved(5)));
    QCOMPARE(ws.nextOfType(u"board"_s).value("data"_L1).toObject().value("issue_id"_L1).toInt(), 5);
    QCOMPARE(bob.next().name, "project-board.43");
    QCOMPARE(alice.next().name, "project-board.43");
    QTest::qWait(200);
    for (const QJsonObject& message : std::as_const(ws.queue()))
        QVERIFY(message.value("type"_L1).toString() != "board"_L1); // no second copy
    QVERIFY(bob.next(200).name.isEmpty());
}

void TestEventStream::boardEventsCarrySeqOfTheModel()
{
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/46/access"_s, R"({"public":true,"users":[]})").status,
             200);
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/46/board"_s, baseBoard()).status, 200);
    SseClient stream;
    QVERIFY(stream.open(port(), "/user/events", bearer(makeToken(7, u"alice"_s))));
    QVERIFY(waitFor([&] { return m_fixture->server()->metrics()->subscriptionsUser.load() == 1; }));
    const QByteArray move =
        R"({"event":"card.moved","data":{"issue_id":11,"issue_index":3,"repo":"alice/proj","from_column_id":1,"to_column_id":2,"sorting":1}})";
    QVERIFY(m_fixture->publish(u"/api/v1/projects/46/events"_s, move));
    const SseClient::Event event = stream.next();
    QCOMPARE(event.name, "project-board.46");
    const QJsonObject data = QJsonDocument::fromJson(event.data).object();
    QCOMPARE(data.value("seq"_L1).toInt(), 2);
    QCOMPARE(data.value("type"_L1).toString(), u"card.moved"_s);
    QVERIFY(!data.contains("session_tag"_L1));
    // The snapshot itself is a WebSocket client's: a stream gets no board-snapshot event.
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/46/board"_s, baseBoard()).status, 200);
    QVERIFY(m_fixture->publish(u"/api/v1/projects/46"_s, {}, "DELETE"));
    const SseClient::Event deleted = stream.next();
    QCOMPARE(deleted.name, "project-board.46");
    QCOMPARE(QJsonDocument::fromJson(deleted.data).object().value("type"_L1).toString(),
             u"project.deleted"_s);
    QVERIFY(!stream.body().contains("board-snapshot"));
}

void TestEventStream::keepAliveWithoutPongs()
{
    m_fixture.reset();
    ServerConfig config = testConfig();
    config.pingIntervalMs = 100;
    config.pongDeadlineMs = 150;
    m_fixture = std::make_unique<ServerFixture>(config);
    QVERIFY(m_fixture->start());
    SseClient stream;
    QVERIFY(stream.open(port(), "/user/events", bearer(makeToken(7, u"alice"_s))));
    QCOMPARE(stream.status(), 200);
    // A comment every interval; the client cannot answer one, and is not dropped for it.
    for (int i = 0; i < 4; ++i)
        QVERIFY(stream.waitForRaw(": keep-alive\n\n", 2000));
    QVERIFY(!stream.waitClosed(100));
    QCOMPARE(m_fixture->server()->metrics()->pongTimeouts.load(), 0);
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":6})", "PUT"));
    QCOMPARE(stream.next().data, R"({"UserID":7,"Count":6})");
}

void TestEventStream::slowReaderClosedAtTheBound()
{
    m_fixture.reset();
    ServerConfig config = testConfig();
    config.maxSendQueueBytes = 64 * 1024;
    config.pongDeadlineMs = 1000;
    m_fixture = std::make_unique<ServerFixture>(config);
    QVERIFY(m_fixture->start());
    Metrics* counters = m_fixture->server()->metrics();
    SseClient slow;
    QVERIFY(slow.open(port(), "/user/events", bearer(makeToken(7, u"alice"_s)), 4096));
    QCOMPARE(slow.status(), 200);
    SseClient steady;
    QVERIFY(steady.open(port(), "/user/events", bearer(makeToken(8, u"bob"_s))));
    QVERIFY(waitFor([&] { return counters->subscriptionsUser.load() == 2; }));

    const QString title(40 * 1024, u'x');
    const QByteArray watches = QJsonDocument(QJsonArray{QJsonObject{{u"created"_s, u"2026-01-05T10:00:00Z"_s},
                                                                    {u"seconds"_s, 1},
                                                                    {u"issue_index"_s, 1},
                                                                    {u"issue_title"_s, title},
                                                                    {u"repo_owner_name"_s, u"alice"_s},
                                                                    {u"repo_name"_s, u"proj"_s}}})
                                   .toJson(QJsonDocument::Compact);
    for (int round = 0; round < 400 && counters->slowConsumerDisconnects.load() == 0; ++round) {
        QVERIFY(m_fixture->publish(u"/api/v1/users/7/stopwatches"_s, watches, "PUT"));
        if (round % 50 == 0) {
            QVERIFY(m_fixture->publish(u"/api/v1/users/8/notification-count"_s, R"({"count":1})", "PUT"));
            QCOMPARE(steady.next().name, "notification-count");
        }
    }
    QCOMPARE(counters->slowConsumerDisconnects.load(), 1);
    // What it did not read is let go at once, not kept until the peer reads.
    QVERIFY(waitFor([&] { return counters->queuedBytes.load() == 0; }));
    QVERIFY(metrics().contains("forgewire_event_stream_closes_total{reason=\"slow_consumer\"} 1\n"));
    // The steady reader is untouched.
    QVERIFY(m_fixture->publish(u"/api/v1/users/8/notification-count"_s, R"({"count":2})", "PUT"));
    QCOMPARE(steady.next().data, R"({"UserID":8,"Count":2})");
    slow.socket().abort();
    QVERIFY(waitFor([&] { return counters->connections.load() == 1; }));
}

void TestEventStream::drainEndsStreams()
{
    SseClient stream;
    QVERIFY(stream.open(port(), "/user/events", bearer(makeToken(7, u"alice"_s))));
    QVERIFY(waitFor([&] { return m_fixture->server()->metrics()->subscriptionsUser.load() == 1; }));
    bool drained = false;
    QObject::connect(m_fixture->server(), &Server::drained, m_fixture->server(), [&] { drained = true; });
    m_fixture->server()->drain();
    QVERIFY(stream.waitClosed());
    QVERIFY(stream.body().endsWith(": server going away\n\n"));
    QVERIFY(waitFor([&] { return drained; }));
    QCOMPARE(m_fixture->server()->metrics()->eventStreams.load(), 0);
    QCOMPARE(m_fixture->server()->metrics()->eventStreamEnds[int(Metrics::StreamEnd::GoingAway)].load(), 1);
}

void TestEventStream::badRequests_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");
    const QByteArray token = makeToken(7, u"alice"_s);
    const QByteArray auth = "Authorization: Bearer " + token + "\r\n";
    QTest::newRow("POST") << QByteArray("POST /user/events HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n") << 405;
    QTest::newRow("body on the GET")
        << QByteArray("GET /user/events HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n" + auth + "\r\nhello")
        << 400;
    QTest::newRow("chunked body")
        << QByteArray("GET /user/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" + auth +
                      "\r\n0\r\n\r\n")
        << 400;
    QTest::newRow("query over the URL limit")
        << QByteArray("GET /user/events?pad=" + QByteArray(EventStream::kMaxTargetBytes, 'a') +
                      " HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n")
        << 414;
    QTest::newRow("second access_token")
        << QByteArray("GET /user/events?access_token=" + token + "&access_token=" + token +
                      " HTTP/1.1\r\nHost: x\r\n\r\n")
        << 400;
    QTest::newRow("second access_token, encoded name")
        << QByteArray("GET /user/events?access_token=" + token +
                      "&access%5Ftoken=x HTTP/1.1\r\nHost: x\r\n\r\n")
        << 400;
    QTest::newRow("Last-Event-ID too long")
        << QByteArray("GET /user/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: " +
                      QByteArray(EventStream::kMaxLastEventIdBytes + 1, '7') + "\r\n" + auth + "\r\n")
        << 400;
    QTest::newRow("Last-Event-ID not ASCII")
        << QByteArray("GET /user/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: \xc3\xa9t\xc3\xa9\r\n" + auth +
                      "\r\n")
        << 400;
    QTest::newRow("Accept JSON only")
        << QByteArray("GET /user/events HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n" + auth + "\r\n")
        << 406;
    QTest::newRow("control character in a header")
        << QByteArray("GET /user/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: a\x01z\r\n" + auth + "\r\n")
        << 400;
}

void TestEventStream::badRequests()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    // An open stream is not disturbed by anything below.
    SseClient bystander;
    QVERIFY(bystander.open(port(), "/user/events", bearer(makeToken(7, u"alice"_s))));
    QVERIFY(waitFor([&] { return m_fixture->server()->metrics()->subscriptionsUser.load() == 1; }));

    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port());
    QVERIFY(socket.waitForConnected(kWaitMs));
    socket.write(request);
    QByteArray answer;
    QVERIFY(waitFor([&] {
        socket.waitForReadyRead(10);
        answer += socket.readAll();
        return answer.contains("\r\n\r\n");
    }));
    QVERIFY2(answer.startsWith("HTTP/1.1 " + QByteArray::number(status) + ' '), answer.left(200).constData());
    QVERIFY(answer.contains("\"error\""));
    QVERIFY(!answer.contains("Content-Type: text/event-stream"));
    QVERIFY(waitForPeerClose(socket));

    QCOMPARE(m_fixture->server()->metrics()->eventStreams.load(), 1);
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":8})", "PUT"));
    QCOMPARE(bystander.next().data, R"({"UserID":7,"Count":8})");
}

void TestEventStream::perAddressCapCountsStreams()
{
    m_fixture.reset();
    ServerConfig config = testConfig();
    config.maxConnectionsPerAddress = 2;
    m_fixture = std::make_unique<ServerFixture>(config);
    QVERIFY(m_fixture->start());
    SseClient a;
    SseClient b;
    QVERIFY(a.open(port(), "/user/events", bearer(makeToken(7, u"alice"_s))));
    QVERIFY(b.open(port(), "/user/events", bearer(makeToken(7, u"alice"_s))));
    QCOMPARE(a.status(), 200);
    QCOMPARE(b.status(), 200);
    SseClient third;
    QVERIFY(third.open(port(), "/user/events", bearer(makeToken(7, u"alice"_s))));
    QCOMPARE(third.status(), 503);
    WsClient ws;
    QVERIFY(!ws.open(m_fixture->wsUrl()));
    b.socket().abort();
    QVERIFY(waitFor([&] { return m_fixture->server()->metrics()->eventStreams.load() == 1; }));
    SseClient again;
    QVERIFY(again.open(port(), "/user/events", bearer(makeToken(7, u"alice"_s))));
    QCOMPARE(again.status(), 200);
    QVERIFY(metrics().contains("forgewire_event_stream_closes_total{reason=\"client_gone\"} 1\n"));
}

void TestEventStream::pathPrefix()
{
    m_fixture.reset();
    ServerConfig config = testConfig();
    config.pathPrefix = u"/push"_s;
    m_fixture = std::make_unique<ServerFixture>(config);
    QVERIFY(m_fixture->start());
    SseClient stream;
    QVERIFY(stream.open(port(), "/push/user/events", bearer(makeToken(7, u"alice"_s))));
    QCOMPARE(stream.status(), 200);
    SseClient unprefixed;
    QVERIFY(unprefixed.open(port(), "/user/events", bearer(makeToken(7, u"alice"_s))));
    QCOMPARE(unprefixed.status(), 404);
}

QTEST_MAIN(TestEventStream)
#include "tst_eventstream.moc"
