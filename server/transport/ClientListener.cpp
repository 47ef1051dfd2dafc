#include "transport/ClientListener.h"

#include "metrics/Metrics.h"
#include "transport/ConnectionGate.h"

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif
#ifdef Q_OS_WIN
#include <winsock2.h>
#endif

namespace forgewire {

namespace {

void closeDescriptor(qintptr descriptor)
{
#ifdef Q_OS_WIN
    ::closesocket(SOCKET(descriptor));
#else
    ::close(int(descriptor));
#endif
}

} // namespace

ClientListener::ClientListener(QList<Adopt> workers, std::atomic<int>* admitted, ConnectionGate* gate,
                               Metrics* metrics, int maxHeld, QObject* parent)
    : QTcpServer(parent), m_workers(std::move(workers)), m_admitted(admitted), m_gate(gate),
      m_metrics(metrics), m_maxHeld(qMax(1, maxHeld))
{
    setMaxPendingConnections(kAccepting);
}

ClientListener::~ClientListener()
{
    stop();
}

void ClientListener::incomingConnection(qintptr descriptor)
{
    // Counted here, before the hand-over, so a connect storm cannot overshoot the cap between threads.
    ++*m_admitted;
    // Qt accepts a whole burst in one loop; once a socket waits, every later one waits behind it.
    if (!m_waiting.isEmpty() || !m_gate->reserveHandshake()) {
        m_waiting.enqueue(descriptor);
        if (m_waiting.size() >= m_maxHeld && !m_paused) {
            ++m_metrics->acceptPauses;
            m_paused = true;
            // pauseAccepting() alone would let Qt finish the accept loop it is in (a whole kernel
            // backlog); Qt checks maxPendingConnections() before each accept, so 0 ends it here.
            setMaxPendingConnections(0);
            pauseAccepting();
        }
        return;
    }
    handOff(descriptor);
}

void ClientListener::handOff(qintptr descriptor)
{
    m_workers[m_next++ % m_workers.size()](descriptor);
}

void ClientListener::handOffWaiting()
{
    while (!m_waiting.isEmpty() && m_gate->reserveHandshake())
        handOff(m_waiting.dequeue());
    if (m_paused && m_waiting.size() < m_maxHeld && isListening()) {
        m_paused = false;
        setMaxPendingConnections(kAccepting);
        resumeAccepting();
    }
}

void ClientListener::stop()
{
    close();
    while (!m_waiting.isEmpty()) {
        closeDescriptor(m_waiting.dequeue());
        --*m_admitted;
    }
}

} // namespace forgewire
