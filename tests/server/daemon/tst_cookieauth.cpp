// Sign-in by the forge's session cookie (PROTOCOL.md v1.2, Forge drop-in), as far as it is built:
// the settings that must come together, and the Cookie headers refused with 400 before anything of
// them reaches the forge, on both endpoints and both transports.

#include "FakeForge.h"
#include "TestSupport.h"

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
};

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
    for (const QByteArray path : {QByteArray("/-/ws"), QByteArray("/user/events")}) {
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

QTEST_MAIN(TestCookieAuth)
#include "tst_cookieauth.moc"
