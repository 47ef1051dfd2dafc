// parseHttpHead, the request-head parser of both listeners: strict RFC 9112 framing, row by row.

#include "http/HttpMessage.h"

#include <QTest>

#include <limits>

using namespace forgewire;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(forgewire::HttpParseStatus)

class TestHttpMessage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void status_data();
    void status();
    void fields_data();
    void fields();
    void headIsReplacedNotMerged();
};

namespace {

constexpr qint64 kMax = 16 * 1024;
const QByteArray kHost = "Host: x\r\n";

} // namespace

void TestHttpMessage::status_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<qint64>("maxHeadBytes");
    QTest::addColumn<HttpParseStatus>("expected");
    auto row = [](const char* name, const QByteArray& input, HttpParseStatus expected, qint64 max = kMax) {
        QTest::newRow(name) << input << max << expected;
    };
    using S = HttpParseStatus;

    row("minimal 1.1", "GET / HTTP/1.1\r\n" + kHost + "\r\n", S::Complete);
    row("1.0 without Host", "GET / HTTP/1.0\r\n\r\n", S::Complete);
    row("empty lines before the request line", "\r\n\r\nGET / HTTP/1.1\r\n" + kHost + "\r\n", S::Complete);
    row("obs-text in a value", "GET / HTTP/1.1\r\n" + kHost + "X-Name: caf\xc3\xa9\r\n\r\n", S::Complete);
    row("empty value", "GET / HTTP/1.1\r\n" + kHost + "X-Empty:\r\n\r\n", S::Complete);
    row("every tchar in a name", "GET / HTTP/1.1\r\n" + kHost + "!#$%&'*+-.^_`|~09aZ: v\r\n\r\n",
        S::Complete);
    row("browser query characters", "GET /-/ws?a=[1]&b={x}|y HTTP/1.1\r\n" + kHost + "\r\n", S::Complete);
    row("body bytes after the head", "POST / HTTP/1.1\r\n" + kHost + "Content-Length: 2\r\n\r\n{}",
        S::Complete);

    row("empty", "", S::Incomplete);
    row("no blank line", "GET / HTTP/1.1\r\n" + kHost, S::Incomplete);
    row("CR of the blank line only", "GET / HTTP/1.1\r\n" + kHost + "\r", S::Incomplete);
    row("request line in progress", "GET /path", S::Incomplete);

    // Line endings.
    row("bare LF after the request line", "GET / HTTP/1.1\n" + kHost + "\r\n", S::Invalid);
    row("bare LF after a header", "GET / HTTP/1.1\r\nHost: x\n\r\n", S::Invalid);
    row("bare LF blank line", "GET / HTTP/1.1\r\n" + kHost + "\n", S::Invalid);
    row("bare LF seen before the head is complete", "GET / HTTP/1.1\nHost", S::Invalid);
    row("bare LF before the request line", "\nGET / HTTP/1.1\r\n" + kHost + "\r\n", S::Invalid);
    row("bare CR in a value", "GET / HTTP/1.1\r\n" + kHost + "X-A: a\rb\r\n\r\n", S::Invalid);
    // Request line.
    row("two spaces after the method", "GET  / HTTP/1.1\r\n" + kHost + "\r\n", S::Invalid);
    row("leading space", " GET / HTTP/1.1\r\n" + kHost + "\r\n", S::Invalid);
    row("trailing space", "GET / HTTP/1.1 \r\n" + kHost + "\r\n", S::Invalid);
    row("tab separator", "GET\t/ HTTP/1.1\r\n" + kHost + "\r\n", S::Invalid);
    row("missing version", "GET /\r\n" + kHost + "\r\n", S::Invalid);
    row("lower-case version", "GET / http/1.1\r\n" + kHost + "\r\n", S::Invalid);
    row("HTTP/1.2", "GET / HTTP/1.2\r\n" + kHost + "\r\n", S::Invalid);
    row("HTTP/2.0", "GET / HTTP/2.0\r\n" + kHost + "\r\n", S::Invalid);
    row("HTTP/1.10", "GET / HTTP/1.10\r\n" + kHost + "\r\n", S::Invalid);
    row("not HTTP", "HELLO\r\n\r\n", S::Invalid);
    row("empty method", " / HTTP/1.1\r\n" + kHost + "\r\n", S::Invalid);
    row("method not a token", "GE(T / HTTP/1.1\r\n" + kHost + "\r\n", S::Invalid);
    row("absolute-form", "GET http://x/ HTTP/1.1\r\n" + kHost + "\r\n", S::Invalid);
    row("asterisk-form", "OPTIONS * HTTP/1.1\r\n" + kHost + "\r\n", S::Invalid);
    row("fragment", "GET /a#b HTTP/1.1\r\n" + kHost + "\r\n", S::Invalid);
    row("control character in the target", "GET /a\x01 HTTP/1.1\r\n" + kHost + "\r\n", S::Invalid);
    row("non-ASCII target", "GET /caf\xc3\xa9 HTTP/1.1\r\n" + kHost + "\r\n", S::Invalid);
    row("bad escape", "GET /%zz HTTP/1.1\r\n" + kHost + "\r\n", S::Invalid);
    row("cut escape", "GET /a%2 HTTP/1.1\r\n" + kHost + "\r\n", S::Invalid);
    // Header fields.
    row("space before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", S::Invalid);
    row("tab before the colon", "GET / HTTP/1.1\r\n" + kHost + "X-A\t: 1\r\n\r\n", S::Invalid);
    row("obs-fold", "GET / HTTP/1.1\r\n" + kHost + "X-A: a\r\n b\r\n\r\n", S::Invalid);
    row("obs-fold with a tab", "GET / HTTP/1.1\r\n" + kHost + "X-A: a\r\n\tb\r\n\r\n", S::Invalid);
    row("whitespace before the first field", "GET / HTTP/1.1\r\n " + kHost + "\r\n", S::Invalid);
    row("empty name", "GET / HTTP/1.1\r\n" + kHost + ": v\r\n\r\n", S::Invalid);
    row("name not a token", "GET / HTTP/1.1\r\n" + kHost + "X@A: v\r\n\r\n", S::Invalid);
    row("no colon", "GET / HTTP/1.1\r\n" + kHost + "X-A v\r\n\r\n", S::Invalid);
    row("NUL in a value", "GET / HTTP/1.1\r\n" + kHost + QByteArray("X-A: a\0b\r\n\r\n", 12), S::Invalid);
    row("DEL in a value", "GET / HTTP/1.1\r\n" + kHost + "X-A: a\x7f\r\n\r\n", S::Invalid);
    row("escape character in a value", "GET / HTTP/1.1\r\n" + kHost + "X-A: \x1b[1m\r\n\r\n", S::Invalid);
    row("missing Host in 1.1", "GET / HTTP/1.1\r\n\r\n", S::Invalid);
    row("two Hosts", "GET / HTTP/1.1\r\n" + kHost + kHost + "\r\n", S::Invalid);
    row("two Hosts in 1.0", "GET / HTTP/1.0\r\n" + kHost + kHost + "\r\n", S::Invalid);
    // Content-Length.
    row("two equal Content-Lengths",
        "POST / HTTP/1.1\r\n" + kHost + "Content-Length: 2\r\nContent-Length: 2\r\n\r\n", S::Invalid);
    row("two different Content-Lengths",
        "POST / HTTP/1.1\r\n" + kHost + "Content-Length: 2\r\ncontent-length: 20\r\n\r\n", S::Invalid);
    row("Content-Length list", "POST / HTTP/1.1\r\n" + kHost + "Content-Length: 2, 2\r\n\r\n", S::Invalid);
    row("Content-Length with a sign", "POST / HTTP/1.1\r\n" + kHost + "Content-Length: +2\r\n\r\n",
        S::Invalid);
    row("negative Content-Length", "POST / HTTP/1.1\r\n" + kHost + "Content-Length: -1\r\n\r\n", S::Invalid);
    row("hex Content-Length", "POST / HTTP/1.1\r\n" + kHost + "Content-Length: 0x10\r\n\r\n", S::Invalid);
    row("space inside Content-Length", "POST / HTTP/1.1\r\n" + kHost + "Content-Length: 1 0\r\n\r\n",
        S::Invalid);
    row("empty Content-Length", "POST / HTTP/1.1\r\n" + kHost + "Content-Length:\r\n\r\n", S::Invalid);

    // Size.
    const QByteArray exact = "GET / HTTP/1.1\r\n" + kHost + "\r\n";
    row("head of exactly the limit", exact, S::Complete, exact.size());
    row("head one byte over the limit", exact, S::TooLarge, exact.size() - 1);
    row("incomplete head over the limit", "GET / HTTP/1.1\r\nX-Pad: " + QByteArray(64, 'a'), S::TooLarge, 32);
    row("empty lines count toward the limit", QByteArray(40, '\r').replace("\r", "\r\n"), S::TooLarge, 32);
}

