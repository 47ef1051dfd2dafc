#include "TestSupport.h"
#include "transport/WsFrameParser.h"

#include <QTest>

using namespace forgewire;

using Kind = WsFrameParser::Event::Kind;

// What a client sends: RFC 6455 frames, masked (RawWsClient encodes them as tst_gateway does).
static QByteArray clientFrame(quint8 opcode, const QByteArray& payload, bool fin = true, bool masked = true,
                              quint8 rsv = 0)
{
    return test::RawWsClient::frame(quint8((fin ? 0x80 : 0) | rsv | opcode), payload, masked);
}

static QByteArray closePayload(quint16 code, const QByteArray& reason = {})
{
    return QByteArray(1, char(code >> 8)) + QByteArray(1, char(code & 0xFF)) + reason;
}

// One event as a comparable string: "text:hello", "close:1000:bye", "error:1002".
static QByteArrayList describe(const QList<WsFrameParser::Event>& events)
{
    QByteArrayList out;
    for (const WsFrameParser::Event& e : events) {
        switch (e.kind) {
        case Kind::Text:
            out << "text:" + e.payload.left(20);
            break;
        case Kind::Binary:
            out << "binary:" + QByteArray::number(e.payload.size());
            break;
        case Kind::Ping:
            out << "ping:" + e.payload;
            break;
        case Kind::Pong:
            out << "pong:" + e.payload;
            break;
        case Kind::Close:
            out << "close:" + QByteArray::number(e.code) + ':' + e.reason;
            break;
        case Kind::Error:
            out << "error:" + QByteArray::number(e.code);
            break;
        }
    }
    return out;
}

class TestWsFrameParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void byteByByteGivesTheSameEvents();
    void oversizedFrameRefusedFromItsHeader();
    void incompleteFrameStaysInTheBuffer();
    void nothingIsReadAfterClose();
};

static constexpr qint64 kMax = 1000;

void TestWsFrameParser::parse_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArrayList>("expected");

    const QByteArray hello = clientFrame(0x1, "hello");
    QTest::newRow("text") << hello << QByteArrayList{"text:hello"};
    QTest::newRow("two texts in one read")
        << hello + clientFrame(0x1, "again") << QByteArrayList{"text:hello", "text:again"};
    QTest::newRow("empty text") << clientFrame(0x1, "") << QByteArrayList{"text:"};
    QTest::newRow("utf-8 text") << clientFrame(0x1, "h\xc3\xa9") << QByteArrayList{"text:h\xc3\xa9"};
    QTest::newRow("16-bit length") << clientFrame(0x1, QByteArray(300, 'a'))
                                   << QByteArrayList{"text:" + QByteArray(20, 'a')};
    QTest::newRow("binary") << clientFrame(0x2, QByteArray(3, '\0')) << QByteArrayList{"binary:3"};
    QTest::newRow("fragmented, ping in between") << clientFrame(0x1, "hel", false) + clientFrame(0x9, "p") +
                                                        clientFrame(0x0, "l", false) + clientFrame(0x0, "o")
                                                 << QByteArrayList{"ping:p", "text:hello"};
    QTest::newRow("utf-8 split across fragments")
        << clientFrame(0x1, "h\xc3", false) + clientFrame(0x0, "\xa9") << QByteArrayList{"text:h\xc3\xa9"};
    QTest::newRow("pong") << clientFrame(0xA, "k") << QByteArrayList{"pong:k"};
    QTest::newRow("close with code and reason")
        << clientFrame(0x8, closePayload(1000, "bye")) << QByteArrayList{"close:1000:bye"};
    QTest::newRow("close without code reports 1005") << clientFrame(0x8, "") << QByteArrayList{"close:1005:"};
    QTest::newRow("application close code")
        << clientFrame(0x8, closePayload(4000)) << QByteArrayList{"close:4000:"};

    QTest::newRow("unmasked") << clientFrame(0x1, "x", true, false) << QByteArrayList{"error:1002"};
    QTest::newRow("reserved bit") << clientFrame(0x1, "x", true, true, 0x40) << QByteArrayList{"error:1002"};
    QTest::newRow("unknown data opcode") << clientFrame(0x3, "x") << QByteArrayList{"error:1002"};
    QTest::newRow("unknown control opcode") << clientFrame(0xB, "x") << QByteArrayList{"error:1002"};
    QTest::newRow("fragmented ping") << clientFrame(0x9, "x", false) << QByteArrayList{"error:1002"};
    QTest::newRow("ping over 125 bytes")
        << clientFrame(0x9, QByteArray(126, 'p')) << QByteArrayList{"error:1002"};
    QTest::newRow("continuation first") << clientFrame(0x0, "x") << QByteArrayList{"error:1002"};
    QTest::newRow("text inside a fragmented text")
        << clientFrame(0x1, "a", false) + clientFrame(0x1, "b") << QByteArrayList{"error:1002"};
    QTest::newRow("invalid utf-8") << hello + clientFrame(0x1, "\xc3\x28")
                                   << QByteArrayList{"text:hello", "error:1007"};
    QTest::newRow("over the limit in one frame")
        << clientFrame(0x1, QByteArray(kMax + 1, 'a')) << QByteArrayList{"error:1009"};
    QTest::newRow("exactly the limit")
        << clientFrame(0x2, QByteArray(kMax, 'a')) << QByteArrayList{"binary:" + QByteArray::number(kMax)};
    QTest::newRow("over the limit across fragments")
        << clientFrame(0x1, QByteArray(600, 'a'), false) + clientFrame(0x0, QByteArray(600, 'a'))
        << QByteArrayList{"error:1009"};
    QTest::newRow("close with one byte") << clientFrame(0x8, "\x03") << QByteArrayList{"error:1002"};
    QTest::newRow("close code 1005 on the wire")
        << clientFrame(0x8, closePayload(1005)) << QByteArrayList{"error:1002"};
    QTest::newRow("close code 999") << clientFrame(0x8, closePayload(999)) << QByteArrayList{"error:1002"};
    QTest::newRow("close reason not utf-8")
        << clientFrame(0x8, closePayload(1000, "\xff")) << QByteArrayList{"error:1007"};
    QByteArray msbSet("\x81\xff\x80\x00\x00\x00\x00\x00\x00\x01", 10);
    QTest::newRow("64-bit length with the top bit set") << msbSet << QByteArrayList{"error:1002"};
}

