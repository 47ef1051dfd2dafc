#pragma once

#include "protocol/Topic.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <atomic>
#include <functional>

namespace forgewire {

class PrometheusWriter;

// Counters shared by every thread; /metrics renders them in Prometheus text format.
class Metrics
{
public:
    std::atomic<qint64> connections{0};
    std::atomic<qint64> connectionsTotal{0};
    std::atomic<qint64> subscriptionsUser{0};
    std::atomic<qint64> subscriptionsBoard{0};
    std::atomic<qint64> subscriptionsPublic{0};
    std::atomic<qint64> published{0};
    std::atomic<qint64> delivered{0};
    std::atomic<qint64> droppedNoSubscribers{0};
    std::atomic<qint64> droppedForbidden{0};
    std::atomic<qint64> droppedSlowConsumer{0};
    std::atomic<qint64> slowConsumerDisconnects{0};
    std::atomic<qint64> authFailures{0};
    std::atomic<qint64> handshakeTimeouts{0};
    std::atomic<qint64> pongTimeouts{0};
    std::atomic<qint64> rejectedAtCap{0};
    std::atomic<qint64> rejectedPerAddress{0};
    // X-Forwarded-For / X-Real-IP values from a trusted proxy that named no address (ignored).
    std::atomic<qint64> forwardedHeadersMalformed{0};
    // Times the listener stopped accepting at max_pending_handshakes (what it accepted then waits).
    std::atomic<qint64> acceptPauses{0};
    // Bytes queued for clients on the whole node (outboxes and deferred client messages), kept by
    // every enqueue and flush; the QueueBudget's counter.
    std::atomic<qint64> queuedBytes{0};
    std::atomic<qint64> budgetEvictions{0};
    std::atomic<qint64> deferredOverflow{0};
    std::atomic<qint64> clientErrors{0};
    std::atomic<qint64> publishRejected{0};
    std::atomic<qint64> publishFailed{0};

    // Server-sent event streams (`GET /user/events`): open now (also in `connections`), events
    // written, and how they ended.
    std::atomic<qint64> eventStreams{0};
    std::atomic<qint64> eventStreamEvents{0};
    enum class StreamEnd
    {
        Unauthorized, // 401 before the stream, or a revoked session after it
        SlowConsumer, // the send-queue bound, or the node's budget
        GoingAway,    // drain, or the forge unreachable
        ClientGone,   // the client ended the connection
        Other,
        Count
    };
    std::atomic<qint64> eventStreamEnds[int(StreamEnd::Count)]{};
    // Counts one stream ended by the session side with a WebSocket close `code`.
    void noteStreamClosed(quint16 code);

    std::atomic<qint64>& subscriptions(Topic::Kind kind);

    // Families of an optional part (engine, bridge), written after the server's own in the order
    // added. Every source added is kept; add them before /metrics is served, since render() reads
    // the list without a lock.
    using Source = std::function<void(PrometheusWriter& out)>;
    void addSource(Source source) { m_sources.append(std::move(source)); }
    QByteArray render(bool engineReady) const;

private:
    std::atomic<qint64> m_invalid{0};
    QList<Source> m_sources;
};

} // namespace forgewire
