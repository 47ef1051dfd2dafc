// ClusterCommands against a real three-primary Redis Cluster started here: keys of every shard
// written through it land on the primary that serves them, MOVED (a slot handed over) and ASK (a
// slot being migrated) are followed, and a shard that is down fails only its own commands.

#include "RedisProcess.h"
#include "TestSupport.h"
#include "engine/redis/ClusterCommands.h"
#include "engine/redis/ClusterTopology.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <hiredis/hiredis.h>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

struct Outcome
{
    bool done = false;
    QByteArray text; // a status or string reply, or "ERR:<error>", or "(null)"
};

// A cluster node gone wrong, which a real Redis cannot be made to be for certain: it says it serves
// every slot (CLUSTER SLOTS) and answers every other command with MOVED to itself.
class RedirectingNode : public QObject
{
public:
    RedirectingNode()
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* socket = m_server.nextPendingConnection()) {
                connect(socket, &QTcpSocket::readyRead, socket, [this, socket] {
                    m_buffer[socket] += socket->readAll();
                    answer(socket);
                });
                connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }
    quint16 port() const { return m_server.serverPort(); }
    int redirected() const { return m_redirected; }

private:
    // Each complete command in the buffer (RESP arrays of bulk strings) gets its answer.
    void answer(QTcpSocket* socket)
    {
        QByteArray& in = m_buffer[socket];
        for (;;) {
            QByteArrayList args;
            qsizetype at = 0;
            const auto line = [&](QByteArray* out) {
                const qsizetype end = in.indexOf("\r\n", at);
                if (end < 0)
                    return false;
                *out = in.mid(at, end - at);
                at = end + 2;
                return true;
            };
            QByteArray header;
            if (!line(&header) || !header.startsWith('*'))
                return;
            bool complete = true;
            for (int i = header.mid(1).toInt(); i > 0 && complete; --i) {
                QByteArray size;
                complete = line(&size) && in.size() >= at + size.mid(1).toInt() + 2;
                if (complete) {
                    args.append(in.mid(at, size.mid(1).toInt()));
                    at += size.mid(1).toInt() + 2;
                }
            }
            if (!complete)
                return;
            in.remove(0, at);
            const QByteArray name = args.value(0).toUpper();
            const QByteArray port = QByteArray::number(m_server.serverPort());
            if (name == "CLUSTER")
                socket->write("*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:" + port + "\r\n");
            else if (name == "AUTH" || name == "SELECT" || name == "ASKING" || name == "PING")
                socket->write("+OK\r\n");
            else {
                ++m_redirected;
                socket->write("-MOVED 0 127.0.0.1:" + port + "\r\n");
            }
        }
    }

    QTcpServer m_server;
    QHash<QTcpSocket*, QByteArray> m_buffer;
    int m_redirected = 0;
};

} // namespace

class TestClusterCommands : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void everyShardTakesItsKeys();
    void movedIsFollowed();
    void askIsFollowed();
    void aShardDownFailsOnlyItsCommands();
    void redirectionsAreBounded();
    void waitingForAConnectionIsBounded();

private:
    // Runs `args` through m_commands for `key`'s slot and waits for the answer.
    Outcome run(const QByteArray& key, const QByteArrayList& args);
    // A key whose slot node `n` serves.
    static QByteArray keyOn(int n, const QByteArray& name = "k");

    std::unique_ptr<RedisClusterProcesses> m_cluster;
    std::unique_ptr<ClusterTopology> m_topology;
    std::unique_ptr<ClusterCommands> m_commands;
};

QByteArray TestClusterCommands::keyOn(int n, const QByteArray& name)
{
    for (int i = 0;; ++i) {
        const QByteArray key = "fw:{" + name + QByteArray::number(i) + "}";
        if (ClusterSlots::keySlot(key) / (ClusterSlots::kSlotCount / 3) == n)
            return key;
    }
}

