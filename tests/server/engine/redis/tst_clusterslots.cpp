// ClusterSlots: a key's slot and hash tag as Redis Cluster computes them (checked against a real
// cluster-enabled redis-server's CLUSTER KEYSLOT), MOVED and ASK redirections, and the slot map
// of a real three-primary cluster started here (the primary it names for a key takes writes of it).

#include "RedisProcess.h"
#include "TestSupport.h"
#include "engine/redis/ClusterSlots.h"

#include <QRandomGenerator>
#include <QTest>

#include <hiredis/hiredis.h>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

class TestClusterSlots : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void hashTag_data();
    void hashTag();
    void keySlotIsRedis();
    void redirect_data();
    void redirect();
    void mapOfARealCluster();
    void aClusterMissingSlots();
    void notAClusterIsAnError();
};

void TestClusterSlots::initTestCase()
{
    FORGEWIRE_REQUIRE_REDIS(false);
}

void TestClusterSlots::hashTag_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("tag");
    QTest::newRow("no braces") << QByteArray("fw:retained:user-7") << QByteArray("fw:retained:user-7");
    QTest::newRow("tag") << QByteArray("fw:{user-7}:retained") << QByteArray("user-7");
    QTest::newRow("first tag only") << QByteArray("a{b}{c}") << QByteArray("b");
    QTest::newRow("empty tag: whole key") << QByteArray("a{}{c}") << QByteArray("a{}{c}");
    QTest::newRow("no closing brace") << QByteArray("a{b") << QByteArray("a{b");
    QTest::newRow("brace inside") << QByteArray("a{{b}}") << QByteArray("{b");
    QTest::newRow("closing before opening") << QByteArray("a}b{c}") << QByteArray("c");
    QTest::newRow("empty key") << QByteArray() << QByteArray();
}

void TestClusterSlots::hashTag()
{
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, tag);
    QCOMPARE(ClusterSlots::hashTag(key).toByteArray(), tag);
}

void TestClusterSlots::keySlotIsRedis()
{
    // Redis' documented examples.
    QCOMPARE(ClusterSlots::keySlot("somekey"), quint16(11058));
    QCOMPARE(ClusterSlots::keySlot("foo{hash_tag}"), quint16(2515));
    QCOMPARE(ClusterSlots::keySlot("bar{hash_tag}"), quint16(2515));
    // And what a real server says, for the cases above and random bytes.
    RedisProcess redis(freeClusterPort(), RedisClusterProcesses::clusterArguments());
    QVERIFY(redis.start());
    QByteArrayList keys{
        "fw:{user-7}:retained", "a{b}{c}", "a{}{c}", "a{b", "a{{b}}", "a}b{c}", "", "{", "}", "{}"};
    QRandomGenerator random(7);
    for (int i = 0; i < 500; ++i) {
        QByteArray key(int(random.bounded(1, 40)), Qt::Uninitialized);
        for (char& c : key)
            c = "ab{}:-_7\xff\x01"[random.bounded(10)];
        keys.append(key);
    }
    for (const QByteArray& key : std::as_const(keys))
        QCOMPARE(QByteArray::number(ClusterSlots::keySlot(key)), redis.command({"CLUSTER", "KEYSLOT", key}));
}

void TestClusterSlots::redirect_data()
{
    QTest::addColumn<QByteArray>("error");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<bool>("ask");
    QTest::addColumn<int>("slot");
    QTest::addColumn<QString>("node");
    QTest::newRow("moved") << QByteArray("MOVED 3999 127.0.0.1:6381") << true << false << 3999
                           << u"127.0.0.1:6381"_s;
    QTest::newRow("ask") << QByteArray("ASK 0 10.0.0.2:7000") << true << true << 0 << u"10.0.0.2:7000"_s;
    QTest::newRow("ipv6") << QByteArray("MOVED 16383 [::1]:7000") << true << false << 16383
                          << u"[::1]:7000"_s;
    QTest::newRow("hostname") << QByteArray("MOVED 1 redis-2.internal:6379") << true << false << 1
                              << u"redis-2.internal:6379"_s;
    QTest::newRow("other error") << QByteArray("ERR unknown command") << false << false << 0 << QString();
    QTest::newRow("slot too big") << QByteArray("MOVED 16384 h:1") << false << false << 0 << QString();
    QTest::newRow("no port") << QByteArray("MOVED 1 h") << false << false << 0 << QString();
    QTest::newRow("port zero") << QByteArray("MOVED 1 h:0") << false << false << 0 << QString();
    QTest::newRow("extra word") << QByteArray("MOVED 1 h:1 x") << false << false << 0 << QString();
}

