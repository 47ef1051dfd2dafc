#include "Outbox.h"

#include <QCryptographicHash>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>

#include <sys/socket.h>

using namespace forgewire;
using namespace Qt::StringLiterals;

// The outbox writes WebSocket frames straight to a socket's descriptor; these tests use real
// loopback sockets and check the bytes the peer reads.
class TestOutbox : public QObject
{
    Q_OBJECT

private:
    // A connected pair: `server` is the side the outbox writes to, `client` the reading peer.
    struct Pair
    {
        QTcpServer listener;
        QTcpSocket client;
        QTcpSocket* server = nullptr;
    };
    static bool connectPair(Pair* pair)
    {
        if (!pair->listener.listen(QHostAddress::LocalHost))
            return false;
        pair->client.connectToHost(QHostAddress::LocalHost, pair->listener.serverPort());
        if (!pair->client.waitForConnected(5000) || !pair->listener.waitForNewConnection(5000))
            return false;
        pair->server = pair->listener.nextPendingConnection();
        return pair->server != nullptr;
    }
    static QByteArray readExactly(QTcpSocket* socket, qint64 bytes)
    {
        QByteArray data;
        while (data.size() < bytes) {
            if (socket->bytesAvailable() == 0 && !socket->waitForReadyRead(5000))
                break;
            data += socket->read(bytes - data.size());
        }
        return data;
    }
    // Frame i carries "i:" and filler up to `size` bytes, so order and completeness can be checked.
    static QByteArray numberedPayload(int i, int size)
    {
        QByteArray payload = QByteArray::number(i) + ':';
        payload.append(QByteArray(size - payload.size(), char('a' + i % 26)));
        return payload;
    }

private Q_SLOTS:
    void textFrameHeader_data();
    void textFrameHeader();
    void pingFrameIsAControlFrame();
    void qtClientDecodesFrames();
    void flushWritesStraightToTheKernel();
    void flushQueuesBehindBytesQtStillHolds();
    void kernelRefusalGoesToQtBufferInOrder();
    void flushOnUnconnectedSocketDropsFrames();
};

void TestOutbox::textFrameHeader_data()
{
    QTest::addColumn<int>("length");
    QTest::addColumn<QByteArray>("header");
    QTest::newRow("empty") << 0 << QByteArray::fromHex("8100");
    QTest::newRow("1") << 1 << QByteArray::fromHex("8101");
    QTest::newRow("125 (7-bit max)") << 125 << QByteArray::fromHex("817d");
    QTest::newRow("126 (16-bit)") << 126 << QByteArray::fromHex("817e007e");
    QTest::newRow("65535 (16-bit max)") << 65535 << QByteArray::fromHex("817effff");
    QTest::newRow("65536 (64-bit)") << 65536 << QByteArray::fromHex("817f0000000000010000");
}

void TestOutbox::textFrameHeader()
{
    QFETCH(int, length);
    QFETCH(QByteArray, header);
    const QByteArray payload(length, 'x');
    const QByteArray frame = Outbox::textFrame(payload);
    QCOMPARE(frame.left(header.size()).toHex(), header.toHex());
    QCOMPARE(frame.mid(header.size()), payload);
}

void TestOutbox::pingFrameIsAControlFrame()
{
    QCOMPARE(Outbox::pingFrame().toHex(), QByteArray("8900"));
    // Control frames carry at most 125 bytes.
    QCOMPARE(Outbox::pingFrame(QByteArray(300, 'p')).size(), 2 + 125);
}