Outcome TestClusterCommands::run(const QByteArray& key, const QByteArrayList& args)
{
    auto outcome = std::make_shared<Outcome>();
    m_commands->command(ClusterSlots::keySlot(key), args, [outcome](const redisReply* reply) {
        outcome->done = true;
        if (!reply)
            outcome->text = "(null)";
        else if (reply->type == REDIS_REPLY_ERROR)
            outcome->text = "ERR:" + QByteArray(reply->str, qsizetype(reply->len));
        else if (reply->str)
            outcome->text = QByteArray(reply->str, qsizetype(reply->len));
    });
    waitFor([&] { return outcome->done; }, 3 * kWaitMs);
    return *outcome;
}

void TestClusterCommands::initTestCase()
{
    FORGEWIRE_REQUIRE_REDIS(false);
}

void TestClusterCommands::init()
{
    m_cluster = std::make_unique<RedisClusterProcesses>();
    QVERIFY(m_cluster->start(3));
    m_topology = std::make_unique<ClusterTopology>(m_cluster->seeds(), QByteArray(), QByteArray());
    m_commands = std::make_unique<ClusterCommands>(m_topology.get(), QByteArray(), QByteArray());
    QSignalSpy changed(m_topology.get(), &ClusterTopology::changed);
    m_topology->start();
    QVERIFY(waitFor([&] { return !changed.isEmpty(); }));
}

void TestClusterCommands::cleanup()
{
    m_commands.reset();
    m_topology.reset();
    m_cluster.reset();
}

void TestClusterCommands::everyShardTakesItsKeys()
{
    for (int i = 0; i < 300; ++i) {
        const QByteArray key = "fw:retained:{user-" + QByteArray::number(i) + "}";
        QCOMPARE(run(key, {"SET", key, QByteArray::number(i)}).text, QByteArray("OK"));
    }
    int total = 0;
    for (int n = 0; n < 3; ++n) {
        const int keys = m_cluster->node(n).command({"DBSIZE"}).toInt();
        QVERIFY2(keys > 50, qPrintable(u"node %1 holds %2 keys"_s.arg(n).arg(keys)));
        total += keys;
    }
    QCOMPARE(total, 300);
    QCOMPARE(m_commands->redirects(), 0);
    QCOMPARE(run("fw:retained:{user-7}", {"GET", "fw:retained:{user-7}"}).text, QByteArray("7"));
}

void TestClusterCommands::movedIsFollowed()
{
    const QByteArray key = keyOn(0);
    const QByteArray slot = QByteArray::number(ClusterSlots::keySlot(key));
    QVERIFY(m_cluster->handSlot(slot.toInt(), 0, 2));
    // The map still says node 0: its MOVED leads to node 2.
    QCOMPARE(m_topology->map()->primaryFor(slot.toInt())->port, m_cluster->node(0).port());
    QCOMPARE(run(key, {"SET", key, "moved"}).text, QByteArray("OK"));
    QCOMPARE(m_commands->redirects(), 1);
    QCOMPARE(m_cluster->node(2).command({"GET", key}), QByteArray("moved"));
    // And the map was asked for again.
    QVERIFY(waitFor(
        [&] { return m_topology->map()->primaryFor(slot.toInt())->port == m_cluster->node(2).port(); }));
    QCOMPARE(run(key, {"GET", key}).text, QByteArray("moved"));
    QCOMPARE(m_commands->redirects(), 1);
}

void TestClusterCommands::askIsFollowed()
{
    const QByteArray key = keyOn(0, "ask");
    const QByteArray slot = QByteArray::number(ClusterSlots::keySlot(key));
    const QByteArray source = m_cluster->node(0).command({"CLUSTER", "MYID"});
    const QByteArray target = m_cluster->node(1).command({"CLUSTER", "MYID"});
    QCOMPARE(m_cluster->node(1).command({"CLUSTER", "SETSLOT", slot, "IMPORTING", source}), QByteArray("OK"));
    QCOMPARE(m_cluster->node(0).command({"CLUSTER", "SETSLOT", slot, "MIGRATING", target}), QByteArray("OK"));
    // Not on node 0: node 0 answers ASK, node 1 takes it after ASKING.
    QCOMPARE(run(key, {"SET", key, "asked"}).text, QByteArray("OK"));
    QCOMPARE(m_commands->redirects(), 1);
    QCOMPARE(m_cluster->node(1).command({"ASKING"}), QByteArray("OK"));
    QCOMPARE(m_cluster->node(1).command({"GET", key}), QByteArray("asked"));
    // ASK does not change the map.
    QCOMPARE(m_topology->map()->primaryFor(slot.toInt())->port, m_cluster->node(0).port());
}

