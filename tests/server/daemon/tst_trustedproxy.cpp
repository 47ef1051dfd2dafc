// Behind a reverse proxy (`[server] trusted_proxies`, PROTOCOL.md v1.2): connections from a trusted
// proxy are counted, rate limited and logged as the client its X-Forwarded-For / X-Real-IP names, so
// the forge's 257th user is not refused for the proxy's address; from any other peer the same headers
// are ignored. IPv4 and IPv6 (whose clients count per /64), a malformed header counted in /metrics,
// and the forge-check rate limit keyed by the client; on both transports.

#include "FakeForge.h"
#include "TestSupport.h"

#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

class TestTrustedProxy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase_data() { addTransportRows(); }
    void init() { useGlobalTransport(); }

    void trustedProxyCountsEachClient();
    void untrustedPeerCannotForgeAnAddress();
    void ipv6ClientsCountPerPrefix();
    void malformedHeaderIsIgnoredAndCounted();
    void logsNameTheClient();
    void forgeChecksAreLimitedPerClient();

private:
    std::unique_ptr<ServerFixture> start(const QString& trusted, int perAddress,
                                         const QHostAddress& listen = QHostAddress(QHostAddress::LocalHost));
    // An upgrade from `host` through the "proxy" with `headers`; true when upgraded.
    bool upgrade(RawWsClient& client, const QByteArray& headers, const QByteArray& path = "/-/ws",
                 const QHostAddress& host = QHostAddress(QHostAddress::LocalHost));

    quint16 m_port = 0;
};

std::unique_ptr<ServerFixture> TestTrustedProxy::start(const QString& trusted, int perAddress,
                                                       const QHostAddress& listen)
{
    ServerConfig config = testConfig();
    config.listenAddress = listen;
    config.maxConnectionsPerAddress = perAddress;
    if (!config.trustedProxies.parse(trusted).isEmpty())
        return nullptr;
    auto fixture = std::make_unique<ServerFixture>(config);
    if (!fixture->start())
        return nullptr;
    m_port = fixture->server()->port();
    return fixture;
}

bool TestTrustedProxy::upgrade(RawWsClient& client, const QByteArray& headers, const QByteArray& path,
                               const QHostAddress& host)
{
    return client.connectAndUpgrade(m_port, path, headers, 0, host);
}

void TestTrustedProxy::trustedProxyCountsEachClient()
{
    // Two connections per address; the proxy on 127.0.0.1 carries more than that for its users.
    auto fixture = start(u"127.0.0.0/8"_s, 2);
    QVERIFY(fixture);
    std::vector<std::unique_ptr<RawWsClient>> clients;
    for (int i = 1; i <= 5; ++i) {
        clients.push_back(std::make_unique<RawWsClient>());
        QVERIFY2(upgrade(*clients.back(), "X-Forwarded-For: 198.51.100." + QByteArray::number(i) + "\r\n"),
                 clients.back()->refusal().constData());
    }
    // One client behind the proxy, a forged hop of its own on the left: counted as itself.
    RawWsClient second;
    QVERIFY(upgrade(second, "X-Forwarded-For: 9.9.9.9, 198.51.100.1\r\n"));
    RawWsClient third;
    QVERIFY(!upgrade(third, "X-Forwarded-For: 8.8.8.8, 198.51.100.1\r\n"));
    QVERIFY2(third.refusal().startsWith("HTTP/1.1 503"), third.refusal().constData());
    // X-Real-IP (nginx's other way of saying it) counts the same client.
    RawWsClient real;
    QVERIFY(!upgrade(real, "X-Real-IP: 198.51.100.1\r\n"));
    QCOMPARE(fixture->server()->metrics()->rejectedPerAddress.load(), 2);
    // A slot comes back when that client goes.
    second.socket().abort();
    // Retried: the server may see the attempt before it has seen the holder go.
    std::unique_ptr<RawWsClient> again;
    QVERIFY(waitFor([&] {
        again = std::make_unique<RawWsClient>();
        return upgrade(*again, "X-Real-IP: 198.51.100.1\r\n");
    }));
    QCOMPARE(fixture->server()->metrics()->connections.load(), 6);
}

void TestTrustedProxy::untrustedPeerCannotForgeAnAddress()
{
    auto fixture = start(u"10.0.0.0/8"_s, 2);
    QVERIFY(fixture);
    RawWsClient a;
    RawWsClient b;
    RawWsClient c;
    QVERIFY(upgrade(a, "X-Forwarded-For: 198.51.100.1\r\n"));
    QVERIFY(upgrade(b, "X-Real-IP: 198.51.100.2\r\n"));
    // Each claimed another address; all are 127.0.0.1, whose cap is 2.
    QVERIFY(!upgrade(c, "X-Forwarded-For: 198.51.100.3\r\n"));
    QVERIFY(c.refusal().startsWith("HTTP/1.1 503"));
    QCOMPARE(fixture->server()->metrics()->forwardedHeadersMalformed.load(), 0);
    // Not trusted is the default.
    fixture.reset();
    fixture = start(QString(), 1);
    QVERIFY(fixture);
    RawWsClient d;
    RawWsClient e;
    QVERIFY(upgrade(d, "X-Forwarded-For: 198.51.100.1\r\n"));
    QVERIFY(!upgrade(e, "X-Forwarded-For: 198.51.100.2\r\n"));
}

