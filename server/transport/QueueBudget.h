#pragma once

#include <QList>
#include <QMutex>

#include <atomic>
#include <functional>
#include <memory>

namespace forgewire {

// The node-wide bound on bytes queued for clients (config max_queued_bytes): every outbox and every
// deferred client message adds to one atomic counter at enqueue time (Metrics::queuedBytes, the
// forgewire_queued_bytes gauge). When it is over, the largest backlogs go first: each worker
// advertises (an upper bound of) its largest outbox, and the enqueuing worker either evicts its own
// largest or asks the worker holding the largest to do so on its thread.
class QueueBudget
{
public:
    QueueBudget(qint64 limit, int workers, std::atomic<qint64>* queued);

    qint64 limit() const { return m_limit; }
    std::atomic<qint64>* counter() const { return m_queued; }
    bool isOver() const { return m_queued->load(std::memory_order_relaxed) > m_limit; }

    // Worker `index` holds an outbox of `bytes` (raise only: cheap at every enqueue).
    void noteBacklog(int index, qint64 bytes);
    // Worker `index` measured its largest outbox: `bytes` (after a scan).
    void setBacklog(int index, qint64 bytes) { m_largest[index].store(bytes, std::memory_order_relaxed); }
    // The worker advertising the largest backlog, with it; -1 when every one is empty.
    int largestHolder(qint64* bytes) const;

    // One per worker: asks that worker, on its own thread, to evict its largest backlogs (the
    // transport does not know what a worker is). Cleared before the workers are deleted.
    using Evictor = std::function<void()>;
    void setEvictors(const QList<Evictor>& evictors);
    // Calls worker `index`'s evictor unless a request is already on its way.
    void requestEviction(int index);
    // Called by the worker when it runs the request, so the next one is posted again.
    void evictionStarted(int index) { m_requested[index].store(false, std::memory_order_relaxed); }

private:
    const qint64 m_limit;
    const int m_workerCount;
    std::atomic<qint64>* m_queued;
    std::unique_ptr<std::atomic<qint64>[]> m_largest;
    std::unique_ptr<std::atomic<bool>[]> m_requested;
    QMutex m_mutex;
    QList<Evictor> m_evictors;
};

} // namespace forgewire
