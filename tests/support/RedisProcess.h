#pragma once

// Real Redis processes for the Redis engine tests: redis-server (a primary, a replica) and
// redis-sentinel from Debian's packages, each a child process on a fixed loopback port, with a
// blocking hiredis client for the test's own checks (the test may block; the code under test may
// not). Every process dies with the test (PR_SET_PDEATHSIG) and is stopped by its id.

#include "TestSupport.h"
#include "engine/redis/ClusterSlots.h"

#include <QByteArrayList>
#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>

#include <functional>
#include <memory>
#include <vector>

struct redisContext;
struct redisReply;

namespace forgewire::test {

// A loopback port nothing listens on right now.
quint16 freePort();
// One for a cluster node: it and its cluster bus port (+10000) free, so at most 55535.
quint16 freeClusterPort();

class RedisProcess
{
public:
    // `extraArguments` go to redis-server (e.g. --requirepass); `auth` is the AUTH this test's own
    // client sends first (empty: none).
    explicit RedisProcess(quint16 port, QStringList extraArguments = {}, QByteArrayList auth = {});
    ~RedisProcess();

    // A sentinel monitoring the primary on `primaryPort` as `masterName`, quorum `quorum`, declaring
    // it down after `downAfterMs`; its config file (which Sentinel rewrites) in its own directory.
    // `extraConfig` lines go after the monitor lines; `auth` as in the constructor.
    static std::unique_ptr<RedisProcess> sentinel(quint16 port, const QString& masterName,
                                                  quint16 primaryPort, int quorum, int downAfterMs,
                                                  const QStringList& extraConfig = {},
                                                  QByteArrayList auth = {});

    static QString binary();
    static QString sentinelBinary();

    bool start();
    // SIGKILL and wait for the exit.
    void stop();
    void pause();
    void resume();
    bool isRunning() const;
    qint64 pid() const { return m_process.processId(); }
    quint16 port() const { return m_port; }
    QString url() const;

    // A string, status or integer reply as text; empty on error.
    QByteArray command(const QByteArrayList& args);
    // Runs `args` and hands the raw reply (nullptr: no connection) to `use`.
    void withReply(const QByteArrayList& args, const std::function<void(const redisReply*)>& use);
    // An array reply's elements as text (nested arrays flattened); empty on error.
    QByteArrayList list(const QByteArrayList& args);
    // One `field:value` line of INFO `section`.
    QByteArray info(const QByteArray& section, const QByteArray& field);
    // The id of the one pub/sub connection subscribed to exactly `channels` channels; -1 unless
    // exactly one matches.
    qint64 subscriberWith(int channels);
    // Subscribers of `channel` across all nodes (each node counts once per topic if it does it right).
    int numsub(const QByteArray& channel);

private:
    const redisReply* raw(const QByteArrayList& args);
    void disconnectClient();

    quint16 m_port;
    QStringList m_extraArguments;
    QByteArrayList m_auth;
    QProcess m_process;
    redisContext* m_client = nullptr;
    // Its working directory; a sentinel's config file is there.
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_configFile;
};

// `primaries` cluster-enabled redis-servers, the slots split evenly between them in port order,
// met and agreed (cluster_state:ok everywhere).
class RedisClusterProcesses
{
public:
    bool start(int primaries);
    RedisProcess& node(int i) { return *m_nodes.at(size_t(i)); }
    int size() const { return int(m_nodes.size()); }
    // Hands the (empty) `slot` from node `from` to node `to`: told to the new owner, then the old one;
    // the others learn it from them. False unless both said OK.
    bool handSlot(int slot, int from, int to);
    // redis-cluster://127.0.0.1:p1,127.0.0.1:p2,...
    QString url() const;
    // Every node, as the seeds of a ClusterTopology.
    QList<ClusterSlots::Node> seeds() const;
    // The node start() gave `slot` to.
    int nodeOfSlot(int slot) const;
    static QStringList clusterArguments();

private:
    std::vector<std::unique_ptr<RedisProcess>> m_nodes;
};

// What a machine lacks to run the Redis tests: redis-server, and redis-sentinel when `sentinel`
// (empty when it has them).
QString missingRedis(bool sentinel = false);

// In initTestCase(): skips the test on a machine without Redis, but fails it under CI, where
// scripts/install-deps.sh must have installed it.
#define FORGEWIRE_REQUIRE_REDIS(sentinel)                                                                    \
    do {                                                                                                     \
        const QString missing = forgewire::test::missingRedis(sentinel);                                     \
        if (!missing.isEmpty() && qEnvironmentVariableIsSet("CI"))                                           \
            QFAIL(qPrintable(missing + QStringLiteral(" (scripts/install-deps.sh installs it)")));           \
        if (!missing.isEmpty())                                                                              \
            QSKIP(qPrintable(missing));                                                                      \
    } while (false)

// The Redis tests' nodes: user `userId`'s notification count published through `node`, and a
// client of that user on `node` (its hello read; nullptr if it did not come).
HttpReply publishCount(const ServerFixture& node, qint64 userId, int count);
std::unique_ptr<WsClient> connectUser(const ServerFixture& node, qint64 userId);

// A node (in-process server, test configuration) on the engine `engineUrl`; nullptr if it did not
// start.
std::unique_ptr<ServerFixture> startNode(const QString& engineUrl);

} // namespace forgewire::test
