#include "Server.h"

#include "AdminApi.h"
#include "AdminServer.h"
#include "Broker.h"
#include "ClientListener.h"
#include "ForgeBridge.h"
#include "LocalEngine.h"
#ifdef FORGEWIRE_WITH_REDIS
#include "RedisEngine.h"
#endif
#include "ServerLogging.h"
#include "Worker.h"

#include <QRandomGenerator>
#include <QThread>
#include <QTimer>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

constexpr int kMinListenBacklog = 128;

} // namespace

Server::Server(ServerConfig config, QObject* parent)
    : QObject(parent), m_config(std::move(config)), m_authenticator(m_config)
{
    qRegisterMetaType<forgewire::Publication>();
}

Server::~Server()
{
    if (m_listener)
        m_listener->close();
    stopWorkers();
}

Engine* Server::createEngine(const ServerConfig& config, QObject* parent, QString* error)
{
    if (config.engine == "memory"_L1)
        return new LocalEngine(config.statePath, parent);
#ifdef FORGEWIRE_WITH_REDIS
    // Redis being down is not an error here: the engine reports not ready and keeps retrying.
    if (config.engine.startsWith("redis://"_L1)) {
        const std::optional<RedisEngine::Address> address = RedisEngine::parseUrl(config.engine, error);
        return address ? new RedisEngine(*address, parent) : nullptr;
    }
#endif
    *error = u"unknown engine '%1'"_s.arg(config.engine);
    return nullptr;
}

bool Server::start(QString* error)
{
    if (m_config.publisherSecret.isEmpty()) {
        // A publish API without a secret would let anyone on the admin address publish.
        QByteArray random(24, Qt::Uninitialized);
        QRandomGenerator::system()->generate(random.begin(), random.end());
        m_config.publisherSecret = random.toHex();
        qCWarning(lcServer).noquote() << "no publisher secret configured; generated one for this run:"
                                      << QString::fromLatin1(m_config.publisherSecret);
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
    if (auto* local = qobject_cast<LocalEngine*>(m_engine); local && !local->isReady()) {
        *error = local->startError();
        return false;
    }
    m_metrics.setExtraSource([engine = m_engine] { return engine->metrics(); });
    if (!m_config.forgeUrl.isEmpty()) {
        // Before the workers start: they read the authenticator's forge verifier without a lock.
        m_forgeBridge = new ForgeBridge(m_config, m_broker, &m_authenticator, this);
        m_metrics.setExtraSource(
            [engine = m_engine, bridge = m_forgeBridge] { return engine->metrics() + bridge->metrics(); });
    }

    const int workerCount = m_config.effectiveWorkers();
    for (int i = 0; i < workerCount; ++i) {
        auto* thread = new QThread(this);
        thread->setObjectName(u"forgewire-worker-%1"_s.arg(i));
        auto* worker = new Worker(i, m_config, &m_authenticator, &m_metrics, &m_admitted, m_broker);
        worker->moveToThread(thread);
        connect(worker, &Worker::drained, this, [this] {
            if (++m_drainedWorkers == m_workers.size())
                Q_EMIT drained();
        });
        thread->start();
        QMetaObject::invokeMethod(worker, &Worker::init, Qt::QueuedConnection);
        m_workers.append(worker);
        m_threads.append(thread);
    }
    m_broker->setWorkers(m_workers);

    m_listener = new ClientListener(m_workers, &m_admitted, this);
    // The kernel's accept queue absorbs connect storms while the workers upgrade.
    m_listener->setMaxPendingConnections(qMax(kMinListenBacklog, m_config.maxConnections));
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
                                            [this] { return isReady(); });
    m_adminServer = new AdminServer(
        [api = m_adminApi.get()](const HttpRequestHead& head, const QByteArray& body,
                                 AdminServer::Respond respond) { api->handle(head, body, respond); },
        this);
    if (!m_adminServer->listen(m_config.adminAddress, m_config.adminPort)) {
        *error = u"cannot listen on admin %1:%2: %3"_s.arg(m_config.adminAddress.toString())
                     .arg(m_config.adminPort)
                     .arg(m_adminServer->errorString());
        return false;
    }
    qCInfo(lcServer).noquote()
        << "listening for clients on"
        << u"ws://%1:%2%3"_s.arg(m_config.listenAddress.toString()).arg(port()).arg(m_config.wsPath())
        << "with" << workerCount << "workers; admin API on"
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
    return !m_draining && m_engine && m_engine->isReady() && m_listener && m_listener->isListening();
}

void Server::drain()
{
    if (m_draining)
        return;
    m_draining = true;
    qCInfo(lcServer) << "draining: closing" << m_metrics.connections.load() << "connections with 1001";
    if (m_listener)
        m_listener->close();
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

void Server::stopWorkers()
{
    if (m_broker)
        m_broker->setWorkers({});
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
