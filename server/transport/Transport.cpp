#include "transport/Transport.h"

#include "config/ServerConfig.h"
#include "config/ServerLogging.h"
#include "metrics/Metrics.h"
#include "transport/TransportNames.h"

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

WsHandshake refusal(const QByteArray& body, const QByteArray& extraHeaders = {})
{
    WsHandshake handshake;
    handshake.status = 503;
    handshake.body = body;
    handshake.extraHeaders = extraHeaders;
    return handshake;
}

} // namespace

QStringList Transport::available()
{
    return TransportNames::available();
}

QString Transport::defaultName()
{
    return TransportNames::defaultName();
}

WsHandshake Transport::admit(bool draining, const QHostAddress& peer, ConnectionGate::Address* address,
                             bool* inGate, bool* handshakePending) const
{
    *inGate = false;
    *handshakePending = false;
    *address = ConnectionGate::addressOf(peer);
    // The listener reserved this socket's handshake slot; a refusal before the gate gives it back.
    if (draining) {
        m_context.gate->handshakeDone();
        return refusal(R"({"error":"server is shutting down"})");
    }
    const ServerConfig& config = *m_context.config;
    Metrics* metrics = m_context.metrics;
    if (m_context.admitted->load() > config.maxConnections) {
        m_context.gate->handshakeDone();
        ++metrics->rejectedAtCap;
        qCWarning(lcWs) << "connection cap" << config.maxConnections << "reached; refusing"
                        << peer.toString();
        return refusal(R"({"error":"too many connections"})", "Retry-After: 5\r\n");
    }
    *handshakePending = true;
    if (config.trustedProxies.contains(peer))
        return {};
    return enterGate(*address, inGate);
}

WsHandshake Transport::admitClient(const QHostAddress& peer, const HttpRequestHead& head,
                                   ConnectionGate::Address* address, QString* client, bool* inGate) const
{
    const TrustedProxies::Client who = m_context.config->trustedProxies.clientOf(peer, head);
    if (who.malformed) {
        ++m_context.metrics->forwardedHeadersMalformed;
        qCDebug(lcWs).noquote() << "ignoring a malformed X-Forwarded-For/X-Real-IP from" << peer.toString();
    }
    *address = ConnectionGate::addressOf(who.address);
    *client = who.address.toString();
    return enterGate(*address, inGate);
}

WsHandshake Transport::enterGate(const ConnectionGate::Address& address, bool* inGate) const
{
    // Counted under one lock by the worker that adopts the socket, so a storm spread over the
    // workers cannot overshoot either cap.
    *inGate = true;
    switch (m_context.gate->enter(address)) {
    case ConnectionGate::Verdict::Admit:
        return {};
    case ConnectionGate::Verdict::TooManyFromAddress:
        ++m_context.metrics->rejectedPerAddress;
        qCWarning(lcWs).noquote() << "per-address cap" << m_context.config->maxConnectionsPerAddress
                                  << "reached; refusing" << ConnectionGate::toString(address);
        return refusal(R"({"error":"too many connections from this address"})", "Retry-After: 5\r\n");
    }
    return {};
}

} // namespace forgewire
