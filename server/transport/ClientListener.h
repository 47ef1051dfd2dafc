#pragma once

#include <QList>
#include <QTcpServer>

#include <atomic>

namespace forgewire {

class Worker;

// Accepts client TCP connections and hands each descriptor to a worker thread, round robin.
// The worker owns everything after accept(): HTTP, upgrade, session.
class ClientListener : public QTcpServer
{
    Q_OBJECT
public:
    ClientListener(QList<Worker*> workers, std::atomic<int>* admitted, QObject* parent = nullptr);

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    QList<Worker*> m_workers;
    std::atomic<int>* m_admitted;
    qsizetype m_next = 0;
};

} // namespace forgewire