void TestClusterSlots::redirect()
{
    QFETCH(QByteArray, error);
    QFETCH(bool, valid);
    const std::optional<ClusterSlots::Redirect> redirect = ClusterSlots::parseRedirect(error);
    QCOMPARE(redirect.has_value(), valid);
    if (!valid)
        return;
    QTEST(redirect->ask, "ask");
    QTEST(redirect->slot, "slot");
    QTEST(redirect->node.toString(), "node");
}

void TestClusterSlots::mapOfARealCluster()
{
    RedisClusterProcesses cluster;
    QVERIFY(cluster.start(3));
    std::optional<ClusterSlots> map;
    QString error;
    cluster.node(1).withReply({"CLUSTER", "SLOTS"}, [&](const redisReply* reply) {
        map = ClusterSlots::fromClusterSlots(reply, u"127.0.0.1"_s, &error);
    });
    QVERIFY2(map, qPrintable(error));
    QCOMPARE(map->ranges().size(), 3);
    QVERIFY(map->coversEverySlot());
    QCOMPARE(map->primaries().size(), 3);
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(map->primaries().at(i).port, cluster.node(i).port());
        QVERIFY(map->hasPrimary(u"127.0.0.1:%1"_s.arg(cluster.node(i).port())));
    }
    QVERIFY(!map->hasPrimary(u"127.0.0.1:1"_s));
    QVERIFY(!map->hasPrimary(u"127.0.0.2:%1"_s.arg(cluster.node(0).port())));
    // The primary named for a key takes a write of it; the others redirect it there.
    for (int i = 0; i < 100; ++i) {
        const QByteArray key = "fw:{user-" + QByteArray::number(i) + "}:retained";
        const std::optional<ClusterSlots::Node> primary = map->primaryFor(ClusterSlots::keySlot(key));
        QVERIFY(primary);
        for (int n = 0; n < 3; ++n) {
            QByteArray answer;
            cluster.node(n).withReply({"SET", key, "1"}, [&](const redisReply* reply) {
                answer = reply ? QByteArray(reply->str, qsizetype(reply->len)) : QByteArray();
            });
            if (cluster.node(n).port() == primary->port) {
                QCOMPARE(answer, QByteArray("OK"));
            } else {
                const auto redirect = ClusterSlots::parseRedirect(answer);
                QVERIFY2(redirect && !redirect->ask && redirect->node == *primary, answer.constData());
            }
        }
    }
}

void TestClusterSlots::aClusterMissingSlots()
{
    RedisProcess redis(freeClusterPort(), RedisClusterProcesses::clusterArguments());
    QVERIFY(redis.start());
    QCOMPARE(redis.command({"CLUSTER", "ADDSLOTSRANGE", "0", "100"}), QByteArray("OK"));
    std::optional<ClusterSlots> map;
    QString error;
    QVERIFY(waitFor([&] {
        redis.withReply({"CLUSTER", "SLOTS"}, [&](const redisReply* reply) {
            map = ClusterSlots::fromClusterSlots(reply, u"127.0.0.1"_s, &error);
        });
        return map && !map->ranges().isEmpty();
    }));
    QVERIFY(!map->coversEverySlot());
    QVERIFY(map->primaryFor(100));
    QCOMPARE(map->primaryFor(100)->host, u"127.0.0.1"_s);
    QVERIFY(!map->primaryFor(101));
}

void TestClusterSlots::notAClusterIsAnError()
{
    RedisProcess redis(freePort());
    QVERIFY(redis.start());
    std::optional<ClusterSlots> map;
    QString error;
    redis.withReply({"CLUSTER", "SLOTS"}, [&](const redisReply* reply) {
        map = ClusterSlots::fromClusterSlots(reply, u"127.0.0.1"_s, &error);
    });
    QVERIFY(!map);
    QVERIFY2(error.contains(u"cluster support disabled"_s), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestClusterSlots)
#include "tst_clusterslots.moc"
