// ShardedSubscriber against a real three-primary Redis Cluster started here: SSUBSCRIBE on the shard
// that owns the channel and its SPUBLISHed messages, MOVED for a channel of another shard, the
// server's SUNSUBSCRIBE when the slot moves away, PING answered, a hung shard failing the
// connection, and AUTH.

#include "RedisProcess.h"
#include "TestSupport.h"
#include "engine/redis/ClusterSlots.h"
#include "engine/redis/ShardedSubscriber.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

class TestShardedSubscriber : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void messagesOfItsShard();
    void aChannelOfAnotherShardIsRefused();
    void aMovedSlotEndsTheSubscription();
    void aHungShardFailsTheConnection();
    void authenticates();
    void pendingRequestsAreBounded();

private:
    // A channel whose slot node `n` serves (slots are split evenly in node order).
    QByteArray channelOn(int n, const QByteArray& name = "x");
    bool openOn(ShardedSubscriber& subscriber, int n);

    std::unique_ptr<RedisClusterProcesses> m_cluster;
};

QByteArray TestShardedSubscriber::channelOn(int n, const QByteArray& name)
{
    for (int i = 0;; ++i) {
        const QByteArray channel = "fw:{" + name + QByteArray::number(i) + "}";
        if (ClusterSlots::keySlot(channel) / (ClusterSlots::kSlotCount / 3) == n)
            return channel;
    }
}

bool TestShardedSubscriber::openOn(ShardedSubscriber& subscriber, int n)
{
    QSignalSpy connected(&subscriber, &ShardedSubscriber::connected);
    subscriber.open(u"127.0.0.1"_s, m_cluster->node(n).port());
    return waitFor([&] { return !connected.isEmpty(); });
}

void TestShardedSubscriber::initTestCase()
{
    FORGEWIRE_REQUIRE_REDIS(false);
}

void TestShardedSubscriber::init()
{
    m_cluster = std::make_unique<RedisClusterProcesses>();
    QVERIFY(m_cluster->start(3));
}

void TestShardedSubscriber::cleanup()
{
    m_cluster.reset();
}

void TestShardedSubscriber::messagesOfItsShard()
{
    ShardedSubscriber subscriber(u"test"_s);
    QVERIFY(openOn(subscriber, 1));
    QSignalSpy subscribed(&subscriber, &ShardedSubscriber::subscribed);
    QSignalSpy messages(&subscriber, &ShardedSubscriber::message);
    QSignalSpy pongs(&subscriber, &ShardedSubscriber::pong);
    const QByteArray channel = channelOn(1);
    QVERIFY(subscriber.subscribe(channel));
    QVERIFY(waitFor([&] { return !subscribed.isEmpty(); }));
    QCOMPARE(subscribed.constFirst().at(0).toByteArray(), channel);

    // Published on the shard: one subscriber there.
    QCOMPARE(m_cluster->node(1).command({"SPUBLISH", channel, "hello"}), QByteArray("1"));
    QVERIFY(waitFor([&] { return !messages.isEmpty(); }));
    QCOMPARE(messages.constFirst().at(0).toByteArray(), channel);
    QCOMPARE(messages.constFirst().at(1).toByteArray(), QByteArray("hello"));
    QVERIFY(subscriber.ping());
    QVERIFY(waitFor([&] { return !pongs.isEmpty(); }));
    QCOMPARE(subscriber.pendingCount(), 0);

    QSignalSpy unsubscribed(&subscriber, &ShardedSubscriber::unsubscribed);
    QVERIFY(subscriber.unsubscribe(channel));
    QVERIFY(waitFor([&] { return !unsubscribed.isEmpty(); }));
    QCOMPARE(unsubscribed.constFirst().at(1).toBool(), false);
    QCOMPARE(m_cluster->node(1).command({"SPUBLISH", channel, "again"}), QByteArray("0"));
}

void TestShardedSubscriber::aChannelOfAnotherShardIsRefused()
{
    ShardedSubscriber subscriber(u"test"_s);
    QVERIFY(openOn(subscriber, 0));
    QSignalSpy refused(&subscriber, &ShardedSubscriber::refused);
    QSignalSpy subscribed(&subscriber, &ShardedSubscriber::subscribed);
    const QByteArray elsewhere = channelOn(2);
    const QByteArray here = channelOn(0);
    QVERIFY(subscriber.subscribe(elsewhere));
    QVERIFY(subscriber.subscribe(here));
    QVERIFY(waitFor([&] { return !refused.isEmpty() && !subscribed.isEmpty(); }));
    QCOMPARE(refused.constFirst().at(0).toByteArray(), elsewhere);
    const auto redirect = ClusterSlots::parseRedirect(refused.constFirst().at(1).toString().toUtf8());
    QVERIFY2(redirect && redirect->node.port == m_cluster->node(2).port(),
             qPrintable(refused.constFirst().at(1).toString()));
    QCOMPARE(subscribed.constFirst().at(0).toByteArray(), here);
    QVERIFY(subscriber.isConnected());
}

