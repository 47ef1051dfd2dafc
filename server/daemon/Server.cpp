#include "daemon/Server.h"

#include "admin/AdminApi.h"
#include "admin/AdminServer.h"
#include "auth/TokenVerifier.h"
#include "bridge/ForgeBridge.h"
#include "broker/Broker.h"
#include "engine/EmbeddedEngine.h"
#include "metrics/PrometheusWriter.h"
#include "transport/ClientListener.h"
#include "transport/qt/QtTransport.h"
#ifdef FORGEWIRE_HAVE_EPOLL
#include "transport/epoll/EpollTransport.h"
#endif
#ifdef FORGEWIRE_WITH_REDIS
#include "engine/redis/ClusterSettings.h"
#include "engine/redis/RedisClusterEngine.h"
#include "engine/redis/RedisEngine.h"
#include "engine/redis/SentinelLocator.h"
#endif
#include "config/ServerLogging.h"
#include "session/Worker.h"

#include <QFile>
#include <QPointer>
#include <QRandomGenerator>
#include <QThread>
#include <QTimer>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

constexpr int kMinListenBacklog = 128;
// A publisher secret file is a line of hex; anything much bigger is not one.
constexpr qint64 kMaxSecretFileBytes = 4096;

QString systemError(const QString& what, const QString& path)
{
    return u"%1 '%2': %3"_s.arg(what, path, QString::fromLocal8Bit(std::strerror(errno)));
}

// Reads the publisher secret kept at `path`. Returns nullopt (with `error` empty) when there is none.
std::optional<QByteArray> readSecretFile(const QString& path, QString* error)
{
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno != ENOENT)
            *error = systemError(u"cannot open the publisher secret file"_s, path);
        return std::nullopt;
    }
    struct stat info
    {
    };
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        *error = u"publisher secret file '%1' is not a regular file"_s.arg(path);
        return std::nullopt;
    }
    // Like ssh with a private key: a secret others could read is no secret, so refuse it loudly.
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        ::close(fd);
        *error = u"publisher secret file '%1' is accessible by group or others (mode %2); chmod 600 it"_s.arg(
            path, QString::number(info.st_mode & 0777, 8));
        return std::nullopt;
    }
    QFile file;
    file.open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle);
    const QByteArray secret = file.read(kMaxSecretFileBytes + 1).trimmed();
    if (secret.isEmpty() || secret.size() > kMaxSecretFileBytes) {
        *error =
            u"publisher secret file '%1' does not hold a secret; delete it to generate a new one"_s.arg(path);
        return std::nullopt;
    }
    return secret;
}

// The secret a publisher needs must not go to a log (shipped to a log collector, readable by more
// people than the admin API should be): keep it in an owner-only file and reuse it on the next
// start. O_EXCL with mode 0600 means the file never exists with wider permissions, not even briefly.
std::optional<QByteArray> loadOrCreateSecretFile(const QString& path, bool* created, QString* error)
{
    *created = false;
    if (auto existing = readSecretFile(path, error); existing || !error->isEmpty())
        return existing;

    QByteArray random(24, Qt::Uninitialized);
    QRandomGenerator::system()->generate(random.begin(), random.end());
    const QByteArray secret = random.toHex();
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        if (errno == EEXIST) // another instance sharing the state directory was faster: use its secret
            return readSecretFile(path, error);
        *error = systemError(u"cannot create the publisher secret file"_s, path);
        return std::nullopt;
    }
    const QByteArray line = secret + '\n';
    const bool written =
        ::write(fd, line.constData(), size_t(line.size())) == line.size() && ::fsync(fd) == 0;
    ::close(fd);
    if (!written) {
        *error = systemError(u"cannot write the publisher secret file"_s, path);
        ::unlink(native.constData()); // a half-written file would be reused as a wrong secret
        return std::nullopt;
    }
    *created = true;
    return secret;
}

} // namespace

Server::Server(ServerConfig config, QObject* parent)
    : QObject(parent), m_config(std::move(config)), m_authenticator(m_config),
      m_gate(m_config.maxConnectionsPerAddress, m_config.maxPendingHandshakes)
{
    qRegisterMetaType<forgewire::Publication>();
}

Server::~Server()
{
    m_gate.setRoomCallback({});
    if (m_listener)
        m_listener->stop();
    stopWorkers();
}