void TestOutbox::qtClientDecodesFrames()
{
    // Our framing against a real WebSocket decoder: the upgrade is answered by hand, then every
    // frame comes from the outbox (7-bit, 16-bit and 64-bit lengths, UTF-8, a ping).
    QTcpServer listener;
    QVERIFY(listener.listen(QHostAddress::LocalHost));
    QWebSocket client;
    QList<QByteArray> received;
    connect(&client, &QWebSocket::textMessageReceived, this,
            [&](const QString& m) { received.append(m.toUtf8()); });
    client.open(QUrl(u"ws://127.0.0.1:%1/-/ws"_s.arg(listener.serverPort())));
    QVERIFY(listener.waitForNewConnection(5000));
    QTcpSocket* server = listener.nextPendingConnection();
    QByteArray request;
    QTRY_VERIFY((request += server->readAll(), request.contains("\r\n\r\n")));
    const int keyAt = request.indexOf("Sec-WebSocket-Key: ") + 19;
    const QByteArray key = request.mid(keyAt, request.indexOf("\r\n", keyAt) - keyAt);
    const QByteArray accept =
        QCryptographicHash::hash(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", QCryptographicHash::Sha1)
            .toBase64();
    server->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Accept: " +
                  accept + "\r\n\r\n");
    QTRY_COMPARE(client.state(), QAbstractSocket::ConnectedState);
    QByteArray pongPayload;
    connect(server, &QTcpSocket::readyRead, this, [&] { pongPayload += server->readAll(); });

    const QList<QByteArray> payloads{"{}", u"{\"type\":\"hello\",\"x\":\"é ✓\"}"_s.toUtf8(),
                                     numberedPayload(1, 300), numberedPayload(2, 70'000)};
    Outbox outbox;
    for (const QByteArray& p : payloads)
        outbox.append(Outbox::textFrame(p));
    outbox.append(Outbox::pingFrame("k"));
    outbox.flushTo(server);
    QTRY_COMPARE(received.size(), payloads.size());
    QCOMPARE(received, payloads);
    // The client answered our ping with a masked pong (opcode 0xA) carrying "k".
    QTRY_VERIFY(pongPayload.size() >= 2 + 4 + 1);
    QCOMPARE(quint8(pongPayload[0]), quint8(0x8A));
    QCOMPARE(quint8(pongPayload[1]), quint8(0x80 | 1));
    QCOMPARE(char(pongPayload[6] ^ pongPayload[2]), 'k');
}

void TestOutbox::flushWritesStraightToTheKernel()
{
    Pair pair;
    QVERIFY(connectPair(&pair));
    Outbox outbox;
    QByteArray expected;
    for (int i = 0; i < 600; ++i) { // more frames than one send() takes
        const QByteArray frame = Outbox::textFrame(numberedPayload(i, 40));
        outbox.append(frame);
        expected += frame;
    }
    QCOMPARE(outbox.bytes(), expected.size());
    QCOMPARE(outbox.flushTo(pair.server), expected.size());
    QVERIFY(outbox.isEmpty());
    QCOMPARE(outbox.bytes(), 0);
    QCOMPARE(pair.server->bytesToWrite(), 0); // Qt's write path never saw these bytes
    QCOMPARE(readExactly(&pair.client, expected.size()), expected);
}

void TestOutbox::flushQueuesBehindBytesQtStillHolds()
{
    Pair pair;
    QVERIFY(connectPair(&pair));
    // Bytes Qt has not written yet (no event loop ran) must reach the peer first.
    const QByteArray older = Outbox::textFrame("older");
    pair.server->write(older);
    QCOMPARE(pair.server->bytesToWrite(), older.size());
    Outbox outbox;
    const QByteArray newer = Outbox::textFrame("newer");
    outbox.append(newer);
    QCOMPARE(outbox.flushTo(pair.server), 0);
    QCOMPARE(pair.server->bytesToWrite(), older.size() + newer.size());
    // Qt writes its buffer from the event loop.
    QByteArray received;
    QTRY_VERIFY((received += pair.client.readAll(), received.size() >= older.size() + newer.size()));
    QCOMPARE(received, older + newer);
}

void TestOutbox::kernelRefusalGoesToQtBufferInOrder()
{
    Pair pair;
    QVERIFY(connectPair(&pair));
    // Small kernel buffers and a peer that does not read: the kernel takes only a part.
    const int small = 16 * 1024;
    QVERIFY(::setsockopt(int(pair.server->socketDescriptor()), SOL_SOCKET, SO_SNDBUF, &small, sizeof small) ==
            0);
    QVERIFY(::setsockopt(int(pair.client.socketDescriptor()), SOL_SOCKET, SO_RCVBUF, &small, sizeof small) ==
            0);
    Outbox outbox;
    QByteArray expected;
    for (int i = 0; i < 200; ++i) {
        const QByteArray frame = Outbox::textFrame(numberedPayload(i, 10'000));
        outbox.append(frame);
        expected += frame;
    }
    const qint64 direct = outbox.flushTo(pair.server);
    QVERIFY2(direct > 0 && direct < expected.size(), qPrintable(QString::number(direct)));
    QCOMPARE(pair.server->bytesToWrite(), expected.size() - direct);
    QVERIFY(outbox.isEmpty());
    // A second flush while Qt holds the rest must queue behind it.
    const QByteArray tail = Outbox::textFrame("tail");
    outbox.append(tail);
    QCOMPARE(outbox.flushTo(pair.server), 0);
    expected += tail;
    // The event loop writes Qt's part as the peer reads; everything arrives once, in order.
    QByteArray received;
    QTRY_VERIFY_WITH_TIMEOUT((received += pair.client.readAll(), received.size() >= expected.size()), 10000);
    QCOMPARE(received.size(), expected.size());
    QVERIFY(received == expected);
}

void TestOutbox::flushOnUnconnectedSocketDropsFrames()
{
    QTcpSocket socket; // never connected: no descriptor
    Outbox outbox;
    outbox.append(Outbox::textFrame("x"));
    QCOMPARE(outbox.flushTo(&socket), 0);
    QVERIFY(outbox.isEmpty());
}

QTEST_GUILESS_MAIN(TestOutbox)
#include "tst_outbox.moc"
