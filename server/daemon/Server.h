#pragma once

#include "engine/Readiness.h"

#include "auth/Authenticator.h"
#include "config/ServerConfig.h"
#include "metrics/Metrics.h"
#include "transport/ConnectionGate.h"
#include "transport/QueueBudget.h"
#include "transport/Transport.h"

#include <QList>
#include <QObject>

#include <atomic>
#include <memory>

class QThread;

namespace forgewire {

class AdminApi;
class AdminServer;
class Broker;
class ClientListener;
class Engine;
class ForgeBridge;
class Worker;

// forgewire-server as an object: engine, broker, worker threads, client and admin listeners.
// main() and the tests both build one of these.
class Server : public QObject
{
    Q_OBJECT
public:
    explicit Server(ServerConfig config, QObject* parent = nullptr);
    ~Server() override;

    // Binds both listeners and starts the engine. Returns false with a sentence in `error`.
    bool start(QString* error);
    // Stops accepting, closes every client with 1001, emits drained() when they are gone
    // (or after the drain timeout).
    void drain();

    quint16 port() const;
    // Connections accepted and not yet upgraded or refused (max_pending_handshakes counts these).
    int pendingHandshakes() const { return m_gate.pendingHandshakes(); }
    // Accepted connections held by the listener past max_pending_handshakes (main thread).
    qsizetype heldConnections() const;
    quint16 adminPort() const;
    bool isReady() const;
    // Every dependency a publish needs (the server itself, the engine's parts), each with why it
    // fails now: what /readyz answers and /metrics gauges.
    Readiness readiness() const;
    const ServerConfig& config() const { return m_config; }
    QByteArray publisherSecret() const { return m_config.publisherSecret; }

    Engine* engine() const { return m_engine; }
    Broker* broker() const { return m_broker; }
    Metrics* metrics() { return &m_metrics; }
    Authenticator* authenticator() { return &m_authenticator; }
    // Bridge mode only (config `forgeUrl`), else nullptr.
    ForgeBridge* forgeBridge() const { return m_forgeBridge; }

    // Creates the engine named by `config.engine`. Returns nullptr with `error` set if unknown.
    static Engine* createEngine(const ServerConfig& config, QObject* parent, QString* error);
    // Creates each worker's transport, on its thread, for `config.transport`; empty if unknown here.
    static Transport::Factory transportFactory(const QString& name);

Q_SIGNALS:
    void drained();

private:
    void stopWorkers();

    ServerConfig m_config;
    Metrics m_metrics;
    Authenticator m_authenticator;
    std::atomic<int> m_admitted{0};
    // Shared by the workers, so they outlive them (members go after stopWorkers()).
    ConnectionGate m_gate;
    std::unique_ptr<QueueBudget> m_budget;
    Engine* m_engine = nullptr;
    Broker* m_broker = nullptr;
    ForgeBridge* m_forgeBridge = nullptr;
    QList<Worker*> m_workers;
    QList<QThread*> m_threads;
    ClientListener* m_listener = nullptr;
    std::unique_ptr<AdminApi> m_adminApi;
    AdminServer* m_adminServer = nullptr;
    int m_drainedWorkers = 0;
    bool m_draining = false;
};

} // namespace forgewire
