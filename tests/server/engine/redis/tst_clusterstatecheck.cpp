// ClusterStateCheck against a real three-primary Redis Cluster started here: every primary serves
// once asked; a primary that is reachable but whose cluster state is fail (it refuses commands on
// keys with CLUSTERDOWN) does not, nor does one that is down; a restarted primary serves again only
// once it has rejoined.

#include "MultiNodeChecks.h"
#include "RedisProcess.h"
#include "TestSupport.h"
#include "engine/redis/ClusterCommands.h"
#include "engine/redis/ClusterStateCheck.h"
#include "engine/redis/ClusterTopology.h"

#include <QSignalSpy>
#include <QTest>

#include <hiredis/hiredis.h>

#include <algorithm>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

class TestClusterStateCheck : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void everyPrimaryServes();
    void aFailedClusterStateIsNotServing();
    void aRestartedPrimaryServesOnceRejoined();

private:
    // Whether the check lists node `n` as not serving, with `why` in its reason.
    bool listed(int n, const QString& why = {}) const;
    // The error node `n` answers `args` with (empty for any other reply).
    QByteArray errorOf(int n, const QByteArrayList& args);

    std::unique_ptr<RedisClusterProcesses> m_cluster;
    std::unique_ptr<ClusterTopology> m_topology;
    std::unique_ptr<ClusterCommands> m_commands;
    std::unique_ptr<ClusterStateCheck> m_check;
};

bool TestClusterStateCheck::listed(int n, const QString& why) const
{
    const QString shard = u"shard 127.0.0.1:%1 "_s.arg(m_cluster->node(n).port());
    const QStringList notServing = m_check->notServing();
    return std::any_of(notServing.cbegin(), notServing.cend(),
                       [&](const QString& line) { return line.startsWith(shard) && line.contains(why); });
}

QByteArray TestClusterStateCheck::errorOf(int n, const QByteArrayList& args)
{
    QByteArray error;
    m_cluster->node(n).withReply(args, [&](const redisReply* reply) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            error = QByteArray(reply->str, qsizetype(reply->len));
    });
    return error;
}

void TestClusterStateCheck::initTestCase()
{
    FORGEWIRE_REQUIRE_REDIS(false);
}

void TestClusterStateCheck::init()
{
    m_cluster = std::make_unique<RedisClusterProcesses>();
    QVERIFY(m_cluster->start(3));
    m_topology = std::make_unique<ClusterTopology>(m_cluster->seeds(), QByteArray(), QByteArray());
    m_commands = std::make_unique<ClusterCommands>(m_topology.get(), QByteArray(), QByteArray());
    m_check = std::make_unique<ClusterStateCheck>(m_topology.get(), m_commands.get());
    m_check->start();
    m_topology->start();
    QVERIFY(waitFor([&] { return m_topology->map().has_value(); }));
}

void TestClusterStateCheck::cleanup()
{
    // The commands first: their pending handlers (the check's questions) go unrun.
    m_commands.reset();
    m_check.reset();
    m_topology.reset();
    m_cluster.reset();
}

void TestClusterStateCheck::everyPrimaryServes()
{
    QVERIFY(waitFor([&] { return m_check->allServing(); }));
    QCOMPARE(m_check->notServing(), QStringList());
    QCOMPARE(m_check->notServingCount(), 0);
    // Not serving until asked: a primary has not said so yet.
    ClusterStateCheck fresh(m_topology.get(), m_commands.get());
    QCOMPARE(fresh.notServingCount(), 3);
    QVERIFY2(fresh.notServing().value(1).endsWith(u" not serving: not asked yet"_s),
             qPrintable(fresh.notServing().join(u"; "_s)));
    fresh.start();
    QVERIFY(waitFor([&] { return fresh.allServing(); }));
}

void TestClusterStateCheck::aFailedClusterStateIsNotServing()
{
    QVERIFY(waitFor([&] { return m_check->allServing(); }));
    QSignalSpy changed(m_check.get(), &ClusterStateCheck::changed);
    // With a primary down and full coverage required, the others say cluster_state:fail once they
    // agree it failed; they stay reachable and refuse commands on keys with CLUSTERDOWN.
    m_cluster->node(2).stop();
    for (int n : {0, 1})
        QCOMPARE(m_cluster->node(n).command({"CONFIG", "SET", "cluster-require-full-coverage", "yes"}),
                 QByteArray("OK"));
    QVERIFY2(waitFor([&] { return listed(0, u"cluster_state is fail"_s); }, kRedisRecoverMs),
             qPrintable(m_check->notServing().join(u"; "_s)));
    QVERIFY(listed(2)); // down: connection lost, or cannot ask
    QVERIFY(!m_check->allServing());
    QVERIFY(!changed.isEmpty());
    QCOMPARE(errorOf(0, {"SET", "k", "1"}).left(11), QByteArray("CLUSTERDOWN"));

    for (int n : {0, 1})
        QCOMPARE(m_cluster->node(n).command({"CONFIG", "SET", "cluster-require-full-coverage", "no"}),
                 QByteArray("OK"));
    QVERIFY(waitFor([&] { return !listed(0) && !listed(1); }, kRedisRecoverMs));
    QCOMPARE(m_check->notServingCount(), 1);
    QVERIFY(listed(2));
}

void TestClusterStateCheck::aRestartedPrimaryServesOnceRejoined()
{
    QVERIFY(waitFor([&] { return m_check->allServing(); }));
    // Not serving from the moment its connection is lost: it could be back, not rejoined, before the
    // next question.
    QSignalSpy down(m_commands.get(), &ClusterCommands::primaryDown);
    m_cluster->node(1).stop();
    QVERIFY(down.wait(kWaitMs));
    QVERIFY2(listed(1), qPrintable(m_check->notServing().join(u"; "_s)));
    QVERIFY(m_cluster->node(1).start());
    QVERIFY(waitFor([&] { return m_check->allServing(); }, kRedisRecoverMs));
    // Said once the node said ok (a node that rejoined stays so): it takes commands on its keys.
    QVERIFY(m_cluster->node(1).command({"CLUSTER", "INFO"}).contains("cluster_state:ok"));
    QByteArray key;
    for (int i = 0; key.isEmpty(); ++i) {
        const QByteArray candidate = "fw:{k" + QByteArray::number(i) + '}';
        if (m_cluster->nodeOfSlot(ClusterSlots::keySlot(candidate)) == 1)
            key = candidate;
    }
    QCOMPARE(m_cluster->node(1).command({"SET", key, "1"}), QByteArray("OK"));
}

QTEST_GUILESS_MAIN(TestClusterStateCheck)
#include "tst_clusterstatecheck.moc"