void TestHttpMessage::status()
{
    QFETCH(QByteArray, input);
    QFETCH(qint64, maxHeadBytes);
    QFETCH(HttpParseStatus, expected);
    HttpRequestHead head;
    QCOMPARE(parseHttpHead(input, maxHeadBytes, &head), expected);
}

void TestHttpMessage::fields_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("query");
    QTest::addColumn<int>("minorVersion");
    QTest::addColumn<qint64>("contentLength");
    QTest::addColumn<qsizetype>("length");
    QTest::addColumn<QByteArray>("xValue"); // of the X-V header

    const QByteArray plain = "GET /-/ws HTTP/1.1\r\nHost: x\r\n\r\n";
    QTest::newRow("plain") << plain << QByteArray("GET") << u"/-/ws"_s << QString() << 1 << qint64(-1)
                           << plain.size() << QByteArray();
    const QByteArray escaped = "GET /a%20b?x=1&y=%41 HTTP/1.0\r\n\r\n";
    QTest::newRow("escaped path, raw query, 1.0")
        << escaped << QByteArray("GET") << u"/a b"_s << u"x=1&y=%41"_s << 0 << qint64(-1) << escaped.size()
        << QByteArray();
    const QByteArray ows = "PUT / HTTP/1.1\r\nHost: x\r\nX-V: \t a\tb  \t\r\n\r\n";
    QTest::newRow("OWS trimmed, inner tab kept") << ows << QByteArray("PUT") << u"/"_s << QString() << 1
                                                 << qint64(-1) << ows.size() << QByteArray("a\tb");
    const QByteArray lengthHead =
        "POST /api/v1/publish HTTP/1.1\r\nHost: x\r\ncOnTeNt-LeNgTh: 4194304\r\n\r\n";
    QTest::newRow("Content-Length, name in any case, body not counted")
        << lengthHead + "{}" << QByteArray("POST") << u"/api/v1/publish"_s << QString() << 1
        << qint64(4194304) << lengthHead.size() << QByteArray();
    const QByteArray huge = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n";
    QTest::newRow("Content-Length past qint64 saturates")
        << huge << QByteArray("POST") << u"/"_s << QString() << 1 << std::numeric_limits<qint64>::max()
        << huge.size() << QByteArray();
    const QByteArray leading = "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
    QTest::newRow("skipped empty lines are part of the length")
        << leading << QByteArray("GET") << u"/"_s << QString() << 1 << qint64(-1) << leading.size()
        << QByteArray();
}

