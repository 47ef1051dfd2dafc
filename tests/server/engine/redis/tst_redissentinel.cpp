// The Redis engine on Redis Sentinel, against real processes started here on free loopback ports
// (redis-server as primary and replica, redis-sentinel): two nodes keep every client through a
// primary killed with SIGKILL, answer 503 (never 202) while there is none, and serve again on the
// promoted replica with every acknowledged retained value; state writes wait for the replicas
// connected; no sentinel means not ready; a server that is not the primary is left.

#include "RedisProcess.h"
#include "TestSupport.h"
#include "engine/redis/ReplicaWait.h"
#include "engine/redis/SentinelLocator.h"

#include <QElapsedTimer>
#include <QRegularExpression>
#include <QTest>
#include <QTimer>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

constexpr auto kMaster = "fwtest";
// Sentinels call the primary down after this long without an answer.
constexpr int kDownAfterMs = 1000;
// Longest from the kill until both nodes serve again: down-after, the sentinels' vote (a split vote
// is retried after a random delay of up to a second), the promotion, and the nodes' reconnect.
constexpr int kFailoverMs = 30'000;

// A primary, its replica and `sentinels` sentinels (quorum: a majority) watching them.
class Deployment
{
public:
    bool start(int sentinels)
    {
        primary = std::make_unique<RedisProcess>(freePort());
        if (!primary->start())
            return false;
        replica = std::make_unique<RedisProcess>(
            freePort(), QStringList{u"--replicaof"_s, u"127.0.0.1"_s, QString::number(primary->port())});
        // Until the replica's first acknowledgement (up to a second after its sync) the primary sends
        // it nothing, so a write's WAIT cannot succeed. Checked with a write made once it is online:
        // one made before that is in the snapshot it got, and its WAIT succeeds at once.
        if (!replica->start() ||
            !waitFor([&] { return primary->info("replication", "slave0").contains("state=online"); }) ||
            !waitFor([&] {
                return primary->command({"SET", "fw:test:replicated", "1"}) == "OK" &&
                       primary->command({"WAIT", "1", "100"}) == "1";
            }))
            return false;
        const int quorum = sentinels / 2 + 1;
        for (int i = 0; i < sentinels; ++i) {
            auto sentinel = RedisProcess::sentinel(freePort(), QString::fromLatin1(kMaster), primary->port(),
                                                   quorum, kDownAfterMs);
            if (!sentinel || !sentinel->start())
                return false;
            this->sentinels.push_back(std::move(sentinel));
        }
        // Each sentinel must know the replica (from the primary's INFO) and the other sentinels (from
        // their hellos) before a failover can happen.
        const QByteArray others = QByteArray::number(sentinels - 1);
        for (const auto& sentinel : this->sentinels) {
            const bool knows = waitFor(
                [&] {
                    const QByteArrayList master = sentinel->list({"SENTINEL", "master", kMaster});
                    return master.value(master.indexOf("num-slaves") + 1) == "1" &&
                           master.value(master.indexOf("num-other-sentinels") + 1) == others;
                },
                20'000);
            if (!knows)
                return false;
        }
        return true;
    }
    QString url(const QString& query = {}) const
    {
        QStringList hosts;
        for (const auto& sentinel : sentinels)
            hosts.append(u"127.0.0.1:%1"_s.arg(sentinel->port()));
        return u"redis-sentinel://%1/%2%3"_s.arg(hosts.join(u','), QString::fromLatin1(kMaster), query);
    }

    std::unique_ptr<RedisProcess> primary;
    std::unique_ptr<RedisProcess> replica;
    std::vector<std::unique_ptr<RedisProcess>> sentinels;
};

// The last notification count `client` was sent, `ms` from now (-1: none).
int lastCount(WsClient& client, int ms)
{
    QTest::qWait(ms);
    int count = -1;
    for (const QJsonObject& m : std::as_const(client.queue())) {
        if (m.value("type"_L1).toString() == "notification-count"_L1)
            count = m.value("count"_L1).toInt();
    }
    client.queue().clear();
    return count;
}

// Reads counts until `count` comes; false if it does not within kWaitMs.
bool receivesCount(WsClient& client, int count)
{
    for (;;) {
        const QJsonObject message = client.nextOfType(u"notification-count"_s);
        if (message.isEmpty())
            return false;
        if (message.value("count"_L1).toInt() == count)
            return true;
    }
}

QByteArray metric(const ServerFixture& node, const QByteArray& name)
{
    const QByteArray text = node.admin("GET", u"/metrics"_s).body;
    for (const QByteArray& line : text.split('\n')) {
        if (line.startsWith(name + ' ') || line.startsWith(name + '{'))
            return line;
    }
    return {};
}

} // namespace

