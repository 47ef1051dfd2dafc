#pragma once

#include <QList>
#include <QTcpServer>

#include <atomic>
#include <functional>

namespace forgewire {

// Accepts client TCP connections and hands each descriptor to a worker thread, round robin.
// The worker owns everything after accept(): HTTP, upgrade, session.
class ClientListener : public QTcpServer
{
    Q_OBJECT
public:
    // One per worker: hands it an accepted descriptor, on its own thread.
    using Adopt = std::function<void(qintptr descriptor)>;
    ClientListener(QList<Adopt> workers, std::atomic<int>* admitted, QObject* parent = nullptr);

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    QList<Adopt> m_workers;
    std::atomic<int>* m_admitted;
    qsizetype m_next = 0;
};

} // namespace forgewire
