#include "RedisProcess.h"

#include <QFile>
#include <QStandardPaths>
#include <QTcpServer>

#include <hiredis/hiredis.h>

#include <algorithm>

#include <signal.h>
#include <sys/prctl.h>

namespace forgewire::test {

using namespace Qt::StringLiterals;

namespace {

constexpr int kClusterSlotCount = 16384;
constexpr int kClusterBusOffset = 10000;
constexpr quint16 kMaxClusterPort = 65535 - kClusterBusOffset;

void flatten(const redisReply* reply, QByteArrayList& out)
{
    if (reply->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i < reply->elements; ++i)
            flatten(reply->element[i], out);
    } else if (reply->type == REDIS_REPLY_INTEGER) {
        out.append(QByteArray::number(reply->integer));
    } else if (reply->str) {
        out.append(QByteArray(reply->str, qsizetype(reply->len)));
    }
}

} // namespace

quint16 freePort()
{
    QTcpServer server;
    server.listen(QHostAddress::LocalHost, 0);
    return server.serverPort();
}

quint16 freeClusterPort()
{
    // A cluster node also listens on its port + 10000 (the cluster bus), so its port must be at most
    // 55535, and the bus port free as well.
    for (;;) {
        const quint16 port = freePort();
        QTcpServer bus;
        if (port <= kMaxClusterPort && bus.listen(QHostAddress::LocalHost, quint16(port + kClusterBusOffset)))
            return port;
    }
}

RedisProcess::RedisProcess(quint16 port, QStringList extraArguments, QByteArrayList auth)
    : m_port(port), m_extraArguments(std::move(extraArguments)), m_auth(std::move(auth))
{}

RedisProcess::~RedisProcess()
{
    stop();
}

std::unique_ptr<RedisProcess> RedisProcess::sentinel(quint16 port, const QString& masterName,
                                                     quint16 primaryPort, int quorum, int downAfterMs,
                                                     const QStringList& extraConfig, QByteArrayList auth)
{
    auto sentinel = std::make_unique<RedisProcess>(port, QStringList(), std::move(auth));
    sentinel->m_dir = std::make_unique<QTemporaryDir>();
    sentinel->m_configFile = sentinel->m_dir->filePath(u"sentinel.conf"_s);
    QFile file(sentinel->m_configFile);
    if (!file.open(QIODevice::WriteOnly))
        return nullptr;
    const QString config = u"port %1\nbind 127.0.0.1\ndir %2\n"
                           "sentinel monitor %3 127.0.0.1 %4 %5\n"
                           "sentinel down-after-milliseconds %3 %6\n"
                           "sentinel failover-timeout %3 10000\n"
                           "sentinel parallel-syncs %3 1\n"_s.arg(port)
                               .arg(sentinel->m_dir->path(), masterName)
                               .arg(primaryPort)
                               .arg(quorum)
                               .arg(downAfterMs);
    file.write(config.toUtf8());
    for (const QString& line : extraConfig)
        file.write(line.toUtf8() + '\n');
    return sentinel;
}

QString RedisProcess::binary()
{
    return QStandardPaths::findExecutable(u"redis-server"_s);
}

QString RedisProcess::sentinelBinary()
{
    return QStandardPaths::findExecutable(u"redis-sentinel"_s);
}

bool RedisProcess::start()
{
    if (m_configFile.isEmpty()) {
        m_process.setProgram(binary());
        // A replica's full sync writes its copy to the directory; a primary delays a diskless sync by
        // 5 s to gather replicas, which only slows a test down. Kept over a restart: a cluster node
        // finds its identity and slots there (nodes.conf).
        if (!m_dir)
            m_dir = std::make_unique<QTemporaryDir>();
        m_process.setArguments(QStringList{u"--port"_s, QString::number(m_port), u"--bind"_s, u"127.0.0.1"_s,
                                           u"--save"_s, u""_s, u"--appendonly"_s, u"no"_s, u"--dir"_s,
                                           m_dir->path(), u"--repl-diskless-sync-delay"_s, u"0"_s} +
                               m_extraArguments);
    } else {
        m_process.setProgram(sentinelBinary());
        m_process.setArguments(QStringList{m_configFile} + m_extraArguments);
    }
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_process.setStandardOutputFile(QProcess::nullDevice());
    // A test that crashes must not leave Redis running (and holding CTest's output pipe).
    m_process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    m_process.start();
    if (!m_process.waitForStarted(kWaitMs))
        return false;
    return waitFor([this] { return command({"PING"}) == "PONG"; });
}

