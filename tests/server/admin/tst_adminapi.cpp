// The admin listener: publish API status codes and validation, health, readiness and metrics.

#include "TestSupport.h"

#include <QJsonArray>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

// Reads until a response head (and whatever came with it) is in; empty on timeout.
QByteArray readResponseHead(QTcpSocket& socket)
{
    QByteArray response;
    waitFor([&] {
        socket.waitForReadyRead(10);
        response += socket.readAll();
        return response.contains("\r\n\r\n");
    });
    return response;
}

} // namespace

class TestAdminApi : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void wrongSecret_data();
    void wrongSecret();
    void badBodies_data();
    void badBodies();
    void badBatchAppliesNothing();
    void batchAccepted();
    void routesAndMethods();
    void bodyTooLarge();
    void refusedBeforeTheBody_data();
    void refusedBeforeTheBody();
    void refusalWithoutBodyKeepsConnection();
    void http10IsClosed();
    void pipelinedRequestsKeepAlive();
    void strictHeads_data();
    void strictHeads();
    void accessRoundTrip();
    void healthReadyMetrics();

private:
    std::unique_ptr<ServerFixture> m_fixture;
};

void TestAdminApi::init()
{
    m_fixture = std::make_unique<ServerFixture>();
    QVERIFY2(m_fixture->start(), qPrintable(m_fixture->error()));
}

void TestAdminApi::cleanup()
{
    m_fixture.reset();
}

void TestAdminApi::wrongSecret_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("secret");
    const QByteArray body = R"({"count":1})";
    for (const QByteArray& secret :
         {QByteArray(), QByteArray("wrong"), QByteArray("test-publisher-secreT")}) {
        const QByteArray tag = secret.isEmpty() ? "none" : secret;
        QTest::newRow(("publish/" + tag).constData()) << QByteArray("POST") << u"/api/v1/publish"_s << secret;
        QTest::newRow(("count/" + tag).constData())
            << QByteArray("PUT") << u"/api/v1/users/7/notification-count"_s << secret;
        QTest::newRow(("access/" + tag).constData())
            << QByteArray("PUT") << u"/api/v1/projects/1/access"_s << secret;
        QTest::newRow(("events/" + tag).constData())
            << QByteArray("POST") << u"/api/v1/projects/1/events"_s << secret;
    }
}

void TestAdminApi::wrongSecret()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(QByteArray, secret);
    const HttpReply reply = m_fixture->admin(method, path, R"({"count":1})", secret);
    QCOMPARE(reply.status, 401);
    QCOMPARE(reply.header("WWW-Authenticate"), QByteArray("Bearer"));
    QVERIFY(reply.json().value("error"_L1).toString().startsWith("unauthorized"_L1));
}

void TestAdminApi::badBodies_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("error");
    auto row = [](const char* name, const char* method, const QString& path, const QByteArray& body,
                  const char* error) {
        QTest::newRow(name) << QByteArray(method) << path << body << QString::fromLatin1(error);
    };
    row("malformed json", "POST", u"/api/v1/publish"_s, "{", "malformed JSON");
    row("item not object", "POST", u"/api/v1/publish"_s, "[1]", "item 0: expected an object");
    row("empty batch", "POST", u"/api/v1/publish"_s, "[]", "empty batch");
    row("unknown topic", "POST", u"/api/v1/publish"_s,
        R"({"topic":"nope","message":{"type":"notification-count","count":1}})", "unknown topic");
    // PROTOCOL.md v1.1: "shout" would be an application event; a name outside [a-z0-9._-] is not.
    row("unknown type", "POST", u"/api/v1/publish"_s, R"({"topic":"user-1","message":{"type":"Shout!"}})",
        "unknown message type");
    row("hello not publishable", "POST", u"/api/v1/publish"_s,
        R"({"topic":"user-1","message":{"type":"hello","user":null,"session":"s","heartbeat":1}})",
        "cannot be published");
    row("board on user topic", "POST", u"/api/v1/publish"_s,
        R"({"topic":"user-1","message":{"type":"board","event":"project.deleted","data":{}}})",
        "board events go to");
    row("count on board topic", "POST", u"/api/v1/publish"_s,
        R"({"topic":"project-board.1","message":{"type":"notification-count","count":1}})",
        "board events only");
    row("retain board", "POST", u"/api/v1/publish"_s,
        R"({"topic":"project-board.1","message":{"type":"board","event":"project.deleted","data":{}},"retain":true})",
        "only notification-count, stopwatches");
    row("retain not bool", "POST", u"/api/v1/publish"_s,
        R"({"topic":"user-1","message":{"type":"notification-count","count":1},"retain":"yes"})",
        "'retain' must be a boolean");
    row("negative count", "PUT", u"/api/v1/users/7/notification-count"_s, R"({"count":-1})", "non-negative");
    row("count missing", "PUT", u"/api/v1/users/7/notification-count"_s, R"({})", "non-negative");
    row("stopwatch bad date", "PUT", u"/api/v1/users/7/stopwatches"_s,
        R"([{"created":"yesterday","seconds":1,"issue_index":1,"issue_title":"t","repo_owner_name":"o","repo_name":"r"}])",
        "ISO 8601");
    row("logout without session", "POST", u"/api/v1/users/7/logout"_s, R"({})", "session_id");
    row("unknown board event", "POST", u"/api/v1/projects/1/events"_s,
        R"({"event":"card.flipped","data":{}})", "unknown board event");
    row("card.moved missing field", "POST", u"/api/v1/projects/1/events"_s,
        R"({"event":"card.moved","data":{"issue_id":1}})", "data.issue_index");
    row("acl users not ids", "PUT", u"/api/v1/projects/1/access"_s, R"({"users":["alice"]})", "user ids");
    row("acl public not bool", "PUT", u"/api/v1/projects/1/access"_s, R"({"public":"yes"})",
        "'public' must be a boolean");
}

