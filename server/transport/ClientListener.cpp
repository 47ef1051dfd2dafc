#include "transport/ClientListener.h"

namespace forgewire {

ClientListener::ClientListener(QList<Adopt> workers, std::atomic<int>* admitted, QObject* parent)
    : QTcpServer(parent), m_workers(std::move(workers)), m_admitted(admitted)
{}

void ClientListener::incomingConnection(qintptr descriptor)
{
    // Counted here, before the hand-over, so a connect storm cannot overshoot the cap between threads.
    ++*m_admitted;
    m_workers[m_next++ % m_workers.size()](descriptor);
}

} // namespace forgewire