void TestHttpMessage::fields()
{
    QFETCH(QByteArray, input);
    HttpRequestHead head;
    QCOMPARE(parseHttpHead(input, kMax, &head), HttpParseStatus::Complete);
    QTEST(head.method, "method");
    QTEST(head.path, "path");
    QTEST(head.query, "query");
    QTEST(head.minorVersion, "minorVersion");
    QTEST(head.contentLength, "contentLength");
    QTEST(head.length, "length");
    QTEST(head.header("x-v"), "xValue");
}

void TestHttpMessage::headIsReplacedNotMerged()
{
    // A caller may reuse one head across calls (the fuzz harness does); nothing may leak between them.
    HttpRequestHead head;
    QCOMPARE(parseHttpHead("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nX-V: 1\r\n\r\n", kMax, &head),
             HttpParseStatus::Complete);
    QCOMPARE(parseHttpHead("GET /b HTTP/1.0\r\n\r\n", kMax, &head), HttpParseStatus::Complete);
    QCOMPARE(head.headers.size(), 0);
    QCOMPARE(head.contentLength, -1);
    QCOMPARE(head.minorVersion, 0);
    QCOMPARE(head.path, u"/b"_s);
    // An invalid head leaves the caller's head as it was.
    QCOMPARE(parseHttpHead("GET /c HTTP/1.1\n\n", kMax, &head), HttpParseStatus::Invalid);
    QCOMPARE(head.path, u"/b"_s);
}

QTEST_GUILESS_MAIN(TestHttpMessage)
#include "tst_httpmessage.moc"