void TestAdminApi::badBodies()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(QByteArray, body);
    QFETCH(QString, error);
    const HttpReply reply = m_fixture->admin(method, path, body);
    QCOMPARE(reply.status, 400);
    QVERIFY2(reply.json().value("error"_L1).toString().contains(error), reply.body.constData());
}

void TestAdminApi::badBatchAppliesNothing()
{
    WsClient client;
    QVERIFY(client.open(m_fixture->wsUrl(), makeToken(7, u"alice"_s)));
    QCOMPARE(client.next().value("type"_L1).toString(), u"hello"_s);
    const QByteArray batch =
        R"([{"topic":"user-7","message":{"type":"notification-count","count":5},"retain":true},
                                 {"topic":"user-7","message":{"type":"notification-count","count":"six"}}])";
    const HttpReply reply = m_fixture->admin("POST", u"/api/v1/publish"_s, batch);
    QCOMPARE(reply.status, 400);
    QVERIFY(reply.json().value("error"_L1).toString().startsWith("item 1:"_L1));
    QVERIFY(client.silentFor(300)); // the valid first item was not sent...
    WsClient later;
    QVERIFY(later.open(m_fixture->wsUrl(), makeToken(7, u"alice"_s)));
    QCOMPARE(later.next().value("type"_L1).toString(), u"hello"_s);
    QVERIFY(later.silentFor(300)); // ...nor retained
    QCOMPARE(m_fixture->server()->metrics()->published.load(), 0);
}

void TestAdminApi::batchAccepted()
{
    WsClient client;
    QVERIFY(client.open(m_fixture->wsUrl(), makeToken(7, u"alice"_s)));
    client.next();
    QJsonArray batch;
    for (int i = 1; i <= 3; ++i)
        batch.append(
            QJsonObject{{u"topic"_s, u"user-7"_s},
                        {u"message"_s, QJsonObject{{u"type"_s, u"notification-count"_s}, {u"count"_s, i}}}});
    const HttpReply reply = m_fixture->admin("POST", u"/api/v1/publish"_s, QJsonDocument(batch).toJson());
    QCOMPARE(reply.status, 202);
    QCOMPARE(reply.json().value("accepted"_L1).toInt(), 3);
    for (int i = 1; i <= 3; ++i)
        QCOMPARE(client.next().value("count"_L1).toInt(), i); // in order
}

void TestAdminApi::routesAndMethods()
{
    QCOMPARE(m_fixture->admin("GET", u"/api/v1/nothing"_s).status, 404);
    QCOMPARE(m_fixture->admin("GET", u"/api/v1/publish"_s).status, 405);
    QCOMPARE(m_fixture->admin("POST", u"/api/v1/users/7/notification-count"_s, R"({"count":1})").status, 405);
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/users/0/notification-count"_s, R"({"count":1})").status, 404);
    QCOMPARE(m_fixture->admin("POST", u"/healthz"_s).status, 405);
}

