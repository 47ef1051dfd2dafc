#pragma once

#include <QHash>
#include <QReadWriteLock>
#include <QString>

#include <atomic>

namespace forgewire {

// The sessions (`sid`) a logout revoked, with the wall-clock time (ms since the epoch) each
// revocation ends. A node-local copy of what the engine stores, so a worker checks a new connection
// without a round trip to the engine: written on the main thread, read by every worker.
class RevokedSessions
{
public:
    // PROTOCOL.md: revocations are kept this long unless `revoked_session_ttl` says otherwise.
    static constexpr qint64 kDefaultTtlSeconds = 30LL * 24 * 60 * 60;
    // Longest accepted TTL (ten years): keeps the end time far from overflowing.
    static constexpr qint64 kMaxTtlSeconds = 10LL * 366 * 24 * 60 * 60;
    // How often the expired ones are dropped (an expired one is ignored anyway).
    static constexpr int kPruneIntervalMs = 60'000;

    // Thread-safe. True while `sessionId` is revoked.
    bool contains(const QString& sessionId) const;
    // Thread-safe. False until the engine's stored revocations were loaded once: until then a
    // token with a session cannot be checked.
    bool isLoaded() const { return m_loaded.load(std::memory_order_acquire); }

    // Main thread. Adds (or extends) revocations; a later end wins.
    void add(const QHash<QString, qint64>& revocations);
    void setLoaded() { m_loaded.store(true, std::memory_order_release); }
    // Drops the ones ended by `nowMs`.
    void prune(qint64 nowMs);
    qsizetype size() const;

private:
    mutable QReadWriteLock m_lock;
    QHash<QString, qint64> m_until;
    std::atomic<bool> m_loaded{false};
};

} // namespace forgewire
