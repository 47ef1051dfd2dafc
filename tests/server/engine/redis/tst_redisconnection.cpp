// RedisConnection's promise to its owners: open() reports only from the event loop, even when the
// connect fails inside it (ClusterCommands, for one, adds the connection to its table after open()
// and would otherwise be told of a loss it has not recorded yet), exactly once, and a failure of an
// earlier open() never ends a later one.

#include "RedisProcess.h"
#include "TestSupport.h"
#include "engine/redis/RedisConnection.h"

#include <QSignalSpy>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

// The broadcast address cannot be connected to: Linux refuses inside connect() (ENETUNREACH), the
// case to test; where it does not, the attempt times out after kShortTimeoutMs, which the checks
// below accept as well.
const QString kUnreachable = u"255.255.255.255"_s;
constexpr int kShortTimeoutMs = 500;

} // namespace

class TestRedisConnection : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void aFailedConnectIsReportedFromTheEventLoopOnce();
    void anEarlierFailureDoesNotEndALaterOpen();
};

void TestRedisConnection::initTestCase()
{
    FORGEWIRE_REQUIRE_REDIS(false);
}

void TestRedisConnection::aFailedConnectIsReportedFromTheEventLoopOnce()
{
    RedisConnection connection(u"test"_s);
    QSignalSpy lost(&connection, &RedisConnection::disconnected);
    QSignalSpy up(&connection, &RedisConnection::connected);
    connection.open(kUnreachable, 6379, 0, kShortTimeoutMs);
    QCOMPARE(lost.size(), 0);
    QVERIFY(!connection.isConnected());
    QVERIFY(!connection.command({"PING"}));
    QVERIFY(waitFor([&] { return !lost.isEmpty(); }));
    QTest::qWait(2 * kShortTimeoutMs);
    QCOMPARE(lost.size(), 1);
    QCOMPARE(up.size(), 0);
}

void TestRedisConnection::anEarlierFailureDoesNotEndALaterOpen()
{
    RedisProcess redis(freePort());
    QVERIFY(redis.start());
    RedisConnection connection(u"test"_s);
    QSignalSpy lost(&connection, &RedisConnection::disconnected);
    QSignalSpy up(&connection, &RedisConnection::connected);
    connection.open(kUnreachable, 6379, 0, kShortTimeoutMs);
    connection.open(u"127.0.0.1"_s, redis.port(), 0, kShortTimeoutMs);
    QVERIFY(waitFor([&] { return !up.isEmpty(); }));
    QTest::qWait(2 * kShortTimeoutMs);
    QCOMPARE(lost.size(), 0);
    QVERIFY(connection.isConnected());
    bool answered = false;
    QVERIFY(connection.command({"PING"}, [&](const redisReply* reply) { answered = reply != nullptr; }));
    QVERIFY(waitFor([&] { return answered; }));
}

QTEST_GUILESS_MAIN(TestRedisConnection)
#include "tst_redisconnection.moc"
