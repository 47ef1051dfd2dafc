#include "Metrics.h"

namespace forgewire {

namespace {

void metric(QByteArray& out, const char* name, const char* type, const char* help)
{
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

void sample(QByteArray& out, const char* name, const char* labels, qint64 value)
{
    out += name;
    out += labels;
    out += ' ';
    out += QByteArray::number(value);
    out += '\n';
}

} // namespace

std::atomic<qint64>& Metrics::subscriptions(Topic::Kind kind)
{
    switch (kind) {
    case Topic::Kind::User:
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

QByteArray Metrics::render(bool engineReady) const
{
    QByteArray out;
    out.reserve(2048);
    metric(out, "forgewire_connections", "gauge", "Open WebSocket connections.");
    sample(out, "forgewire_connections", "", connections);
    metric(out, "forgewire_connections_total", "counter", "WebSocket connections accepted since start.");
    sample(out, "forgewire_connections_total", "", connectionsTotal);
    metric(out, "forgewire_subscriptions", "gauge",
           "Subscriptions held by open connections, per topic kind.");
    sample(out, "forgewire_subscriptions", "{kind=\"user\"}", subscriptionsUser);
    sample(out, "forgewire_subscriptions", "{kind=\"project_board\"}", subscriptionsBoard);
    sample(out, "forgewire_subscriptions", "{kind=\"public\"}", subscriptionsPublic);
    metric(out, "forgewire_messages_published_total", "counter", "Messages accepted by the publish API.");
    sample(out, "forgewire_messages_published_total", "", published);
    metric(out, "forgewire_messages_delivered_total", "counter", "Messages handed to client sockets.");
    sample(out, "forgewire_messages_delivered_total", "", delivered);
    metric(out, "forgewire_messages_dropped_total", "counter", "Messages not delivered, per reason.");
    sample(out, "forgewire_messages_dropped_total", "{reason=\"no_subscribers\"}", droppedNoSubscribers);
    sample(out, "forgewire_messages_dropped_total", "{reason=\"forbidden\"}", droppedForbidden);
    sample(out, "forgewire_messages_dropped_total", "{reason=\"slow_consumer\"}", droppedSlowConsumer);
    metric(out, "forgewire_slow_consumer_disconnects_total", "counter",
           "Connections closed with 4008 because their send queue was over the limit.");
    sample(out, "forgewire_slow_consumer_disconnects_total", "", slowConsumerDisconnects);
    metric(out, "forgewire_auth_failures_total", "counter", "Upgrades closed with 4001.");
    sample(out, "forgewire_auth_failures_total", "", authFailures);
    metric(out, "forgewire_handshake_timeouts_total", "counter", "Connections dropped during the handshake.");
    sample(out, "forgewire_handshake_timeouts_total", "", handshakeTimeouts);
    metric(out, "forgewire_pong_timeouts_total", "counter", "Connections dropped for a missing pong.");
    sample(out, "forgewire_pong_timeouts_total", "", pongTimeouts);
    metric(out, "forgewire_connections_rejected_total", "counter",
           "Connections refused at the connection cap.");
    sample(out, "forgewire_connections_rejected_total", "", rejectedAtCap);
    metric(out, "forgewire_client_errors_total", "counter", "Error replies sent to clients.");
    sample(out, "forgewire_client_errors_total", "", clientErrors);
    metric(out, "forgewire_publish_rejected_total", "counter", "Publish API requests refused (400/401/413).");
    sample(out, "forgewire_publish_rejected_total", "", publishRejected);
    metric(out, "forgewire_publish_failed_total", "counter",
           "Publish API requests the engine could not take (503).");
    sample(out, "forgewire_publish_failed_total", "", publishFailed);
    metric(out, "forgewire_engine_ready", "gauge", "1 when the engine (state, fan-out) is ready.");
    sample(out, "forgewire_engine_ready", "", engineReady ? 1 : 0);
    if (m_extra)
        out += m_extra();
    return out;
}

} // namespace forgewire