void TestClusterCommands::aShardDownFailsOnlyItsCommands()
{
    QCOMPARE(run(keyOn(1), {"SET", keyOn(1), "1"}).text, QByteArray("OK"));
    const quint16 port = m_cluster->node(1).port();
    m_cluster->node(1).stop();
    const Outcome down = run(keyOn(1), {"SET", keyOn(1), "2"});
    QVERIFY(down.done);
    QCOMPARE(down.text, QByteArray("(null)"));
    QVERIFY2(m_commands->lastError().contains(u"127.0.0.1:%1"_s.arg(port)),
             qPrintable(m_commands->lastError()));
    QVERIFY(!m_commands->isUp({u"127.0.0.1"_s, port}));
    QCOMPARE(run(keyOn(0), {"SET", keyOn(0), "3"}).text, QByteArray("OK"));
    QCOMPARE(run(keyOn(2), {"SET", keyOn(2), "3"}).text, QByteArray("OK"));
}

void TestClusterCommands::redirectionsAreBounded()
{
    RedirectingNode node;
    ClusterTopology topology({{u"127.0.0.1"_s, node.port()}}, QByteArray(), QByteArray());
    ClusterCommands commands(&topology, QByteArray(), QByteArray());
    QSignalSpy changed(&topology, &ClusterTopology::changed);
    topology.start();
    QVERIFY(waitFor([&] { return !changed.isEmpty(); }));
    bool done = false;
    bool failed = false;
    commands.command(0, {"GET", "k"}, [&](const redisReply* reply) {
        done = true;
        failed = !reply;
    });
    QVERIFY(waitFor([&] { return done; }));
    QVERIFY(failed);
    QVERIFY2(commands.lastError().contains(u"more than 5 redirections"_s), qPrintable(commands.lastError()));
    // The first try and one per redirection followed.
    QCOMPARE(node.redirected(), ClusterCommands::kMaxRedirects + 1);
}

void TestClusterCommands::waitingForAConnectionIsBounded()
{
    m_cluster->node(1).stop();
    const ClusterSlots::Node down{u"127.0.0.1"_s, m_cluster->node(1).port()};
    QVERIFY(waitFor([&] { return !m_commands->isUp(down); }));
    // A new map opens a connection to every primary, node 1 too: opening queues nothing, so the
    // bound below counts commands only (a map change once took one place in it).
    QSignalSpy changed(m_topology.get(), &ClusterTopology::changed);
    QVERIFY(m_cluster->handSlot(ClusterSlots::keySlot(keyOn(0)), 0, 2));
    m_topology->refresh();
    QVERIFY(changed.wait(kWaitMs));
    // Sent without returning to the event loop, so the connection cannot open (nor fail) meanwhile.
    const QByteArray key = keyOn(1);
    int answered = 0;
    for (qsizetype i = 0; i < ClusterCommands::kMaxWaitingPerPrimary; ++i)
        m_commands->command(ClusterSlots::keySlot(key), {"GET", key}, [&](const redisReply*) { ++answered; });
    QCOMPARE(answered, 0);
    bool refused = false;
    m_commands->command(ClusterSlots::keySlot(key), {"GET", key},
                        [&](const redisReply* reply) { refused = !reply; });
    QVERIFY(refused);
    QVERIFY2(m_commands->lastError().contains(u"10000 commands wait for the connection"_s),
             qPrintable(m_commands->lastError()));
    // The connection fails: every waiting command is answered, once.
    QVERIFY(waitFor([&] { return answered == ClusterCommands::kMaxWaitingPerPrimary; }));
    QTest::qWait(100);
    QCOMPARE(answered, ClusterCommands::kMaxWaitingPerPrimary);
}

QTEST_GUILESS_MAIN(TestClusterCommands)
#include "tst_clustercommands.moc"
