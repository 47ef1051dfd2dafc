// `[server] trusted_proxies` (PROTOCOL.md v1.2, behind a proxy): which address a request is from.
// Forged headers from an untrusted peer, the right-most untrusted hop, chains of proxies, X-Real-IP,
// IPv6 (bracketed, with ports, IPv4-mapped peers) and malformed values, which are ignored.

#include "http/HttpMessage.h"
#include "http/TrustedProxies.h"

#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestTrustedProxies : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void clientOf_data();
    void clientOf();
    void hopsReadAreBounded();
};

void TestTrustedProxies::parse_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("normalized");
    QTest::addColumn<bool>("ok");
    QTest::newRow("empty") << QString() << QString() << true;
    QTest::newRow("cidrs") << u"10.0.0.0/8  fd00::/8"_s << u"10.0.0.0/8 fd00::/8"_s << true;
    QTest::newRow("commas") << u"10.0.0.0/8,192.168.1.1"_s << u"10.0.0.0/8 192.168.1.1/32"_s << true;
    QTest::newRow("single v6") << u"::1"_s << u"::1/128"_s << true;
    QTest::newRow("duplicate") << u"::1 ::1/128"_s << u"::1/128"_s << true;
    QTest::newRow("mapped v4") << u"::ffff:127.0.0.1"_s << u"127.0.0.1/32"_s << true;
    QTest::newRow("mapped v4 subnet") << u"::ffff:10.0.0.0/104"_s << u"10.0.0.0/8"_s << true;
    QTest::newRow("prefix too long") << u"10.0.0.0/33"_s << QString() << false;
    QTest::newRow("not an address") << u"proxy.example"_s << QString() << false;
    QTest::newRow("bad octet") << u"10.0.0.300"_s << QString() << false;
}

void TestTrustedProxies::parse()
{
    QFETCH(QString, text);
    QFETCH(QString, normalized);
    QFETCH(bool, ok);
    TrustedProxies proxies;
    const QString error = proxies.parse(text);
    QCOMPARE(error.isEmpty(), ok);
    if (ok)
        QCOMPARE(proxies.toString(), normalized);
    else
        QVERIFY2(error.contains(u"CIDR"_s), qPrintable(error));
}

void TestTrustedProxies::clientOf_data()
{
    QTest::addColumn<QString>("peer");
    QTest::addColumn<QByteArrayList>("headers"); // "name: value" lines
    QTest::addColumn<QString>("client");
    QTest::addColumn<bool>("malformed");
    const QString proxy = u"10.0.0.2"_s;
    QTest::newRow("untrusted peer: forged header ignored")
        << u"203.0.113.9"_s << QByteArrayList{"X-Forwarded-For: 198.51.100.1"} << u"203.0.113.9"_s << false;
    QTest::newRow("untrusted peer: forged X-Real-IP ignored")
        << u"203.0.113.9"_s << QByteArrayList{"X-Real-IP: 198.51.100.1"} << u"203.0.113.9"_s << false;
    QTest::newRow("trusted peer, no header") << proxy << QByteArrayList{} << proxy << false;
    QTest::newRow("one hop") << proxy << QByteArrayList{"X-Forwarded-For: 198.51.100.1"} << u"198.51.100.1"_s
                             << false;
    // The client wrote its own X-Forwarded-For; nginx appended the address it saw.
    QTest::newRow("client-forged hop on the left")
        << proxy << QByteArrayList{"X-Forwarded-For: 1.2.3.4, 198.51.100.1"} << u"198.51.100.1"_s << false;
    QTest::newRow("client-forged junk on the left")
        << proxy << QByteArrayList{"X-Forwarded-For: not-an-ip, 198.51.100.1"} << u"198.51.100.1"_s << false;
    QTest::newRow("two trusted proxies")
        << proxy << QByteArrayList{"X-Forwarded-For: 1.2.3.4, 198.51.100.1, 10.9.9.9"} << u"198.51.100.1"_s
        << false;
    QTest::newRow("all trusted: the left-most")
        << proxy << QByteArrayList{"X-Forwarded-For: 10.1.1.1, 10.9.9.9"} << u"10.1.1.1"_s << false;
    QTest::newRow("two header lines are one list")
        << proxy << QByteArrayList{"X-Forwarded-For: 198.51.100.1", "X-Forwarded-For: 10.9.9.9"}
        << u"198.51.100.1"_s << false;
    QTest::newRow("v4 with port") << proxy << QByteArrayList{"X-Forwarded-For: 198.51.100.1:5678"}
                                  << u"198.51.100.1"_s << false;
    QTest::newRow("v6") << proxy << QByteArrayList{"X-Forwarded-For: 2001:db8::7"} << u"2001:db8::7"_s
                        << false;
    QTest::newRow("v6 bracketed with port")
        << proxy << QByteArrayList{"X-Forwarded-For: [2001:db8::7]:443"} << u"2001:db8::7"_s << false;
    QTest::newRow("v6 proxy") << u"fd00::1"_s << QByteArrayList{"X-Forwarded-For: 198.51.100.1"}
                              << u"198.51.100.1"_s << false;
    QTest::newRow("v4-mapped proxy peer")
        << u"::ffff:10.0.0.2"_s << QByteArrayList{"X-Real-IP: 2001:db8::9"} << u"2001:db8::9"_s << false;
    QTest::newRow("X-Real-IP") << proxy << QByteArrayList{"X-Real-IP: 198.51.100.1"} << u"198.51.100.1"_s
                               << false;
    QTest::newRow("X-Forwarded-For wins over X-Real-IP")
        << proxy << QByteArrayList{"X-Real-IP: 1.2.3.4", "X-Forwarded-For: 198.51.100.1"} << u"198.51.100.1"_s
        << false;
    QTest::newRow("malformed right-most hop")
        << proxy << QByteArrayList{"X-Forwarded-For: 198.51.100.1, unknown"} << proxy << true;
    QTest::newRow("empty hop") << proxy << QByteArrayList{"X-Forwarded-For: 198.51.100.1,"} << proxy << true;
    QTest::newRow("empty header") << proxy << QByteArrayList{"X-Forwarded-For: "} << proxy << true;
    QTest::newRow("scope id") << proxy << QByteArrayList{"X-Forwarded-For: fe80::1%eth0"} << proxy << true;
    QTest::newRow("port without address") << proxy << QByteArrayList{"X-Forwarded-For: :80"} << proxy << true;
    QTest::newRow("v4 with a bad port")
        << proxy << QByteArrayList{"X-Forwarded-For: 198.51.100.1:x"} << proxy << true;
    QTest::newRow("v6 with a bad port")
        << proxy << QByteArrayList{"X-Forwarded-For: [2001:db8::7]:123456"} << proxy << true;
    QTest::newRow("bad bracket") << proxy << QByteArrayList{"X-Forwarded-For: [2001:db8::7"} << proxy << true;
    QTest::newRow("malformed X-Real-IP")
        << proxy << QByteArrayList{"X-Real-IP: 198.51.100.1, 1.2.3.4"} << proxy << true;
    QTest::newRow("two X-Real-IP") << proxy << QByteArrayList{"X-Real-IP: 1.2.3.4", "X-Real-IP: 5.6.7.8"}
                                   << proxy << true;
}

