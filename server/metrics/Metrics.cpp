#include "metrics/Metrics.h"

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
    struct Sample
    {
        const char* labels;
        qint64 value;
    };
    struct Family
    {
        const char* name;
        const char* type;
        const char* help;
        std::initializer_list<Sample> samples;
    };
    const Family families[] = {
        {"forgewire_connections", "gauge", "Open WebSocket connections.", {{"", connections}}},
        {"forgewire_connections_total",
         "counter",
         "WebSocket connections accepted since start.",
         {{"", connectionsTotal}}},
        {"forgewire_subscriptions",
         "gauge",
         "Subscriptions held by open connections, per topic kind.",
         {{"{kind=\"user\"}", subscriptionsUser},
          {"{kind=\"project_board\"}", subscriptionsBoard},
          {"{kind=\"public\"}", subscriptionsPublic}}},
        {"forgewire_messages_published_total",
         "counter",
         "Messages accepted by the publish API.",
         {{"", published}}},
        {"forgewire_messages_delivered_total",
         "counter",
         "Messages handed to client sockets.",
         {{"", delivered}}},
        {"forgewire_messages_dropped_total",
         "counter",
         "Messages not delivered, per reason.",
         {{"{reason=\"no_subscribers\"}", droppedNoSubscribers},
          {"{reason=\"forbidden\"}", droppedForbidden},
          {"{reason=\"slow_consumer\"}", droppedSlowConsumer}}},
        {"forgewire_slow_consumer_disconnects_total",
         "counter",
         "Connections closed with 4008 because their send queue was over the limit.",
         {{"", slowConsumerDisconnects}}},
        {"forgewire_auth_failures_total", "counter", "Upgrades closed with 4001.", {{"", authFailures}}},
        {"forgewire_handshake_timeouts_total",
         "counter",
         "Connections dropped during the handshake.",
         {{"", handshakeTimeouts}}},
        {"forgewire_pong_timeouts_total",
         "counter",
         "Connections dropped for a missing pong.",
         {{"", pongTimeouts}}},
        {"forgewire_connections_rejected_total",
         "counter",
         "Connections refused at the connection cap.",
         {{"", rejectedAtCap}}},
        {"forgewire_connections_refused_total",
         "counter",
         "Connections refused with 503 by a per-client cap, per reason.",
         {{"{reason=\"per_address\"}", rejectedPerAddress},
          {"{reason=\"pending_handshakes\"}", rejectedPendingHandshakes}}},
        {"forgewire_queued_bytes",
         "gauge",
         "Bytes queued for clients (every send queue plus deferred client messages).",
         {{"", queuedBytes}}},
        {"forgewire_queue_budget_evictions_total",
         "counter",
         "Connections closed with 4008 to bring the node back under max_queued_bytes.",
         {{"", budgetEvictions}}},
        {"forgewire_deferred_overflow_total",
         "counter",
         "Client messages refused (rate_limited) because too many waited behind a pending request.",
         {{"", deferredOverflow}}},
        {"forgewire_client_errors_total", "counter", "Error replies sent to clients.", {{"", clientErrors}}},
        {"forgewire_publish_rejected_total",
         "counter",
         "Publish API requests refused (400/401/413).",
         {{"", publishRejected}}},
        {"forgewire_publish_failed_total",
         "counter",
         "Publish API requests the engine could not take (503).",
         {{"", publishFailed}}},
        {"forgewire_engine_ready",
         "gauge",
         "1 when the engine (state, fan-out) is ready.",
         {{"", engineReady ? 1 : 0}}},
    };
    QByteArray out;
    out.reserve(2048);
    for (const Family& family : families) {
        metric(out, family.name, family.type, family.help);
        for (const Sample& s : family.samples)
            sample(out, family.name, s.labels, s.value);
    }
    if (m_extra)
        out += m_extra();
    return out;
}

} // namespace forgewire
