#pragma once

#include <QList>
#include <QQueue>
#include <QTcpServer>

#include <atomic>
#include <functional>

namespace forgewire {

class ConnectionGate;
class Metrics;

// Accepts client TCP connections and hands each descriptor to a worker thread, round robin.
// The worker owns everything after accept(): HTTP, upgrade, session. At max_pending_handshakes the
// listener holds what it accepts, in order, until a handshake slot comes back: a reconnect storm after
// a restart waits instead of getting 503s. At max_held_connections held it stops accepting too (the
// kernel's backlog keeps the rest, and drops SYNs past it).
class ClientListener : public QTcpServer
{
    Q_OBJECT
public:
    // One per worker: hands it an accepted descriptor, on its own thread.
    using Adopt = std::function<void(qintptr descriptor)>;
    ClientListener(QList<Adopt> workers, std::atomic<int>* admitted, ConnectionGate* gate, Metrics* metrics,
                   int maxHeld, QObject* parent = nullptr);
    ~ClientListener() override;

    // A handshake slot is free again (posted here by the ConnectionGate's room callback).
    void handOffWaiting();
    // Sockets accepted and held at the pending-handshake cap.
    qsizetype waitingCount() const { return m_waiting.size(); }
    // Stops accepting and closes the held sockets (drain).
    void stop();

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    // Qt's maxPendingConnections() while accepting. Qt counts only the sockets queued with
    // addPendingConnection(), which this class never does (it hands descriptors on), so the value is
    // only an on/off switch for Qt's accept loop: 0 stops it (see incomingConnection()).
    static constexpr int kAccepting = 1;

    void handOff(qintptr descriptor);

    QList<Adopt> m_workers;
    std::atomic<int>* m_admitted;
    ConnectionGate* m_gate;
    Metrics* m_metrics;
    int m_maxHeld;
    QQueue<qintptr> m_waiting;
    bool m_paused = false;
    qsizetype m_next = 0;
};

} // namespace forgewire
