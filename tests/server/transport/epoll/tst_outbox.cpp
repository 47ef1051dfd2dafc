#include "transport/WsProtocol.h"
#include "transport/epoll/Outbox.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>

#include <sys/socket.h>

using namespace forgewire;
using namespace Qt::StringLiterals;

// The outbox writes WebSocket frames straight to a socket's descriptor; these tests use real
// loopback sockets (Qt's only to connect them) and check the bytes the peer reads.
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
    void closeFrame_data();
    void closeFrame();
    void qtClientDecodesFrames();
    void flushWritesStraightToTheKernel();
    void kernelRefusalStaysQueuedInOrder();
    void flushToResetPeerFails();
    void flushToInvalidDescriptorFails();
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
    const QByteArray frame = ws::textFrame(payload);
    QCOMPARE(frame.left(header.size()).toHex(), header.toHex());
    QCOMPARE(frame.mid(header.size()), payload);
}

void TestOutbox::pingFrameIsAControlFrame()
{
    QCOMPARE(ws::pingFrame().toHex(), QByteArray("8900"));
    // Control frames carry at most 125 bytes.
    QCOMPARE(ws::pingFrame(QByteArray(300, 'p')).size(), 2 + 125);
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
        outbox.append(ws::textFrame(p));
    outbox.append(ws::pingFrame("k"));
    QCOMPARE(outbox.flushTo(int(server->socketDescriptor())), Outbox::FlushResult::Done);
    QTRY_COMPARE(received.size(), payloads.size());
    QCOMPARE(received, payloads);
    // The client answered our ping with a masked pong (opcode 0xA) carrying "k".
    QTRY_VERIFY(pongPayload.size() >= 2 + 4 + 1);
    QCOMPARE(quint8(pongPayload[0]), quint8(0x8A));
    QCOMPARE(quint8(pongPayload[1]), quint8(0x80 | 1));
    QCOMPARE(char(pongPayload[6] ^ pongPayload[2]), 'k');
    // And it reads our close frame's code and reason.
    outbox.append(ws::closeFrame(4008, "slow consumer"));
    QCOMPARE(outbox.flushTo(int(server->socketDescriptor())), Outbox::FlushResult::Done);
    QTRY_COMPARE(int(client.closeCode()), 4008);
    QCOMPARE(client.closeReason(), u"slow consumer"_s);
}

void TestOutbox::closeFrame_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<QByteArray>("reason");
    QTest::addColumn<QByteArray>("expectedHex");
    QTest::newRow("normal") << 1000 << QByteArray() << QByteArray("880203e8");
    QTest::newRow("with reason") << 4008 << QByteArray("slow")
                                 << QByteArray("8806") + QByteArray("0fa8") + QByteArray("slow").toHex();
    QTest::newRow("no status: empty close") << 1005 << QByteArray("ignored") << QByteArray("8800");
}

void TestOutbox::closeFrame()
{
    QFETCH(int, code);
    QFETCH(QByteArray, reason);
    QFETCH(QByteArray, expectedHex);
    QCOMPARE(ws::closeFrame(quint16(code), reason).toHex(), expectedHex);
}

void TestOutbox::flushWritesStraightToTheKernel()
{
    Pair pair;
    QVERIFY(connectPair(&pair));
    Outbox outbox;
    QByteArray expected;
    for (int i = 0; i < 600; ++i) { // more frames than one send() takes
        const QByteArray frame = ws::textFrame(numberedPayload(i, 40));
        outbox.append(frame);
        expected += frame;
    }
    QCOMPARE(outbox.bytes(), expected.size());
    QCOMPARE(outbox.flushTo(int(pair.server->socketDescriptor())), Outbox::FlushResult::Done);
    QVERIFY(outbox.isEmpty());
    QCOMPARE(outbox.bytes(), 0);
    QCOMPARE(readExactly(&pair.client, expected.size()), expected);
}

void TestOutbox::kernelRefusalStaysQueuedInOrder()
{
    Pair pair;
    QVERIFY(connectPair(&pair));
    const int fd = int(pair.server->socketDescriptor());
    // Small kernel buffers and a peer that does not read: the kernel takes only a part.
    const int small = 16 * 1024;
    QVERIFY(::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0);
    QVERIFY(::setsockopt(int(pair.client.socketDescriptor()), SOL_SOCKET, SO_RCVBUF, &small, sizeof small) ==
            0);
    Outbox outbox;
    QByteArray expected;
    for (int i = 0; i < 200; ++i) {
        const QByteArray frame = ws::textFrame(numberedPayload(i, 10'000));
        outbox.append(frame);
        expected += frame;
    }
    QCOMPARE(outbox.flushTo(fd), Outbox::FlushResult::Blocked);
    const qint64 left = outbox.bytes();
    QVERIFY2(left > 0 && left < expected.size(), qPrintable(QString::number(left)));
    // Appended while blocked: goes out after everything older.
    const QByteArray tail = ws::textFrame("tail");
    outbox.append(tail);
    expected += tail;
    QCOMPARE(outbox.bytes(), left + tail.size());
    // The peer reads; each flush hands the kernel what fits, until all of it went, once and in order.
    QByteArray received;
    QElapsedTimer timer;
    timer.start();
    Outbox::FlushResult result = Outbox::FlushResult::Blocked;
    while (received.size() < expected.size() && timer.elapsed() < 10000) {
        if (result == Outbox::FlushResult::Blocked)
            result = outbox.flushTo(fd);
        QVERIFY(result != Outbox::FlushResult::Failed);
        pair.client.waitForReadyRead(50);
        received += pair.client.readAll();
    }
    QCOMPARE(result, Outbox::FlushResult::Done);
    QVERIFY(outbox.isEmpty());
    QCOMPARE(received.size(), expected.size());
    QVERIFY(received == expected);
}

void TestOutbox::flushToResetPeerFails()
{
    Pair pair;
    QVERIFY(connectPair(&pair));
    // The peer goes away with a reset (linger 0), as a crashed client does.
    const linger reset{1, 0};
    QVERIFY(::setsockopt(int(pair.client.socketDescriptor()), SOL_SOCKET, SO_LINGER, &reset, sizeof reset) ==
            0);
    pair.client.abort();
    Outbox outbox;
    Outbox::FlushResult result = Outbox::FlushResult::Done;
    // The reset may arrive just after the first send: the next one sees it.
    for (int i = 0; i < 50 && result != Outbox::FlushResult::Failed; ++i) {
        outbox.append(ws::textFrame("x"));
        result = outbox.flushTo(int(pair.server->socketDescriptor()));
        QTest::qWait(10);
    }
    QCOMPARE(result, Outbox::FlushResult::Failed);
    QVERIFY(outbox.isEmpty());
    QCOMPARE(outbox.bytes(), 0);
}

void TestOutbox::flushToInvalidDescriptorFails()
{
    Outbox outbox;
    outbox.append(ws::textFrame("x"));
    QCOMPARE(outbox.flushTo(-1), Outbox::FlushResult::Failed);
    QVERIFY(outbox.isEmpty());
}

QTEST_GUILESS_MAIN(TestOutbox)
#include "tst_outbox.moc"