Engine* Server::createEngine(const ServerConfig& config, QObject* parent, QString* error)
{
    if (config.engine == "embedded"_L1)
        return new EmbeddedEngine(config.statePath, parent);
#ifdef FORGEWIRE_WITH_REDIS
    // Redis being down is not an error here: the engine reports not ready and keeps retrying.
    if (config.engine.startsWith("redis://"_L1)) {
        const std::optional<RedisAddress> address = RedisAddress::parse(config.engine, error);
        return address ? new RedisEngine(*address, parent) : nullptr;
    }
    if (config.engine.startsWith("redis-sentinel://"_L1)) {
        const std::optional<SentinelSettings> sentinel = SentinelSettings::parseUrl(config.engine, error);
        return sentinel ? new RedisEngine(*sentinel, parent) : nullptr;
    }
    if (config.engine.startsWith("redis-cluster://"_L1)) {
        const std::optional<ClusterSettings> cluster = ClusterSettings::parseUrl(config.engine, error);
        return cluster ? new RedisClusterEngine(*cluster, parent) : nullptr;
    }
#endif
    *error = u"unknown engine '%1'"_s.arg(config.engine);
    return nullptr;
}

bool Server::start(QString* error)
{
    if (const QString why = m_config.validate(); !why.isEmpty()) {
        *error = why;
        return false;
    }
    if (m_config.publisherSecret.isEmpty()) {
        // A publish API without a secret would let anyone on the admin address publish.
        const QString path = m_config.effectivePublisherSecretFile();
        bool created = false;
        QString why;
        const std::optional<QByteArray> secret = loadOrCreateSecretFile(path, &created, &why);
        if (!secret) {
            *error = why;
            return false;
        }
        m_config.publisherSecret = *secret;
        if (created)
            qCWarning(lcServer).noquote()
                << "no publisher secret configured; generated one in" << path << "(mode 0600)";
        else
            qCInfo(lcServer).noquote() << "no publisher secret configured; using the one in" << path;
    }
    if (!m_engine) {
        m_engine = createEngine(m_config, this, error);
        if (!m_engine)
            return false;
    }
    // Before the engine starts: the revoked sessions it loads at start go to the Broker.
    m_broker = new Broker(m_engine, &m_metrics, this);
    m_broker->setRevokedSessionTtl(m_config.revokedSessionTtlSeconds);
    m_engine->start();
    if (const QString why = m_engine->startError(); !why.isEmpty()) {
        *error = why;
        return false;
    }
    m_metrics.addSource([this](PrometheusWriter& out) {
        out.family("forgewire_ready", PrometheusWriter::Type::Gauge,
                   "1 when the part is ready, 0 while it fails (/readyz says why).");
        for (const ReadinessPart& part : readiness())
            out.sample({{"part", part.part.toUtf8()}}, part.ok() ? 1 : 0);
    });
    m_metrics.addSource([engine = m_engine](PrometheusWriter& out) { engine->writeMetrics(out); });
    if (!m_config.forgeUrl.isEmpty()) {
        // Before the workers start: they read the authenticator's forge verifier without a lock.
        m_forgeBridge = new ForgeBridge(m_config, m_broker, &m_authenticator, this);
        m_metrics.addSource([bridge = m_forgeBridge](PrometheusWriter& out) { bridge->writeMetrics(out); });
    }

    const Transport::Factory transport = transportFactory(m_config.transport);
    if (!transport) {
        *error =
            u"unknown transport '%1' (%2)"_s.arg(m_config.transport, Transport::available().join(u", "_s));
        return false;
    }
    const int workerCount = m_config.effectiveWorkers();
    m_budget = std::make_unique<QueueBudget>(m_config.maxQueuedBytes, workerCount, &m_metrics.queuedBytes);
    // On the main thread, where the bridge's forge verifier runs.
    auto* tokenVerifier = new TokenVerifier(&m_authenticator, this);
    QList<SubscriberHost*> hosts;
    for (int i = 0; i < workerCount; ++i) {
        auto* thread = new QThread(this);
        thread->setObjectName(u"forgewire-worker-%1"_s.arg(i));
        auto* worker = new Worker(i, m_config, &m_authenticator, tokenVerifier, &m_metrics, &m_admitted,
                                  m_broker, m_budget.get(), &m_gate, transport);
        worker->moveToThread(thread);
        connect(worker, &Worker::drained, this, [this] {
            if (++m_drainedWorkers == m_workers.size())
                Q_EMIT drained();
        });
        thread->start();
        QMetaObject::invokeMethod(worker, &Worker::init, Qt::QueuedConnection);
        m_workers.append(worker);
        hosts.append(worker);
        m_threads.append(thread);
    }
    m_broker->setHosts(hosts);
    // The transport hands work to the workers through these, on the workers' threads.
    QList<QueueBudget::Evictor> evictors;
    QList<ClientListener::Adopt> adopters;
    for (Worker* worker : std::as_const(m_workers)) {
        evictors.append(
            [worker] { QMetaObject::invokeMethod(worker, &Worker::evictForBudget, Qt::QueuedConnection); });
        adopters.append([worker](qintptr descriptor) {
            QMetaObject::invokeMethod(
                worker, [worker, descriptor] { worker->adoptSocket(descriptor); }, Qt::QueuedConnection);
        });
    }
    m_budget->setEvictors(evictors);

    m_listener =
        new ClientListener(adopters, &m_admitted, &m_gate, &m_metrics, m_config.maxHeldConnections, this);
    // A handshake slot came back on a worker's thread: the listener hands on what it held.
    m_gate.setRoomCallback([listener = QPointer<ClientListener>(m_listener)] {
        QMetaObject::invokeMethod(
            listener,
            [listener] {
                if (listener)
                    listener->handOffWaiting();
            },
            Qt::QueuedConnection);
    });
    // Qt's default kernel backlog of 50 drops SYNs in a storm, and each dropped client waits out a
    // 1 s (then 3 s...) retransmit; the kernel caps the request at net.core.somaxconn anyway.
    m_listener->setListenBacklogSize(qMax(kMinListenBacklog, m_config.maxConnections));
    if (!m_listener->listen(m_config.listenAddress, m_config.port)) {
        *error = u"cannot listen on %1:%2: %3"_s.arg(m_config.listenAddress.toString())
                     .arg(m_config.port)
                     .arg(m_listener->errorString());
        return false;
    }
    m_adminApi = std::make_unique<AdminApi>(m_config.publisherSecret, m_broker, &m_metrics,
                                            [this] { return readiness(); });
    m_adminServer = new AdminServer(
        [api = m_adminApi.get()](const HttpRequestHead& head, const QByteArray& body,
                                 AdminServer::Respond respond) { api->handle(head, body, respond); },
        this);
    m_adminServer->setGuard(
        [api = m_adminApi.get()](const HttpRequestHead& head) { return api->refuse(head); });
    if (!m_adminServer->listen(m_config.adminAddress, m_config.adminPort)) {
        *error = u"cannot listen on admin %1:%2: %3"_s.arg(m_config.adminAddress.toString())
                     .arg(m_config.adminPort)
                     .arg(m_adminServer->errorString());
        return false;
    }
    qCInfo(lcServer).noquote()
        << "listening for clients on"
        << u"ws://%1:%2%3"_s.arg(m_config.listenAddress.toString()).arg(port()).arg(m_config.wsPath())
        << "with" << workerCount << m_config.transport << "workers; admin API on"
        << u"http://%1:%2"_s.arg(m_config.adminAddress.toString()).arg(adminPort()) << "; engine"
        << m_engine->name();
    return true;
}

