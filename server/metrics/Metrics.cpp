#include "metrics/Metrics.h"

#include "metrics/PrometheusWriter.h"
#include "protocol/Protocol.h"

namespace forgewire {

std::atomic<qint64>& Metrics::subscriptions(Topic::Kind kind)
{
    switch (kind) {
    case Topic::Kind::User:
    case Topic::Kind::ForgeSession: // a forge session's own state, as a user topic is a user's
        return subscriptionsUser;
    case Topic::Kind::ProjectBoard:
        return subscriptionsBoard;
    case Topic::Kind::Public:
        return subscriptionsPublic;
    case Topic::Kind::Invalid:
        break;
    }
    return m_invalid;
}

void Metrics::noteStreamClosed(quint16 code)
{
    StreamEnd end = StreamEnd::Other;
    switch (code) {
    case protocol::CloseCode::Unauthorized:
        end = StreamEnd::Unauthorized;
        break;
    case protocol::CloseCode::SlowConsumer:
        end = StreamEnd::SlowConsumer;
        break;
    case protocol::CloseCode::GoingAway:
    case protocol::CloseCode::TryAgainLater:
        end = StreamEnd::GoingAway;
        break;
    default:
        break;
    }
    ++eventStreamEnds[int(end)];
}

QByteArray Metrics::render(bool engineReady) const
{
    using Type = PrometheusWriter::Type;
    PrometheusWriter out;
    out.gauge("forgewire_connections", "Open client connections (WebSocket and event streams).", connections);
    out.counter("forgewire_connections_total",
                "Client connections accepted since start (WebSocket and event streams).", connectionsTotal);
    out.family("forgewire_subscriptions", Type::Gauge,
               "Subscriptions held by open connections, per topic kind.");
    out.sample({{"kind", "user"}}, subscriptionsUser);
    out.sample({{"kind", "project_board"}}, subscriptionsBoard);
    out.sample({{"kind", "public"}}, subscriptionsPublic);
    out.gauge("forgewire_event_streams",
              "Open server-sent event streams (GET /user/events), also counted in "
              "forgewire_connections.",
              eventStreams);
    out.counter("forgewire_event_stream_events_total", "Events written to server-sent event streams.",
                eventStreamEvents);
    out.family("forgewire_event_stream_closes_total", Type::Counter,
               "Server-sent event streams ended, per reason.");
    out.sample({{"reason", "unauthorized"}}, eventStreamEnds[int(StreamEnd::Unauthorized)]);
    out.sample({{"reason", "slow_consumer"}}, eventStreamEnds[int(StreamEnd::SlowConsumer)]);
    out.sample({{"reason", "going_away"}}, eventStreamEnds[int(StreamEnd::GoingAway)]);
    out.sample({{"reason", "client_gone"}}, eventStreamEnds[int(StreamEnd::ClientGone)]);
    out.sample({{"reason", "other"}}, eventStreamEnds[int(StreamEnd::Other)]);
    out.counter("forgewire_messages_published_total", "Messages accepted by the publish API.", published);
    out.counter("forgewire_messages_delivered_total", "Messages handed to client sockets.", delivered);
    out.family("forgewire_messages_dropped_total", Type::Counter, "Messages not delivered, per reason.");
    out.sample({{"reason", "no_subscribers"}}, droppedNoSubscribers);
    out.sample({{"reason", "forbidden"}}, droppedForbidden);
    out.sample({{"reason", "slow_consumer"}}, droppedSlowConsumer);
    out.counter("forgewire_slow_consumer_disconnects_total",
                "Connections closed with 4008 because their send queue was over the limit.",
                slowConsumerDisconnects);
    out.counter("forgewire_auth_failures_total", "Upgrades closed with 4001.", authFailures);
    out.counter("forgewire_handshake_timeouts_total", "Connections dropped during the handshake.",
                handshakeTimeouts);
    out.counter("forgewire_pong_timeouts_total", "Connections dropped for a missing pong.", pongTimeouts);
    out.counter("forgewire_connections_rejected_total", "Connections refused at the connection cap.",
                rejectedAtCap);
    out.family("forgewire_connections_refused_total", Type::Counter,
               "Connections refused with 503 by a per-client cap, per reason.");
    out.sample({{"reason", "per_address"}}, rejectedPerAddress);
    out.counter("forgewire_forwarded_headers_malformed_total",
                "X-Forwarded-For or X-Real-IP values from a trusted proxy that were not addresses; ignored, "
                "the proxy's own address stood.",
                forwardedHeadersMalformed);

    out.counter(
        "forgewire_accept_pauses_total",
        "Times the listener stopped accepting at max_held_connections (held past max_pending_handshakes); "
        "the rest waited in the kernel's backlog.",
        acceptPauses);
    out.gauge("forgewire_queued_bytes",
              "Bytes queued for clients (every send queue plus deferred client messages).", queuedBytes);
    out.counter("forgewire_queue_budget_evictions_total",
                "Connections closed with 4008 to bring the node back under max_queued_bytes.",
                budgetEvictions);
    out.counter("forgewire_deferred_overflow_total",
                "Client messages refused (rate_limited) because too many waited behind a pending request.",
                deferredOverflow);
    out.counter("forgewire_client_errors_total", "Error replies sent to clients.", clientErrors);
    out.counter("forgewire_publish_rejected_total", "Publish API requests refused (400/401/413).",
                publishRejected);
    out.counter("forgewire_publish_failed_total", "Publish API requests the engine could not take (503).",
                publishFailed);
    out.gauge("forgewire_engine_ready", "1 when the engine (state, fan-out) is ready.", engineReady ? 1 : 0);
    for (const Source& source : m_sources)
        source(out);
    return out.text();
}

} // namespace forgewire