void TestTrustedProxy::ipv6ClientsCountPerPrefix()
{
    const QHostAddress v6(QHostAddress::LocalHostIPv6);
    auto fixture = start(u"::1/128"_s, 1, v6);
    if (!fixture)
        QSKIP("no IPv6 loopback on this machine");
    RawWsClient a;
    RawWsClient sameHost;
    RawWsClient otherPrefix;
    RawWsClient v4Client;
    QVERIFY2(upgrade(a, "X-Forwarded-For: 2001:db8:0:1::7\r\n", "/-/ws", v6), a.refusal().constData());
    // Another address of the same /64: one host, refused at a cap of 1.
    QVERIFY(!upgrade(sameHost, "X-Forwarded-For: [2001:db8:0:1::8]:51000\r\n", "/-/ws", v6));
    QVERIFY(sameHost.refusal().startsWith("HTTP/1.1 503"));
    QVERIFY(upgrade(otherPrefix, "X-Forwarded-For: 2001:db8:0:2::7\r\n", "/-/ws", v6));
    QVERIFY(upgrade(v4Client, "X-Forwarded-For: 198.51.100.1\r\n", "/-/ws", v6));
    QCOMPARE(fixture->server()->metrics()->connections.load(), 3);
}

void TestTrustedProxy::malformedHeaderIsIgnoredAndCounted()
{
    auto fixture = start(u"127.0.0.1"_s, 1);
    QVERIFY(fixture);
    RawWsClient a;
    RawWsClient b;
    // Ignored: the proxy's own address stands, and its cap of 1 is reached.
    QVERIFY(upgrade(a, "X-Forwarded-For: unknown\r\n"));
    QVERIFY(!upgrade(b, "X-Real-IP: 198.51.100.1:x\r\n"));
    QVERIFY(b.refusal().startsWith("HTTP/1.1 503"));
    QCOMPARE(fixture->server()->metrics()->forwardedHeadersMalformed.load(), 2);
    QVERIFY(fixture->admin("GET", u"/metrics"_s)
                .body.contains("\nforgewire_forwarded_headers_malformed_total 2\n"));
}

void TestTrustedProxy::logsNameTheClient()
{
    auto fixture = start(u"127.0.0.1"_s, 8);
    QVERIFY(fixture);
    QTest::ignoreMessage(QtInfoMsg, QRegularExpression(u"^refusing 198\\.51\\.100\\.44 - "_s));
    RawWsClient bad;
    QVERIFY(upgrade(bad, "X-Forwarded-For: 198.51.100.44\r\n", "/-/ws?access_token=not-a-token"));
    QVERIFY(waitFor([&] { return bad.socket().bytesAvailable() >= 4; }));
}

void TestTrustedProxy::forgeChecksAreLimitedPerClient()
{
    FakeForge forge;
    QVERIFY(forge.start());
    forge.rememberPort();
    ServerConfig config = testConfig();
    config.forgeUrl = forge.url().toString();
    QVERIFY(config.trustedProxies.parse(u"127.0.0.1"_s).isEmpty());
    ServerFixture fixture(config);
    QVERIFY(fixture.start());
    m_port = fixture.server()->port();
    // The close code of a token check: nothing else comes before it.
    auto check = [&](const QByteArray& client, int i) {
        RawWsClient junk;
        if (!upgrade(junk, "X-Forwarded-For: " + client + "\r\n",
                     "/-/ws?access_token=junk-" + client + "-" + QByteArray::number(i)))
            return -1;
        QByteArray bytes;
        if (!waitFor([&] {
                bytes += junk.socket().readAll();
                return bytes.size() >= 4;
            }))
            return -1;
        return (quint8(bytes[0]) & 0x0F) == 0x8 ? (quint8(bytes[2]) << 8) | quint8(bytes[3]) : -2;
    };
    int limited = 0;
    for (int i = 0; i < limits::kForgeChecksPerAddressBurst + 10 && limited == 0; ++i) {
        const int code = check("198.51.100.1", i);
        QVERIFY2(code == 4001 || code == protocol::CloseCode::TryAgainLater,
                 qPrintable(QString::number(code)));
        limited += code == protocol::CloseCode::TryAgainLater;
    }
    QCOMPARE(limited, 1);
    // Another client behind the same proxy still reaches the forge.
    const int before = forge.count(u"/api/v1/user"_s);
    QCOMPARE(check("198.51.100.2", 0), 4001);
    QCOMPARE(forge.count(u"/api/v1/user"_s), before + 1);
}

QTEST_MAIN(TestTrustedProxy)
#include "tst_trustedproxy.moc"