void TestWsFrameParser::parse()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArrayList, expected);
    WsFrameParser parser(kMax);
    QList<WsFrameParser::Event> events;
    parser.feed(input, &events);
    QCOMPARE(describe(events), expected);
}

void TestWsFrameParser::byteByByteGivesTheSameEvents()
{
    const QByteArray stream = clientFrame(0x1, "first") + clientFrame(0x1, QByteArray(300, 'b'), false) +
                              clientFrame(0x9, "ping") + clientFrame(0x0, "end") +
                              clientFrame(0x8, closePayload(1001, "away"));
    WsFrameParser parser(kMax);
    QList<WsFrameParser::Event> events;
    QByteArray buffer;
    for (char byte : stream) {
        buffer.append(byte);
        parser.feed(buffer, &events);
    }
    QCOMPARE(describe(events),
             (QByteArrayList{"text:first", "ping:ping", "text:" + QByteArray(20, 'b'), "close:1001:away"}));
    QCOMPARE(events[2].payload.size(), 303);
    QVERIFY(buffer.isEmpty());
}

void TestWsFrameParser::oversizedFrameRefusedFromItsHeader()
{
    // Only the header of a 2 GiB frame: the parser must refuse it without waiting for the payload.
    QByteArray header("\x82\xff\x00\x00\x00\x00\x80\x00\x00\x00", 10);
    header.append("\x01\x02\x03\x04", 4);
    WsFrameParser parser(64 * 1024);
    QList<WsFrameParser::Event> events;
    parser.feed(header, &events);
    QCOMPARE(describe(events), QByteArrayList{"error:1009"});
    QVERIFY(parser.isFinished());
}

void TestWsFrameParser::incompleteFrameStaysInTheBuffer()
{
    const QByteArray frame = clientFrame(0x1, "hello");
    QByteArray buffer = frame.left(frame.size() - 1);
    WsFrameParser parser(kMax);
    QList<WsFrameParser::Event> events;
    parser.feed(buffer, &events);
    QVERIFY(events.isEmpty());
    QCOMPARE(buffer, frame.left(frame.size() - 1));
    buffer.append(frame.right(1));
    parser.feed(buffer, &events);
    QCOMPARE(describe(events), QByteArrayList{"text:hello"});
    QVERIFY(buffer.isEmpty());
}

void TestWsFrameParser::nothingIsReadAfterClose()
{
    QByteArray buffer = clientFrame(0x8, closePayload(1000)) + clientFrame(0x1, "late");
    WsFrameParser parser(kMax);
    QList<WsFrameParser::Event> events;
    parser.feed(buffer, &events);
    QCOMPARE(describe(events), QByteArrayList{"close:1000:"});
    QVERIFY(parser.isFinished());
    parser.feed(buffer, &events);
    QCOMPARE(events.size(), 1);
}

QTEST_GUILESS_MAIN(TestWsFrameParser)
#include "tst_wsframeparser.moc"