void TestShardedSubscriber::aMovedSlotEndsTheSubscription()
{
    ShardedSubscriber subscriber(u"test"_s);
    QVERIFY(openOn(subscriber, 0));
    QSignalSpy subscribed(&subscriber, &ShardedSubscriber::subscribed);
    QSignalSpy unsubscribed(&subscriber, &ShardedSubscriber::unsubscribed);
    const QByteArray channel = channelOn(0);
    QVERIFY(subscriber.subscribe(channel));
    QVERIFY(waitFor([&] { return !subscribed.isEmpty(); }));

    // The slot (empty) handed to node 1: node 0 ends the subscription itself.
    QVERIFY(m_cluster->handSlot(ClusterSlots::keySlot(channel), 0, 1));
    QVERIFY(waitFor([&] { return !unsubscribed.isEmpty(); }));
    QCOMPARE(unsubscribed.constFirst().at(0).toByteArray(), channel);
    QCOMPARE(unsubscribed.constFirst().at(1).toBool(), true);
    QVERIFY(subscriber.isConnected());
}

void TestShardedSubscriber::aHungShardFailsTheConnection()
{
    ShardedSubscriber subscriber(u"test"_s);
    QVERIFY(openOn(subscriber, 2));
    QSignalSpy disconnected(&subscriber, &ShardedSubscriber::disconnected);
    m_cluster->node(2).pause();
    QElapsedTimer clock;
    clock.start();
    QVERIFY(subscriber.ping());
    QVERIFY(waitFor([&] { return !disconnected.isEmpty(); }, ShardedSubscriber::kDefaultTimeoutMs + kWaitMs));
    QVERIFY(clock.elapsed() >= ShardedSubscriber::kDefaultTimeoutMs);
    QVERIFY2(disconnected.constFirst().at(0).toString().contains(u"no answer within 2000 ms"_s),
             qPrintable(disconnected.constFirst().at(0).toString()));
    QVERIFY(!subscriber.isConnected());
    QVERIFY(!subscriber.ping());
    m_cluster->node(2).resume();
}

void TestShardedSubscriber::authenticates()
{
    QCOMPARE(m_cluster->node(0).command({"CONFIG", "SET", "requirepass", "s3cret"}), QByteArray("OK"));
    ShardedSubscriber refusedOne(u"test"_s);
    QSignalSpy disconnected(&refusedOne, &ShardedSubscriber::disconnected);
    refusedOne.setCredentials({}, "wrong");
    refusedOne.open(u"127.0.0.1"_s, m_cluster->node(0).port());
    QVERIFY(waitFor([&] { return !disconnected.isEmpty(); }));
    QVERIFY2(disconnected.constFirst().at(0).toString().startsWith(u"AUTH failed: WRONGPASS"_s),
             qPrintable(disconnected.constFirst().at(0).toString()));

    ShardedSubscriber subscriber(u"test"_s);
    subscriber.setCredentials({}, "s3cret");
    QVERIFY(openOn(subscriber, 0));
    QSignalSpy subscribed(&subscriber, &ShardedSubscriber::subscribed);
    QVERIFY(subscriber.subscribe(channelOn(0)));
    QVERIFY(waitFor([&] { return !subscribed.isEmpty(); }));
}

void TestShardedSubscriber::pendingRequestsAreBounded()
{
    ShardedSubscriber subscriber(u"test"_s);
    QVERIFY(openOn(subscriber, 1));
    QSignalSpy subscribed(&subscriber, &ShardedSubscriber::subscribed);
    const QByteArray channel = channelOn(1);
    // Sent without returning to the event loop, so none is answered meanwhile.
    for (qsizetype i = 0; i < ShardedSubscriber::kMaxPending; ++i)
        QVERIFY(subscriber.subscribe(channel));
    QVERIFY(!subscriber.subscribe(channel));
    QVERIFY(!subscriber.ping());
    QCOMPARE(subscriber.pendingCount(), ShardedSubscriber::kMaxPending);
    QVERIFY(waitFor([&] { return subscribed.size() == ShardedSubscriber::kMaxPending; }));
    QCOMPARE(subscriber.pendingCount(), 0);
    QVERIFY(subscriber.isConnected());
    QVERIFY(subscriber.ping());
}

QTEST_GUILESS_MAIN(TestShardedSubscriber)
#include "tst_shardedsubscriber.moc"
