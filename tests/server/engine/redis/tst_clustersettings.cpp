// The redis-cluster:// form: every part, and every refusal with why (never a password in it).

#include "engine/redis/ClusterSettings.h"

#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestClusterSettings : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parseUrl_data();
    void parseUrl();
    void badUrl_data();
    void badUrl();
    void seedBound();
};

void TestClusterSettings::parseUrl_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("seeds");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("password");
    QTest::newRow("one") << u"redis-cluster://10.0.0.1:7000"_s << u"10.0.0.1:7000"_s << QString()
                         << QString();
    QTest::newRow("default port, trailing slash")
        << u"redis-cluster://r1,r2:7001/"_s << u"r1:6379,r2:7001"_s << QString() << QString();
    QTest::newRow("IPv6") << u"redis-cluster://[::1]:7000,[::1]"_s << u"[::1]:7000,[::1]:6379"_s << QString()
                          << QString();
    QTest::newRow("each seed once") << u"redis-cluster://a:1,b:2,a:1"_s << u"a:1,b:2"_s << QString()
                                    << QString();
    QTest::newRow("password alone") << u"redis-cluster://:s%40cret@a:1"_s << u"a:1"_s << QString()
                                    << u"s@cret"_s;
    QTest::newRow("ACL user") << u"redis-cluster://fw%20node:pw@a:1,b:2"_s << u"a:1,b:2"_s << u"fw node"_s
                              << u"pw"_s;
}

void TestClusterSettings::parseUrl()
{
    QFETCH(QString, url);
    QFETCH(QString, seeds);
    QFETCH(QString, user);
    QFETCH(QString, password);
    QString error;
    const std::optional<ClusterSettings> settings = ClusterSettings::parseUrl(url, &error);
    QVERIFY2(settings, qPrintable(error));
    QStringList parsed;
    for (const RedisEndpoint& seed : settings->seeds)
        parsed.append(seed.toString());
    QCOMPARE(parsed.join(u','), seeds);
    QCOMPARE(settings->user, user);
    QCOMPARE(settings->password, password);
    QVERIFY(!settings->toString().contains(u"s@cret"_s));
}

void TestClusterSettings::badUrl_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("why");
    QTest::newRow("other scheme") << u"redis://a:1"_s << u"does not start with redis-cluster://"_s;
    QTest::newRow("database") << u"redis-cluster://a:1/2"_s << u"database 0 only"_s;
    QTest::newRow("parameters") << u"redis-cluster://a:1?db=1"_s << u"database 0 only"_s;
    QTest::newRow("no servers") << u"redis-cluster://"_s << u"server '' is not host[:port]"_s;
    QTest::newRow("empty server") << u"redis-cluster://a:1,,b:2"_s << u"server '' is not host[:port]"_s;
    QTest::newRow("port 0") << u"redis-cluster://a:0"_s << u"server 'a:0' is not host[:port]"_s;
    QTest::newRow("port too big") << u"redis-cluster://a:65536"_s << u"server 'a:65536' is not"_s;
    QTest::newRow("port not a number") << u"redis-cluster://a:x"_s << u"server 'a:x' is not"_s;
    QTest::newRow("unbracketed IPv6") << u"redis-cluster://::1:7000"_s << u"is not host[:port]"_s;
    QTest::newRow("user, no password") << u"redis-cluster://secret@a:1"_s << u"a user but no password"_s;
    QTest::newRow("empty password") << u"redis-cluster://u:@a:1"_s << u"an empty password"_s;
}

void TestClusterSettings::badUrl()
{
    QFETCH(QString, url);
    QFETCH(QString, why);
    QString error;
    QVERIFY(!ClusterSettings::parseUrl(url, &error));
    QVERIFY2(error.contains(why), qPrintable(error));
    QVERIFY2(error.startsWith(u"bad Redis Cluster URL: "_s), qPrintable(error));
    QVERIFY2(!error.contains(u"secret"_s), qPrintable(error));
}

void TestClusterSettings::seedBound()
{
    QStringList seeds;
    for (int i = 0; i < ClusterSettings::kMaxSeeds; ++i)
        seeds.append(u"10.0.0.%1:7000"_s.arg(i + 1));
    QString error;
    QVERIFY2(ClusterSettings::parseUrl(u"redis-cluster://"_s + seeds.join(u','), &error), qPrintable(error));
    seeds.append(u"10.0.1.1:7000"_s);
    QVERIFY(!ClusterSettings::parseUrl(u"redis-cluster://"_s + seeds.join(u','), &error));
    QVERIFY2(error.contains(u"more than 16 servers"_s), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestClusterSettings)
#include "tst_clustersettings.moc"
