// ReplicaWait against a real primary and replica started here: one WAIT in flight, the writes
// acknowledged meanwhile confirmed together by the next one, an unconfirmed write failed after
// kWaitMs, the queue bounded at kMaxQueued, nothing left hanging when the connection goes, and no
// wait at all (but a count) when no replica is connected.

#include "RedisProcess.h"
#include "TestSupport.h"
#include "engine/redis/RedisConnection.h"
#include "engine/redis/ReplicaWait.h"

#include <QElapsedTimer>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

// Answers of the writes given to confirm(), by error text (empty: confirmed).
struct Answers
{
    QHash<QString, int> byError;
    int total = 0;
    ReplicaWait::Done record()
    {
        return [this](const QString& error) {
            ++byError[error];
            ++total;
        };
    }
};

} // namespace

class TestReplicaWait : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void writesMeanwhileShareOneWait();
    void noneLeftHangingWhenTheConnectionGoes();
    void noReplicaConnectedMeansNoWait();

private:
    std::unique_ptr<RedisProcess> m_primary;
    std::unique_ptr<RedisProcess> m_replica;
    std::unique_ptr<RedisConnection> m_connection;
};

void TestReplicaWait::initTestCase()
{
    FORGEWIRE_REQUIRE_REDIS(false);
}

void TestReplicaWait::init()
{
    m_primary = std::make_unique<RedisProcess>(freePort());
    QVERIFY(m_primary->start());
    m_replica = std::make_unique<RedisProcess>(
        freePort(), QStringList{u"--replicaof"_s, u"127.0.0.1"_s, QString::number(m_primary->port())});
    QVERIFY(m_replica->start());
    // Streaming starts with the replica's first acknowledgement, after it is online.
    QVERIFY(waitFor([&] { return m_primary->info("replication", "slave0").contains("state=online"); }));
    QVERIFY(waitFor([&] {
        return m_primary->command({"SET", "k", "0"}) == "OK" &&
               m_primary->command({"WAIT", "1", "100"}) == "1";
    }));
    m_connection = std::make_unique<RedisConnection>(u"test"_s);
    bool connected = false;
    connect(m_connection.get(), &RedisConnection::connected, this, [&] { connected = true; });
    m_connection->open(u"127.0.0.1"_s, m_primary->port(), 0);
    QVERIFY(waitFor([&] { return connected; }));
}

void TestReplicaWait::cleanup()
{
    m_connection.reset();
    m_replica.reset();
    m_primary.reset();
}

void TestReplicaWait::writesMeanwhileShareOneWait()
{
    QCOMPARE(m_primary->command({"CONFIG", "RESETSTAT"}), QByteArray("OK"));
    ReplicaWait wait(1);
    wait.setConnectedReplicas(1);
    Answers answers;
    // The replica stops: the first write's WAIT runs out.
    m_replica->pause();
    QVERIFY(m_connection->command({"SET", "k", "1"}));
    wait.confirm(m_connection.get(), [&](const QString& error) {
        answers.record()(error);
        m_replica->resume(); // in time for the next WAIT
    });
    QElapsedTimer clock;
    clock.start();
    // Acknowledged while that WAIT is out: queued for the next one, up to the bound.
    for (qsizetype i = 0; i < ReplicaWait::kMaxQueued; ++i)
        wait.confirm(m_connection.get(), answers.record());
    QCOMPARE(answers.total, 0);
    wait.confirm(m_connection.get(), answers.record());
    QCOMPARE(answers.total, 1); // past the bound: answered at once
    QVERIFY2(answers.byError.constBegin().key().contains(u"more wait for replicas"_s),
             qPrintable(answers.byError.constBegin().key()));

    QVERIFY(waitFor([&] { return answers.total == ReplicaWait::kMaxQueued + 2; }));
    QVERIFY(clock.elapsed() >= ReplicaWait::kWaitMs - 50);
    QCOMPARE(answers.byError.value(QString()), int(ReplicaWait::kMaxQueued));
    QCOMPARE(
        answers.byError.value(
            u"Redis has the write, but 0 of 1 replicas confirmed it within 500 ms: a failover could lose it"_s),
        1);
    QCOMPARE(wait.unconfirmed(), 2);
    // Two WAITs for 50,002 writes.
    QVERIFY2(m_primary->command({"INFO", "commandstats"}).contains("cmdstat_wait:calls=2,"),
             m_primary->command({"INFO", "commandstats"}).constData());
}

void TestReplicaWait::noneLeftHangingWhenTheConnectionGoes()
{
    ReplicaWait wait(1);
    Answers answers;
    m_replica->pause();
    QVERIFY(m_connection->command({"SET", "k", "1"}));
    wait.confirm(m_connection.get(), answers.record());
    wait.confirm(m_connection.get(), answers.record());
    QTest::qWait(50);
    m_connection->close();
    QCOMPARE(answers.total, 2);
    QCOMPARE(answers.byError.keys().size(), 1);
    QVERIFY2(answers.byError.constBegin().key().contains(u"cannot say whether replicas have it"_s),
             qPrintable(answers.byError.constBegin().key()));
}

void TestReplicaWait::noReplicaConnectedMeansNoWait()
{
    ReplicaWait wait(1);
    wait.setConnectedReplicas(0);
    Answers answers;
    wait.confirm(m_connection.get(), answers.record());
    QCOMPARE(answers.total, 1);
    QCOMPARE(answers.byError.value(QString()), 1);
    QCOMPARE(wait.unprotected(), 1);
    QCOMPARE(wait.lastWaitMs(), -1);
    // wait_replicas=0 never waits and counts nothing.
    ReplicaWait off(0);
    off.confirm(m_connection.get(), answers.record());
    QCOMPARE(answers.byError.value(QString()), 2);
    QCOMPARE(off.unprotected(), 0);
}

QTEST_GUILESS_MAIN(TestReplicaWait)
#include "tst_replicawait.moc"