void TestTrustedProxies::clientOf()
{
    QFETCH(QString, peer);
    QFETCH(QByteArrayList, headers);
    QFETCH(QString, client);
    QFETCH(bool, malformed);
    TrustedProxies proxies;
    QVERIFY(proxies.parse(u"10.0.0.0/8 fd00::/8"_s).isEmpty());
    QByteArray request = "GET /-/ws HTTP/1.1\r\nHost: x\r\n";
    for (const QByteArray& line : headers)
        request += line + "\r\n";
    request += "\r\n";
    HttpRequestHead head;
    QCOMPARE(parseHttpHead(request, 8192, &head), HttpParseStatus::Complete);
    const TrustedProxies::Client resolved = proxies.clientOf(QHostAddress(peer), head);
    QCOMPARE(resolved.address.toString(), client);
    QCOMPARE(resolved.malformed, malformed);
    QCOMPARE(resolved.forwarded,
             !malformed && client != TrustedProxies::plain(QHostAddress(peer)).toString());
    // Nobody is trusted by default: the peer, whatever its headers.
    QCOMPARE(TrustedProxies().clientOf(QHostAddress(peer), head).address,
             TrustedProxies::plain(QHostAddress(peer)));
}

void TestTrustedProxies::hopsReadAreBounded()
{
    TrustedProxies proxies;
    QVERIFY(proxies.parse(u"10.0.0.0/8"_s).isEmpty());
    // A chain of trusted hops longer than kMaxHops: the reading stops there, at a trusted address.
    QByteArrayList hops{"198.51.100.1"};
    for (int i = 0; i < TrustedProxies::kMaxHops + 5; ++i)
        hops.append("10.0.0." + QByteArray::number(i + 1));
    HttpRequestHead head;
    head.headers.append({"x-forwarded-for", hops.join(", ")});
    const TrustedProxies::Client resolved = proxies.clientOf(QHostAddress(u"10.0.0.2"_s), head);
    QVERIFY(proxies.contains(resolved.address));
    QCOMPARE(resolved.address.toString(),
             QString::fromLatin1(hops.at(hops.size() - TrustedProxies::kMaxHops)));
    // Within the bound the client is found.
    hops.resize(TrustedProxies::kMaxHops);
    head.headers = {{"x-forwarded-for", hops.join(", ")}};
    QCOMPARE(proxies.clientOf(QHostAddress(u"10.0.0.2"_s), head).address.toString(), u"198.51.100.1"_s);
}

QTEST_APPLESS_MAIN(TestTrustedProxies)
#include "tst_trustedproxies.moc"