void RedisProcess::stop()
{
    disconnectClient();
    if (m_process.state() == QProcess::NotRunning)
        return;
    resume();
    m_process.kill();
    m_process.waitForFinished(kWaitMs);
}

void RedisProcess::pause()
{
    ::kill(pid_t(m_process.processId()), SIGSTOP);
}

void RedisProcess::resume()
{
    ::kill(pid_t(m_process.processId()), SIGCONT);
}

bool RedisProcess::isRunning() const
{
    return m_process.state() == QProcess::Running;
}

QString RedisProcess::url() const
{
    return u"redis://127.0.0.1:%1/0"_s.arg(m_port);
}

QByteArray RedisProcess::command(const QByteArrayList& args)
{
    const redisReply* reply = raw(args);
    if (!reply)
        return {};
    QByteArray out;
    if (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS)
        out = QByteArray(reply->str, qsizetype(reply->len));
    else if (reply->type == REDIS_REPLY_INTEGER)
        out = QByteArray::number(reply->integer);
    freeReplyObject(const_cast<redisReply*>(reply));
    return out;
}

void RedisProcess::withReply(const QByteArrayList& args, const std::function<void(const redisReply*)>& use)
{
    const redisReply* reply = raw(args);
    use(reply);
    if (reply)
        freeReplyObject(const_cast<redisReply*>(reply));
}

QByteArrayList RedisProcess::list(const QByteArrayList& args)
{
    const redisReply* reply = raw(args);
    QByteArrayList out;
    if (reply && reply->type == REDIS_REPLY_ARRAY)
        flatten(reply, out);
    if (reply)
        freeReplyObject(const_cast<redisReply*>(reply));
    return out;
}

QByteArray RedisProcess::info(const QByteArray& section, const QByteArray& field)
{
    for (const QByteArray& line : command({"INFO", section}).split('\n')) {
        if (line.startsWith(field + ':'))
            return line.mid(field.size() + 1).trimmed();
    }
    return {};
}

qint64 RedisProcess::subscriberWith(int channels)
{
    qint64 id = -1;
    int matches = 0;
    const QByteArray list = command({"CLIENT", "LIST", "TYPE", "pubsub"});
    for (const QByteArray& line : list.split('\n')) {
        const QByteArrayList fields = line.trimmed().split(' ');
        if (fields.contains("sub=" + QByteArray::number(channels)) && fields.value(0).startsWith("id=")) {
            id = fields.value(0).mid(3).toLongLong();
            ++matches;
        }
    }
    return matches == 1 ? id : -1;
}

int RedisProcess::numsub(const QByteArray& channel)
{
    const redisReply* reply = raw({"PUBSUB", "NUMSUB", channel});
    int count = -1;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2)
        count = int(reply->element[1]->integer);
    if (reply)
        freeReplyObject(const_cast<redisReply*>(reply));
    return count;
}

const redisReply* RedisProcess::raw(const QByteArrayList& args)
{
    if (!m_client) {
        const timeval timeout{1, 0};
        m_client = redisConnectWithTimeout("127.0.0.1", m_port, timeout);
        if (!m_client || m_client->err) {
            disconnectClient();
            return nullptr;
        }
        redisSetTimeout(m_client, timeout);
        if (!m_auth.isEmpty()) {
            m_auth.prepend("AUTH");
            const redisReply* auth = raw(m_auth);
            m_auth.removeFirst();
            const bool ok = auth && auth->type != REDIS_REPLY_ERROR;
            if (auth)
                freeReplyObject(const_cast<redisReply*>(auth));
            if (!ok) {
                disconnectClient();
                return nullptr;
            }
        }
    }
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const QByteArray& a : args) {
        argv.push_back(a.constData());
        lengths.push_back(size_t(a.size()));
    }
    auto* reply =
        static_cast<redisReply*>(redisCommandArgv(m_client, int(argv.size()), argv.data(), lengths.data()));
    if (!reply)
        disconnectClient();
    return reply;
}

void RedisProcess::disconnectClient()
{
    if (m_client)
        redisFree(m_client);
    m_client = nullptr;
}