quint16 Server::port() const
{
    return m_listener ? m_listener->serverPort() : 0;
}

quint16 Server::adminPort() const
{
    return m_adminServer ? m_adminServer->port() : 0;
}

bool Server::isReady() const
{
    const Readiness parts = readiness();
    return std::all_of(parts.begin(), parts.end(), [](const ReadinessPart& part) { return part.ok(); });
}

Readiness Server::readiness() const
{
    QString server;
    if (m_draining)
        server = u"draining"_s;
    else if (!m_listener || !m_listener->isListening())
        server = u"not listening"_s;
    Readiness parts{{u"server"_s, server}};
    if (m_engine)
        parts += m_engine->readiness();
    return parts;
}

qsizetype Server::heldConnections() const
{
    return m_listener ? m_listener->waitingCount() : 0;
}

void Server::drain()
{
    if (m_draining)
        return;
    m_draining = true;
    qCInfo(lcServer) << "draining: closing" << m_metrics.connections.load() << "connections with 1001";
    if (m_listener)
        m_listener->stop();
    m_drainedWorkers = 0;
    for (Worker* worker : std::as_const(m_workers))
        QMetaObject::invokeMethod(worker, &Worker::drain, Qt::QueuedConnection);
    QTimer::singleShot(m_config.drainTimeoutMs, this, [this] {
        if (m_drainedWorkers < m_workers.size()) {
            qCWarning(lcServer) << "drain timeout:" << m_metrics.connections.load() << "connections left";
            m_drainedWorkers = int(m_workers.size());
            Q_EMIT drained();
        }
    });
    if (m_workers.isEmpty())
        Q_EMIT drained();
}

Transport::Factory Server::transportFactory(const QString& name)
{
#ifdef FORGEWIRE_HAVE_EPOLL
    if (name == "epoll"_L1)
        return [](const TransportContext& context) {
            return std::make_unique<EpollTransport>(context);
        };
#endif
    if (name == "qt"_L1)
        return [](const TransportContext& context) {
            return std::make_unique<QtTransport>(context);
        };
    return {};
}

void Server::stopWorkers()
{
    if (m_broker)
        m_broker->setHosts({});
    if (m_budget)
        m_budget->setEvictors({});
    for (Worker* worker : std::as_const(m_workers))
        QMetaObject::invokeMethod(
            worker, [worker] { delete worker; }, Qt::BlockingQueuedConnection);
    m_workers.clear();
    for (QThread* thread : std::as_const(m_threads)) {
        thread->quit();
        thread->wait();
    }
    m_threads.clear();
}

} // namespace forgewire