void TestAdminApi::bodyTooLarge()
{
    // Refused from the Content-Length alone, before a byte of the body is buffered.
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_fixture->server()->adminPort());
    QVERIFY(socket.waitForConnected(kWaitMs));
    socket.write("POST /api/v1/publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kPublisherSecret +
                 "\r\nContent-Length: " + QByteArray::number(limits::kMaxPublishBodyBytes + 1) + "\r\n\r\n");
    QByteArray response;
    QVERIFY(waitFor([&] {
        socket.waitForReadyRead(10);
        response += socket.readAll();
        return response.contains("\r\n\r\n");
    }));
    QVERIFY2(response.startsWith("HTTP/1.1 413"), response.constData());
    QCOMPARE(m_fixture->admin("GET", u"/healthz"_s).status, 200); // the listener is fine afterwards
}

void TestAdminApi::refusedBeforeTheBody_data()
{
    QTest::addColumn<QByteArray>("requestLine");
    QTest::addColumn<QByteArray>("authorization");
    QTest::addColumn<QByteArray>("status");
    QTest::newRow("wrong secret") << QByteArray("POST /api/v1/publish") << QByteArray("Bearer wrong")
                                  << QByteArray("401");
    QTest::newRow("no secret") << QByteArray("PUT /api/v1/projects/1/access") << QByteArray()
                               << QByteArray("401");
    QTest::newRow("not Bearer") << QByteArray("POST /api/v1/publish")
                                << QByteArray("Basic " + kPublisherSecret) << QByteArray("401");
    QTest::newRow("no route") << QByteArray("POST /api/v1/nothing")
                              << QByteArray("Bearer " + kPublisherSecret) << QByteArray("404");
    QTest::newRow("wrong method") << QByteArray("PUT /api/v1/publish")
                                  << QByteArray("Bearer " + kPublisherSecret) << QByteArray("405");
}

void TestAdminApi::refusedBeforeTheBody()
{
    // The largest body allowed is announced and never sent: the refusal comes from the head alone,
    // and the connection ends without the server waiting for (or buffering) the body.
    QFETCH(QByteArray, requestLine);
    QFETCH(QByteArray, authorization);
    QFETCH(QByteArray, status);
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_fixture->server()->adminPort());
    QVERIFY(socket.waitForConnected(kWaitMs));
    socket.write(requestLine + " HTTP/1.1\r\nHost: x\r\n" +
                 (authorization.isEmpty() ? QByteArray() : "Authorization: " + authorization + "\r\n") +
                 "Content-Length: " + QByteArray::number(limits::kMaxPublishBodyBytes) + "\r\n\r\n");
    const QByteArray response = readResponseHead(socket);
    QVERIFY2(response.startsWith("HTTP/1.1 " + status), response.constData());
    QVERIFY(response.contains("Connection: close\r\n"));
    QVERIFY(waitForPeerClose(socket));
    QCOMPARE(m_fixture->admin("GET", u"/healthz"_s, {}, {}).status, 200);
}

void TestAdminApi::refusalWithoutBodyKeepsConnection()
{
    // Nothing to skip: a refused request without a body leaves the connection usable.
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_fixture->server()->adminPort());
    QVERIFY(socket.waitForConnected(kWaitMs));
    socket.write("GET /api/v1/projects/1/access HTTP/1.1\r\nHost: x\r\n\r\n");
    const QByteArray refused = readResponseHead(socket);
    QVERIFY2(refused.startsWith("HTTP/1.1 401") && refused.contains("Connection: keep-alive\r\n"),
             refused.constData());
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(readResponseHead(socket).startsWith("HTTP/1.1 200"));
}

void TestAdminApi::http10IsClosed()
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_fixture->server()->adminPort());
    QVERIFY(socket.waitForConnected(kWaitMs));
    socket.write("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const QByteArray response = readResponseHead(socket);
    QVERIFY2(response.startsWith("HTTP/1.1 200"), response.constData());
    QVERIFY2(response.contains("Connection: close\r\n"), response.constData());
    QVERIFY(waitForPeerClose(socket));
}