QStringList RedisClusterProcesses::clusterArguments()
{
    // nodes.conf goes to the process's own directory; a short node timeout keeps a killed shard's
    // absence from dragging on. Without full coverage the other shards keep serving while one is
    // down (what README's Cluster setup asks for).
    return {u"--cluster-enabled"_s,      u"yes"_s,  u"--cluster-config-file"_s,           u"nodes.conf"_s,
            u"--cluster-node-timeout"_s, u"2000"_s, u"--cluster-require-full-coverage"_s, u"no"_s};
}

bool RedisClusterProcesses::start(int primaries)
{
    for (int i = 0; i < primaries; ++i) {
        m_nodes.push_back(std::make_unique<RedisProcess>(freeClusterPort(), clusterArguments()));
        if (!m_nodes.back()->start())
            return false;
    }
    const int share = kClusterSlotCount / primaries;
    for (int i = 0; i < primaries; ++i) {
        const int first = i * share;
        const int last = i == primaries - 1 ? kClusterSlotCount - 1 : first + share - 1;
        if (node(i).command(
                {"CLUSTER", "ADDSLOTSRANGE", QByteArray::number(first), QByteArray::number(last)}) != "OK")
            return false;
        if (i > 0 &&
            node(i).command({"CLUSTER", "MEET", "127.0.0.1", QByteArray::number(node(0).port())}) != "OK")
            return false;
    }
    for (const auto& node : m_nodes) {
        if (!waitFor(
                [&] {
                    // Every node must know every slot's owner: without full coverage required, a
                    // node says "ok" before gossip has told it of the others.
                    const QByteArray info = node->command({"CLUSTER", "INFO"});
                    return node->info("cluster", "cluster_enabled") == "1" &&
                           info.contains("cluster_state:ok") &&
                           info.contains("cluster_slots_assigned:" + QByteArray::number(kClusterSlotCount)) &&
                           info.contains("cluster_known_nodes:" + QByteArray::number(primaries));
                },
                20'000))
            return false;
    }
    return true;
}

QList<ClusterSlots::Node> RedisClusterProcesses::seeds() const
{
    QList<ClusterSlots::Node> seeds;
    for (const auto& node : m_nodes)
        seeds.append({u"127.0.0.1"_s, node->port()});
    return seeds;
}

int RedisClusterProcesses::nodeOfSlot(int slot) const
{
    const int primaries = int(m_nodes.size());
    return std::min(slot / (kClusterSlotCount / primaries), primaries - 1);
}

bool RedisClusterProcesses::handSlot(int slot, int from, int to)
{
    const QByteArray target = node(to).command({"CLUSTER", "MYID"});
    for (int i : {to, from}) {
        if (node(i).command({"CLUSTER", "SETSLOT", QByteArray::number(slot), "NODE", target}) != "OK")
            return false;
    }
    return true;
}

QString RedisClusterProcesses::url() const
{
    QStringList hosts;
    for (const auto& node : m_nodes)
        hosts.append(u"127.0.0.1:%1"_s.arg(node->port()));
    return u"redis-cluster://%1"_s.arg(hosts.join(u','));
}

QString missingRedis(bool sentinel)
{
    if (RedisProcess::binary().isEmpty())
        return u"redis-server is not installed"_s;
    if (sentinel && RedisProcess::sentinelBinary().isEmpty())
        return u"redis-sentinel is not installed"_s;
    return {};
}

HttpReply publishCount(const ServerFixture& node, qint64 userId, int count)
{
    return node.admin("PUT", u"/api/v1/users/%1/notification-count"_s.arg(userId),
                      QByteArray(R"({"count":)") + QByteArray::number(count) + '}');
}

std::unique_ptr<WsClient> connectUser(const ServerFixture& node, qint64 userId)
{
    auto client = std::make_unique<WsClient>();
    if (!client->open(node.wsUrl(), makeToken(userId, u"user%1"_s.arg(userId))) ||
        client->nextOfType(u"hello"_s).isEmpty())
        return nullptr;
    return client;
}

std::unique_ptr<ServerFixture> startNode(const QString& engineUrl)
{
    ServerConfig config = testConfig();
    config.engine = engineUrl;
    auto node = std::make_unique<ServerFixture>(config);
    if (!node->start()) {
        qWarning() << "node did not start:" << node->error();
        return nullptr;
    }
    return node;
}

} // namespace forgewire::test