class TestRedisSentinel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void failoverKeepsClientsAndState();
    void stateWritesWaitForAReplica();
    void notReadyWithoutASentinel();
    void passwordsOfPrimaryAndSentinels();
    void aDemotedPrimaryIsLeft();
};

void TestRedisSentinel::initTestCase()
{
    FORGEWIRE_REQUIRE_REDIS(true);
}

void TestRedisSentinel::failoverKeepsClientsAndState()
{
    Deployment redis;
    QVERIFY(redis.start(3));
    auto a = startNode(redis.url());
    auto b = startNode(redis.url());
    QVERIFY(a && b);
    QVERIFY(waitFor([&] { return a->server()->isReady() && b->server()->isReady(); }, 15'000));
    const QByteArray primaryMetric =
        "forgewire_redis_primary{address=\"127.0.0.1:" + QByteArray::number(redis.primary->port()) + "\"} 1";
    QCOMPARE(metric(*a, "forgewire_redis_primary"), primaryMetric);

    // Clients on both nodes, each with a retained count written through the other node.
    constexpr int kUsers = 20;
    std::vector<std::unique_ptr<WsClient>> clients;
    for (int user = 1; user <= kUsers; ++user) {
        clients.push_back(connectUser(user % 2 ? *a : *b, user));
        QVERIFY(clients.back());
        QCOMPARE(publishCount(user % 2 ? *b : *a, user, user * 10).status, 202);
    }
    for (int user = 1; user <= kUsers; ++user)
        QCOMPARE(clients[user - 1]->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), user * 10);
    // Retained values of users with no client, acknowledged right before the kill.
    constexpr int kStored = 200;
    for (int user = 1000; user < 1000 + kStored; ++user)
        QCOMPARE(publishCount(user % 2 ? *a : *b, user, user).status, 202);

    // A publisher on node A all through the failover, for user 1 (whose client is on A too).
    QHash<int, int> statuses;
    int lastAcknowledged = 10;
    int next = 100;
    QTimer publisher;
    publisher.setInterval(50);
    connect(&publisher, &QTimer::timeout, this, [&] {
        const int status = publishCount(*a, 1, next).status;
        ++statuses[status];
        if (status == 202)
            lastAcknowledged = next;
        ++next;
    });
    publisher.start();
    QTest::qWait(300);

    // The sentinel listed first goes too: the nodes must ask the others.
    redis.sentinels.front()->stop();
    QElapsedTimer clock;
    clock.start();
    redis.primary->stop(); // SIGKILL
    QVERIFY(waitFor([&] { return !a->server()->isReady() && !b->server()->isReady(); }));
    QVERIFY(waitFor([&] { return redis.replica->info("replication", "role") == "master"; }, kFailoverMs));
    const qint64 promotedAfter = clock.elapsed();
    QVERIFY(waitFor(
        [&] {
            return redis.sentinels.back()->list({"SENTINEL", "get-master-addr-by-name", kMaster}).value(1) ==
                   QByteArray::number(redis.replica->port());
        },
        kFailoverMs));
    const qint64 namedAfter = clock.elapsed();
    QVERIFY(waitFor([&] { return a->server()->isReady() && b->server()->isReady(); }, kFailoverMs));
    const qint64 servingAfter = clock.elapsed();
    QTest::qWait(500);
    publisher.stop();

    // 503 while there was no primary, 202 before and after, nothing else; never a 202 for a write
    // Redis did not take (the check below finds every acknowledged value).
    QVERIFY2(statuses.value(503) > 0, "the failover went unnoticed");
    QVERIFY(statuses.value(202) > 0);
    QCOMPARE(statuses.value(503) + statuses.value(202), next - 100);
    // Not one client was closed.
    for (const auto& client : clients)
        QVERIFY(client->isOpen());
    // The last value acknowledged, or a later one whose 503 came after Redis had taken it.
    const int shown = lastCount(*clients[0], 300);
    QVERIFY2(shown >= lastAcknowledged && shown < next,
             qPrintable(u"shown %1, acknowledged %2"_s.arg(shown).arg(lastAcknowledged)));

    // Both nodes on the promoted replica: a publish on A reaches a client on B.
    const QByteArray newPrimary =
        "forgewire_redis_primary{address=\"127.0.0.1:" + QByteArray::number(redis.replica->port()) + "\"} 1";
    QCOMPARE(metric(*a, "forgewire_redis_primary"), newPrimary);
    QCOMPARE(metric(*b, "forgewire_redis_primary"), newPrimary);
    QCOMPARE(metric(*a, "forgewire_redis_failovers_total"), QByteArray("forgewire_redis_failovers_total 1"));
    QCOMPARE(publishCount(*a, 2, 777).status, 202);
    // (After the retained count the node sent again on reconnect, as other nodes may have moved on.)
    QVERIFY(receivesCount(*clients[1], 777));
    // The promoted replica has no replica of its own (the old primary is dead): state writes are
    // acknowledged without one, and counted.
    QVERIFY(metric(*a, "forgewire_redis_unprotected_writes_total") !=
            "forgewire_redis_unprotected_writes_total 0");

    // Every retained value acknowledged before the kill is there, for a new client and in Redis.
    for (int user = 1000; user < 1000 + kStored; ++user) {
        QCOMPARE(redis.replica->command(
                     {"HGET", "fw:retained:user-" + QByteArray::number(user), "notification-count"}),
                 R"({"count":)" + QByteArray::number(user) + R"(,"type":"notification-count"})");
    }
    for (int user = 2; user <= kUsers; ++user) {
        auto late = connectUser(user % 2 ? *b : *a, user);
        QVERIFY(late);
        QCOMPARE(late->nextOfType(u"notification-count"_s).value("count"_L1).toInt(),
                 user == 2 ? 777 : user * 10);
    }

    const QByteArray outageA = metric(*a, "forgewire_redis_last_unavailable_seconds");
    const QByteArray outageB = metric(*b, "forgewire_redis_last_unavailable_seconds");
    qInfo().noquote()
        << u"failover: replica promoted %1 ms after the kill, named by the sentinels after %8 ms, "
           "both nodes serving after %2 ms; %3; %4; publishes: %5 x 202, %6 x 503; clients lost: 0 "
           "of %7"_s.arg(promotedAfter)
               .arg(servingAfter)
               .arg(QString::fromUtf8(outageA), QString::fromUtf8(outageB))
               .arg(statuses.value(202))
               .arg(statuses.value(503))
               .arg(kUsers)
               .arg(namedAfter);
}

void TestRedisSentinel::stateWritesWaitForAReplica()
{
    Deployment redis;
    QVERIFY(redis.start(1));
    auto node = startNode(redis.url());
    auto relaxed = startNode(redis.url(u"?wait_replicas=0"_s));
    QVERIFY(node && relaxed);
    QVERIFY(waitFor([&] { return node->server()->isReady() && relaxed->server()->isReady(); }, 15'000));
    QCOMPARE(publishCount(*node, 7, 1).status, 202);
    QCOMPARE(metric(*node, "forgewire_redis_unreplicated_writes_total"),
             QByteArray("forgewire_redis_unreplicated_writes_total 0"));

    // The replica stops taking anything: the primary has the write, no replica confirms it.
    redis.replica->pause();
    QElapsedTimer clock;
    clock.start();
    const HttpReply refused = publishCount(*node, 7, 2);
    QCOMPARE(refused.status, 503);
    QVERIFY(clock.elapsed() >= ReplicaWait::kWaitMs - 50);
    QVERIFY2(refused.body.contains("0 of 1 replicas confirmed it within 500 ms"), refused.body.constData());
    QCOMPARE(metric(*node, "forgewire_redis_unreplicated_writes_total"),
             QByteArray("forgewire_redis_unreplicated_writes_total 1"));
    // What writes no state is not held back, and the node stays ready.
    const QByteArray event = R"({"topic":"user-7","message":{"type":"ci.status","state":"ok"}})";
    QCOMPARE(node->admin("POST", u"/api/v1/publish"_s, event).status, 202);
    QCOMPARE(node->admin("GET", u"/readyz"_s).status, 200);
    // wait_replicas=0 acknowledges what the primary took.
    QCOMPARE(publishCount(*relaxed, 8, 1).status, 202);

    redis.replica->resume();
    QVERIFY(waitFor([&] { return publishCount(*node, 7, 9).status == 202; }));
}

void TestRedisSentinel::notReadyWithoutASentinel()
{
    // Two sentinel ports where nothing listens yet.
    RedisProcess primary(freePort());
    QVERIFY(primary.start());
    const quint16 first = freePort();
    const quint16 second = freePort();
    auto node = startNode(u"redis-sentinel://127.0.0.1:%1,127.0.0.1:%2/%3"_s.arg(first).arg(second).arg(
        QString::fromLatin1(kMaster)));
    QVERIFY(node);
    QVERIFY(waitFor(
        [&] { return node->admin("GET", u"/readyz"_s).body.contains("no primary: no sentinel answered"); }));
    const HttpReply readyz = node->admin("GET", u"/readyz"_s);
    QCOMPARE(readyz.status, 503);
    QVERIFY2(readyz.body.contains(QByteArray::number(first)) &&
                 readyz.body.contains(QByteArray::number(second)),
             readyz.body.constData());
    QCOMPARE(publishCount(*node, 7, 1).status, 503);

    // A sentinel comes up on the second port: the node finds the primary by itself.
    auto sentinel =
        RedisProcess::sentinel(second, QString::fromLatin1(kMaster), primary.port(), 1, kDownAfterMs);
    QVERIFY(sentinel && sentinel->start());
    QVERIFY(waitFor([&] { return node->server()->isReady(); }, 15'000));
    QCOMPARE(node->admin("GET", u"/readyz"_s).status, 200);
    // A primary with no replica connected: nothing to wait for, and counted as such.
    QCOMPARE(publishCount(*node, 7, 1).status, 202);
    QCOMPARE(metric(*node, "forgewire_redis_unprotected_writes_total"),
             QByteArray("forgewire_redis_unprotected_writes_total 1"));
    QCOMPARE(primary.command({"HGET", "fw:retained:user-7", "notification-count"}),
             QByteArray(R"({"count":1,"type":"notification-count"})"));
}

void TestRedisSentinel::passwordsOfPrimaryAndSentinels()
{
    RedisProcess primary(freePort(), {u"--requirepass"_s, u"primary-pw"_s}, {"primary-pw"});
    QVERIFY(primary.start());
    auto sentinel =
        RedisProcess::sentinel(freePort(), QString::fromLatin1(kMaster), primary.port(), 1, kDownAfterMs,
                               {u"requirepass sentinel-pw"_s,
                                u"sentinel auth-pass %1 primary-pw"_s.arg(QString::fromLatin1(kMaster))},
                               {"sentinel-pw"});
    QVERIFY(sentinel && sentinel->start());
    const QString sentinels = u"127.0.0.1:%1/%2"_s.arg(sentinel->port()).arg(QString::fromLatin1(kMaster));

    auto node = startNode(u"redis-sentinel://:primary-pw@%1?sentinel_password=sentinel-pw"_s.arg(sentinels));
    QVERIFY(node);
    QVERIFY(waitFor([&] { return node->server()->isReady(); }, 15'000));
    QCOMPARE(publishCount(*node, 7, 4).status, 202);
    QCOMPARE(primary.command({"HGET", "fw:retained:user-7", "notification-count"}),
             QByteArray(R"({"count":4,"type":"notification-count"})"));

    // A wrong sentinel password: not ready, with the sentinel's refusal and not the password.
    auto refused = startNode(u"redis-sentinel://:primary-pw@%1?sentinel_password=wrong-pw"_s.arg(sentinels));
    QVERIFY(refused);
    QVERIFY(waitFor([&] { return refused->admin("GET", u"/readyz"_s).body.contains("WRONGPASS"); }));
    const HttpReply readyz = refused->admin("GET", u"/readyz"_s);
    QCOMPARE(readyz.status, 503);
    QVERIFY2(readyz.body.contains("no primary: no sentinel answered"), readyz.body.constData());
    QVERIFY(!readyz.body.contains("wrong-pw") && !readyz.body.contains("primary-pw"));
    QCOMPARE(publishCount(*refused, 7, 5).status, 503);
}

void TestRedisSentinel::aDemotedPrimaryIsLeft()
{
    Deployment redis;
    QVERIFY(redis.start(1));
    auto node = startNode(redis.url());
    QVERIFY(node);
    QVERIFY(waitFor([&] { return node->server()->isReady(); }, 15'000));
    auto client = connectUser(*node, 7);
    QVERIFY(client);

    // Roles swapped behind the sentinel's back: it still names the old primary for a while, which
    // still takes the node's PUBLISH heartbeat but is a replica now.
    QCOMPARE(redis.replica->command({"REPLICAOF", "NO", "ONE"}), QByteArray("OK"));
    QCOMPARE(redis.primary->command({"REPLICAOF", "127.0.0.1", QByteArray::number(redis.replica->port())}),
             QByteArray("OK"));
    QVERIFY(waitFor([&] { return !node->server()->isReady(); }));
    const QByteArray reason = "is not the primary (ROLE: slave)";
    QVERIFY(waitFor([&] { return node->admin("GET", u"/readyz"_s).body.contains(reason); }));
    QCOMPARE(publishCount(*node, 7, 1).status, 503);
    QVERIFY(client->isOpen());
}

QTEST_GUILESS_MAIN(TestRedisSentinel)
#include "tst_redissentinel.moc"
