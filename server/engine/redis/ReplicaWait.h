#pragma once

#include <QList>
#include <QString>

#include <functional>

namespace forgewire {

class PrometheusWriter;
class RedisConnection;

// Holds back the acknowledgement of a state write (retained message, board, ACL, revocation) until
// enough replicas have it. Redis replicates asynchronously: a primary that acknowledged a write and
// died before sending it on loses it in the failover, because the replica promoted never had it.
//
// WAIT blocks the connection it is sent on (every command behind it waits), so at most one is in
// flight: writes acknowledged meanwhile are confirmed together by the next one, as WAIT covers
// every write made before it on its connection. A replica that does not confirm within kWaitMs
// fails the writes it held (the API answers 503, the forge retries) and the connection goes on.
//
// It waits for as many replicas as asked, or for every replica connected to the primary when
// fewer are: after a failover the new primary often has none until the old one returns as its
// replica, and refusing every state write until then would turn one lost server into an outage.
// Such writes are counted (unprotected()): no replica is there to lose them to, but one that was
// cut off and is promoted before it reconnects would not have them.
class ReplicaWait
{
public:
    using Done = std::function<void(const QString& error)>;

    // Short against the command timeout (RedisConnection), which must not fire behind one WAIT plus
    // the next.
    static constexpr int kWaitMs = 500;
    // Confirmations waiting for the next WAIT; past this the write's answer is a 503 at once.
    static constexpr qsizetype kMaxQueued = 50'000;

    explicit ReplicaWait(int replicas = 0) : m_replicas(replicas) {}
    int replicas() const { return m_replicas; }
    // Replicas connected to the primary now (its ROLE answer).
    void setConnectedReplicas(int connected);

    // `connection` just acknowledged a write; `done` runs once replicas have it (or cannot).
    void confirm(RedisConnection* connection, Done done);
    // Writes answered with an error because too few replicas confirmed them in time.
    qint64 unconfirmed() const { return m_unconfirmed; }
    // Writes acknowledged without waiting because no replica was connected.
    qint64 unprotected() const { return m_unprotected; }
    // Time the latest WAIT took, in ms (-1 before the first).
    qint64 lastWaitMs() const { return m_lastWaitMs; }
    void writeMetrics(PrometheusWriter& out) const;

private:
    void send(RedisConnection* connection);
    void failAll(QList<Done> writes, const QString& error);

    int m_replicas;
    // Unknown (-1) until the primary said; waited for as if all were there.
    int m_connected = -1;
    qint64 m_unprotected = 0;
    QList<Done> m_queued;
    bool m_inFlight = false;
    qint64 m_unconfirmed = 0;
    qint64 m_lastWaitMs = -1;
};

} // namespace forgewire
