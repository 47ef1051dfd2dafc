#pragma once

#include <QHostAddress>
#include <QList>
#include <QString>

#include <utility>

namespace forgewire {

struct HttpRequestHead;

// `[server] trusted_proxies` (PROTOCOL.md v1.2, Forge drop-in: behind a proxy): the reverse proxies
// whose X-Forwarded-For and X-Real-IP headers name the client. Behind the forge's nginx every
// connection comes from the proxy, so without this the per-address cap, the rate limits and every
// log line would count and name the proxy. From any other peer the headers are ignored: a client
// could write any address there.
class TrustedProxies
{
public:
    // Hops of X-Forwarded-For read from the right, at most: each is a trusted proxy but the last,
    // so a longer chain is no deployment (a head has room for hundreds of addresses).
    static constexpr int kMaxHops = 16;

    struct Client
    {
        QHostAddress address;
        // The address came from a header (the peer is a trusted proxy that named the client).
        bool forwarded = false;
        // The peer is trusted but its header was not a list of addresses: ignored, the peer stands.
        bool malformed = false;
    };

    // Space- (or comma-) separated CIDRs (`10.0.0.0/8 fd00::/8`) or single addresses. Empty: none.
    // Returns the error sentence for a bad entry, or empty.
    QString parse(const QString& text);
    QString toString() const;
    bool isEmpty() const { return m_subnets.isEmpty(); }

    bool contains(const QHostAddress& address) const;
    // Who sent the request that `peer` delivered: for a trusted peer, the right-most address of
    // X-Forwarded-For that is not itself trusted (the left-most when all are), or X-Real-IP when
    // there is no X-Forwarded-For; otherwise, and for a malformed header, the peer.
    Client clientOf(const QHostAddress& peer, const HttpRequestHead& head) const;

    // An IPv4-mapped IPv6 address (a dual-stack listener's view of an IPv4 peer) as IPv4.
    static QHostAddress plain(const QHostAddress& address);
    // One element of X-Forwarded-For or an X-Real-IP value: an address, IPv6 optionally in brackets,
    // either optionally with a port. Null for anything else (`unknown`, an obfuscated identifier).
    static QHostAddress parseHop(QByteArrayView text);

private:
    QList<std::pair<QHostAddress, int>> m_subnets;
};

} // namespace forgewire
