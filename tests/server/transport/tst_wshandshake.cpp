// WsHandshake, the WebSocket opening handshake of the client port: every way an upgrade request is
// refused (status, body, extra headers), in the order they are checked, and the 101 response.

#include "config/ServerLimits.h"
#include "http/HttpMessage.h"
#include "transport/WsHandshake.h"

#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestWsHandshake : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void evaluate_data();
    void evaluate();
    void acceptsWithTheRfcExampleKey();
    void parseErrors();
};

namespace {

const QString kPath = u"/-/ws"_s;
// RFC 6455 section 1.3.
const QByteArray kKey = "dGhlIHNhbXBsZSBub25jZQ==";

QByteArray request(const QByteArray& requestLine, const QByteArray& headers)
{
    return requestLine + "\r\nHost: x\r\n" + headers + "\r\n";
}

const QByteArray kUpgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
const QByteArray kVersion = "Sec-WebSocket-Version: 13\r\n";
const QByteArray kKeyHeader = "Sec-WebSocket-Key: " + kKey + "\r\n";

} // namespace

void TestWsHandshake::evaluate_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("extraHeaders");

    const QByteArray good = kUpgrade + kVersion + kKeyHeader;
    QTest::newRow("accepted") << request("GET /-/ws HTTP/1.1", good) << 101 << QByteArray() << QByteArray();
    QTest::newRow("accepted with a query and a padded key")
        << request("GET /-/ws?access_token=x HTTP/1.1",
                   kUpgrade + kVersion + "Sec-WebSocket-Key:   " + kKey + "  \r\n")
        << 101 << QByteArray() << QByteArray();
    QTest::newRow("upgrade tokens in a list, any case")
        << request("GET /-/ws HTTP/1.1",
                   "Upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n" + kVersion + kKeyHeader)
        << 101 << QByteArray() << QByteArray();

    QTest::newRow("wrong path") << request("GET /ws HTTP/1.1", good) << 404
                                << QByteArray(R"({"error":"not found; the WebSocket endpoint is /-/ws"})")
                                << QByteArray();
    // The path is checked first: a wrong path and a wrong method is a 404.
    QTest::newRow("wrong path and method")
        << request("POST /x HTTP/1.1", good) << 404
        << QByteArray(R"({"error":"not found; the WebSocket endpoint is /-/ws"})") << QByteArray();
    QTest::newRow("POST") << request("POST /-/ws HTTP/1.1", good) << 405
                          << QByteArray(R"({"error":"use GET with Upgrade: websocket"})")
                          << QByteArray("Allow: GET\r\n");
    QTest::newRow("HTTP/1.0") << request("GET /-/ws HTTP/1.0", good) << 400
                              << QByteArray(
                                     R"({"error":"WebSocket needs HTTP/1.1; this request is HTTP/1.0"})")
                              << QByteArray();
    QTest::newRow("plain GET")
        << request("GET /-/ws HTTP/1.1", QByteArray()) << 426
        << QByteArray(R"x({"error":"this endpoint speaks WebSocket only (Upgrade: websocket)"})x")
        << QByteArray("Upgrade: websocket\r\n");
    QTest::newRow("Upgrade without Connection")
        << request("GET /-/ws HTTP/1.1", "Upgrade: websocket\r\n" + kVersion + kKeyHeader) << 426
        << QByteArray(R"x({"error":"this endpoint speaks WebSocket only (Upgrade: websocket)"})x")
        << QByteArray("Upgrade: websocket\r\n");
    QTest::newRow("version 8")
        << request("GET /-/ws HTTP/1.1", kUpgrade + "Sec-WebSocket-Version: 8\r\n" + kKeyHeader) << 426
        << QByteArray(R"({"error":"unsupported WebSocket version; this server speaks 13"})")
        << QByteArray("Sec-WebSocket-Version: 13\r\n");
    QTest::newRow("no version") << request("GET /-/ws HTTP/1.1", kUpgrade + kKeyHeader) << 426
                                << QByteArray(
                                       R"({"error":"unsupported WebSocket version; this server speaks 13"})")
                                << QByteArray("Sec-WebSocket-Version: 13\r\n");
    QTest::newRow("no key") << request("GET /-/ws HTTP/1.1", kUpgrade + kVersion) << 400
                            << QByteArray(R"({"error":"missing or malformed Sec-WebSocket-Key"})")
                            << QByteArray();
    QTest::newRow("key of 15 bytes")
        << request("GET /-/ws HTTP/1.1",
                   kUpgrade + kVersion + "Sec-WebSocket-Key: " + QByteArray(15, 'k').toBase64() + "\r\n")
        << 400 << QByteArray(R"({"error":"missing or malformed Sec-WebSocket-Key"})") << QByteArray();
}

void TestWsHandshake::evaluate()
{
    QFETCH(QByteArray, raw);
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, extraHeaders);

    HttpRequestHead head;
    QCOMPARE(parseHttpHead(raw, limits::kMaxRequestHeadBytes, &head), HttpParseStatus::Complete);
    const WsHandshake h = WsHandshake::evaluate(head, kPath);
    QCOMPARE(h.status, status);
    QCOMPARE(h.isAccepted(), status == 101);
    QCOMPARE(h.body, body);
    QCOMPARE(h.extraHeaders, extraHeaders);
    if (h.isAccepted()) {
        QCOMPARE(h.key, kKey);
        QVERIFY(h.response.startsWith("HTTP/1.1 101 Switching Protocols\r\n"));
    } else {
        QVERIFY(h.key.isEmpty());
        QVERIFY(h.response.isEmpty());
    }
}

void TestWsHandshake::acceptsWithTheRfcExampleKey()
{
    QCOMPARE(WsHandshake::acceptKey(kKey), QByteArray("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    HttpRequestHead head;
    QCOMPARE(parseHttpHead(request("GET /-/ws HTTP/1.1", kUpgrade + kVersion + kKeyHeader),
                           limits::kMaxRequestHeadBytes, &head),
             HttpParseStatus::Complete);
    // Byte for byte what goes on the wire: no subprotocol, no extension.
    QCOMPARE(WsHandshake::evaluate(head, kPath).response,
             QByteArray("HTTP/1.1 101 Switching Protocols\r\n"
                        "Upgrade: websocket\r\n"
                        "Connection: Upgrade\r\n"
                        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"));
}

void TestWsHandshake::parseErrors()
{
    const WsHandshake large = WsHandshake::forParseStatus(HttpParseStatus::TooLarge);
    QCOMPARE(large.status, 431);
    QCOMPARE(large.body, QByteArray(R"({"error":"request head too large"})"));
    const WsHandshake invalid = WsHandshake::forParseStatus(HttpParseStatus::Invalid);
    QCOMPARE(invalid.status, 400);
    QCOMPARE(invalid.body, QByteArray(R"({"error":"malformed HTTP request"})"));
    QCOMPARE(WsHandshake::forParseStatus(HttpParseStatus::Incomplete).status, 0);
    QCOMPARE(WsHandshake::forParseStatus(HttpParseStatus::Complete).status, 0);
}

QTEST_GUILESS_MAIN(TestWsHandshake)
#include "tst_wshandshake.moc"
