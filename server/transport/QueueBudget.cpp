#include "transport/QueueBudget.h"

namespace forgewire {

QueueBudget::QueueBudget(qint64 limit, int workers, std::atomic<qint64>* queued)
    : m_limit(limit), m_workerCount(workers), m_queued(queued),
      m_largest(std::make_unique<std::atomic<qint64>[]>(size_t(workers))),
      m_requested(std::make_unique<std::atomic<bool>[]>(size_t(workers)))
{
    for (int i = 0; i < workers; ++i) {
        m_largest[i].store(0);
        m_requested[i].store(false);
    }
}

void QueueBudget::noteBacklog(int index, qint64 bytes)
{
    qint64 seen = m_largest[index].load(std::memory_order_relaxed);
    while (bytes > seen && !m_largest[index].compare_exchange_weak(seen, bytes, std::memory_order_relaxed)) {
    }
}

int QueueBudget::largestHolder(qint64* bytes) const
{
    int holder = -1;
    qint64 largest = 0;
    for (int i = 0; i < m_workerCount; ++i) {
        const qint64 value = m_largest[i].load(std::memory_order_relaxed);
        if (value > largest) {
            largest = value;
            holder = i;
        }
    }
    *bytes = largest;
    return holder;
}

void QueueBudget::setEvictors(const QList<Evictor>& evictors)
{
    QMutexLocker lock(&m_mutex);
    m_evictors = evictors;
}

void QueueBudget::requestEviction(int index)
{
    if (m_requested[index].exchange(true, std::memory_order_relaxed))
        return;
    QMutexLocker lock(&m_mutex);
    if (index >= m_evictors.size()) {
        m_requested[index].store(false, std::memory_order_relaxed);
        return;
    }
    m_evictors[index]();
}

} // namespace forgewire
