// ClusterTopology against a real three-primary Redis Cluster started here: the map learnt past a
// seed that is down, a slot handed to another primary found on refresh, and every node down
// reported while the last map is kept.

#include "RedisProcess.h"
#include "TestSupport.h"
#include "engine/redis/ClusterTopology.h"

#include <QSignalSpy>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

QList<ClusterSlots::Node> seedsOf(RedisClusterProcesses& cluster, QList<quint16> extra = {})
{
    QList<ClusterSlots::Node> seeds;
    for (quint16 port : extra)
        seeds.append({u"127.0.0.1"_s, port});
    seeds.append(cluster.seeds());
    return seeds;
}

} // namespace

class TestClusterTopology : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void learnsTheMapPastASeedThatIsDown();
    void aMovedSlotIsFoundOnRefresh();
    void everyNodeDownKeepsTheMap();

private:
    std::unique_ptr<RedisClusterProcesses> m_cluster;
};

void TestClusterTopology::initTestCase()
{
    FORGEWIRE_REQUIRE_REDIS(false);
}

void TestClusterTopology::init()
{
    m_cluster = std::make_unique<RedisClusterProcesses>();
    QVERIFY(m_cluster->start(3));
}

void TestClusterTopology::cleanup()
{
    m_cluster.reset();
}

void TestClusterTopology::learnsTheMapPastASeedThatIsDown()
{
    ClusterTopology topology(seedsOf(*m_cluster, {freePort()}), {}, {});
    QSignalSpy changed(&topology, &ClusterTopology::changed);
    topology.start();
    QVERIFY(waitFor([&] { return !changed.isEmpty(); }));
    QVERIFY(topology.map()->coversEverySlot());
    QCOMPARE(topology.map()->primaries().size(), 3);
    QVERIFY(topology.lastError().isEmpty());
    // Asking again finds the same map: no change reported.
    topology.refresh();
    QVERIFY(waitFor([&] { return topology.refreshes() == 2; }));
    QCOMPARE(changed.size(), 1);
}

void TestClusterTopology::aMovedSlotIsFoundOnRefresh()
{
    ClusterTopology topology(seedsOf(*m_cluster), {}, {});
    QSignalSpy changed(&topology, &ClusterTopology::changed);
    topology.start();
    QVERIFY(waitFor([&] { return !changed.isEmpty(); }));
    const int slot = 100; // node 0's, empty
    QCOMPARE(topology.map()->primaryFor(slot)->port, m_cluster->node(0).port());

    QVERIFY(m_cluster->handSlot(slot, 0, 2));
    QVERIFY(waitFor([&] {
        topology.refresh();
        QTest::qWait(100);
        return topology.map()->primaryFor(slot)->port == m_cluster->node(2).port();
    }));
    QCOMPARE(changed.size(), 2);
    QVERIFY(topology.map()->coversEverySlot());
    QCOMPARE(topology.map()->primaryFor(slot - 1)->port, m_cluster->node(0).port());
    QCOMPARE(topology.map()->primaryFor(slot + 1)->port, m_cluster->node(0).port());
}

void TestClusterTopology::everyNodeDownKeepsTheMap()
{
    ClusterTopology topology(seedsOf(*m_cluster), {}, {});
    QSignalSpy changed(&topology, &ClusterTopology::changed);
    QSignalSpy unavailable(&topology, &ClusterTopology::unavailable);
    topology.start();
    QVERIFY(waitFor([&] { return !changed.isEmpty(); }));
    QList<quint16> ports;
    for (int i = 0; i < m_cluster->size(); ++i) {
        ports.append(m_cluster->node(i).port());
        m_cluster->node(i).stop();
    }
    topology.refresh();
    QVERIFY(waitFor([&] { return !unavailable.isEmpty(); }, 3 * ClusterTopology::kNodeTimeoutMs + kWaitMs));
    const QString reason = unavailable.constFirst().at(0).toString();
    QVERIFY2(reason.startsWith(u"no cluster node answered"_s), qPrintable(reason));
    for (quint16 port : std::as_const(ports))
        QVERIFY2(reason.contains(u"127.0.0.1:%1"_s.arg(port)), qPrintable(reason));
    QCOMPARE(topology.lastError(), reason);
    QVERIFY(topology.map() && topology.map()->coversEverySlot());
    QCOMPARE(changed.size(), 1);
}

QTEST_GUILESS_MAIN(TestClusterTopology)
#include "tst_clustertopology.moc"