void TestAdminApi::pipelinedRequestsKeepAlive()
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_fixture->server()->adminPort());
    QVERIFY(socket.waitForConnected(kWaitMs));
    const QByteArray body = R"({"count":3})";
    socket.write("PUT /api/v1/users/7/notification-count HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                 kPublisherSecret + "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" +
                 body + "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
    QByteArray responses;
    QVERIFY(waitFor([&] {
        socket.waitForReadyRead(10);
        responses += socket.readAll();
        return responses.count("HTTP/1.1 ") == 2 && responses.endsWith("}");
    }));
    QVERIFY2(responses.startsWith("HTTP/1.1 202"), responses.constData());
    QVERIFY2(responses.contains("HTTP/1.1 200"), responses.constData());
    QCOMPARE(socket.state(), QAbstractSocket::ConnectedState);
}

void TestAdminApi::strictHeads_data()
{
    QTest::addColumn<QByteArray>("request");
    const QByteArray auth = "Authorization: Bearer " + kPublisherSecret + "\r\n";
    const QByteArray publish = "POST /api/v1/publish HTTP/1.1\r\nHost: x\r\n" + auth;
    QTest::newRow("two Content-Lengths") << publish + "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}";
    QTest::newRow("Content-Length not digits") << publish + "Content-Length: +2\r\n\r\n{}";
    QTest::newRow("bare LF") << QByteArray("GET /healthz HTTP/1.1\nHost: x\n\n");
    QTest::newRow("obs-fold") << QByteArray("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n");
    QTest::newRow("space before colon") << QByteArray("GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n");
    QTest::newRow("control character") << QByteArray("GET /healthz HTTP/1.1\r\nHost: x\x01\r\n\r\n");
    QTest::newRow("no Host") << QByteArray("GET /healthz HTTP/1.1\r\n\r\n");
}

void TestAdminApi::strictHeads()
{
    QFETCH(QByteArray, request);
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_fixture->server()->adminPort());
    QVERIFY(socket.waitForConnected(kWaitMs));
    socket.write(request);
    const QByteArray response = readResponseHead(socket);
    QVERIFY2(response.startsWith("HTTP/1.1 400"), response.constData());
    QVERIFY(waitForPeerClose(socket));
}

void TestAdminApi::accessRoundTrip()
{
    QCOMPARE(m_fixture->admin("GET", u"/api/v1/projects/5/access"_s).status, 404);
    const HttpReply put =
        m_fixture->admin("PUT", u"/api/v1/projects/5/access"_s, R"({"public":false,"users":[3,1,2]})");
    QCOMPARE(put.status, 200);
    const HttpReply get = m_fixture->admin("GET", u"/api/v1/projects/5/access"_s);
    QCOMPARE(get.status, 200);
    QCOMPARE(get.json().value("users"_L1).toArray(), (QJsonArray{1, 2, 3}));
    QCOMPARE(get.json().value("public"_L1).toBool(), false);
    QCOMPARE(get.json().value("project"_L1).toInt(), 5);
}

void TestAdminApi::healthReadyMetrics()
{
    QCOMPARE(m_fixture->admin("GET", u"/healthz"_s, {}, {}).status, 200);
    QCOMPARE(m_fixture->admin("GET", u"/readyz"_s, {}, {}).status, 200);
    WsClient client;
    QVERIFY(client.open(m_fixture->wsUrl(), makeToken(7, u"alice"_s)));
    client.next();
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":2})", "PUT"));
    QCOMPARE(client.next().value("count"_L1).toInt(), 2);
    QVERIFY(m_fixture->publish(u"/api/v1/users/99/notification-count"_s, R"({"count":2})", "PUT"));
    const HttpReply metrics = m_fixture->admin("GET", u"/metrics"_s, {}, {});
    QCOMPARE(metrics.status, 200);
    QVERIFY(metrics.header("Content-Type").startsWith("text/plain"));
    for (const char* line : {"forgewire_connections 1", "forgewire_subscriptions{kind=\"user\"} 1",
                             "forgewire_messages_published_total 2", "forgewire_messages_delivered_total 1",
                             "forgewire_messages_dropped_total{reason=\"no_subscribers\"} 1",
                             "forgewire_slow_consumer_disconnects_total 0", "forgewire_engine_ready 1",
                             "# TYPE forgewire_connections gauge"})
        QVERIFY2(metrics.body.contains(line), line);

    // Draining: not ready any more, clients told to go away.
    m_fixture->server()->drain();
    QCOMPARE(client.waitClosed(), 1001);
    QCOMPARE(m_fixture->admin("GET", u"/readyz"_s, {}, {}).status, 503);
}

QTEST_GUILESS_MAIN(TestAdminApi)
#include "tst_adminapi.moc"
