#include "http/TrustedProxies.h"

#include "http/HttpMessage.h"

#include <QRegularExpression>

#include <algorithm>
#include <cctype>

namespace forgewire {

using namespace Qt::StringLiterals;

QString TrustedProxies::parse(const QString& text)
{
    QList<std::pair<QHostAddress, int>> subnets;
    const auto bad = [](const QString& item) {
        return u"'%1' is not an address or CIDR like 10.0.0.0/8 or fd00::/8"_s.arg(item);
    };
    for (const QString& item : text.split(QRegularExpression(u"[\\s,]+"_s), Qt::SkipEmptyParts)) {
        std::pair<QHostAddress, int> subnet = QHostAddress::parseSubnet(item);
        if (subnet.first.isNull() && !item.contains(u'/')) {
            const QHostAddress single(item);
            if (!single.isNull())
                subnet = {single, single.protocol() == QAbstractSocket::IPv6Protocol ? 128 : 32};
        }
        if (subnet.first.isNull() || subnet.second < 0)
            return bad(item);
        if (const QHostAddress v4 = plain(subnet.first); v4.protocol() != subnet.first.protocol()) {
            // ::ffff:10.0.0.0/104 is 10.0.0.0/8, as peers are compared in their IPv4 form.
            if (subnet.second < 96)
                return bad(item);
            subnet = {v4, subnet.second - 96};
        }
        if (!subnets.contains(subnet))
            subnets.append(subnet);
    }
    m_subnets = subnets;
    return {};
}

QString TrustedProxies::toString() const
{
    QStringList items;
    for (const auto& [address, prefix] : m_subnets)
        items.append(u"%1/%2"_s.arg(address.toString()).arg(prefix));
    return items.join(u' ');
}

QHostAddress TrustedProxies::plain(const QHostAddress& address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    return isV4 ? QHostAddress(v4) : address;
}

bool TrustedProxies::contains(const QHostAddress& address) const
{
    const QHostAddress client = plain(address);
    for (const auto& subnet : m_subnets) {
        if (client.isInSubnet(subnet))
            return true;
    }
    return false;
}

QHostAddress TrustedProxies::parseHop(QByteArrayView text)
{
    const auto isPort = [](QByteArrayView port) {
        return !port.isEmpty() && port.size() <= 5 &&
               std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    QByteArrayView hop = text.trimmed();
    if (hop.startsWith('[')) {
        // [v6] or [v6]:port
        const qsizetype close = hop.indexOf(']');
        if (close < 0)
            return {};
        const QByteArrayView rest = hop.sliced(close + 1);
        if (!rest.isEmpty() && !(rest.startsWith(':') && isPort(rest.sliced(1))))
            return {};
        hop = hop.sliced(1, close - 1);
    } else if (hop.count(':') == 1) {
        // v4:port
        const qsizetype colon = hop.indexOf(':');
        if (!isPort(hop.sliced(colon + 1)))
            return {};
        hop = hop.first(colon);
    }
    // Only what an address is made of: QHostAddress also reads forms no proxy writes (a scope id).
    if (hop.isEmpty() || hop.size() > 45)
        return {};
    for (const char c : hop) {
        if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'))
            return {};
    }
    QHostAddress address;
    if (!address.setAddress(QString::fromLatin1(hop)))
        return {};
    return plain(address);
}

TrustedProxies::Client TrustedProxies::clientOf(const QHostAddress& peer, const HttpRequestHead& head) const
{
    Client client;
    client.address = plain(peer);
    if (m_subnets.isEmpty() || !contains(client.address))
        return client;
    // Repeated X-Forwarded-For lines are one comma-separated list, in order (RFC 9110 5.3).
    QByteArray chain;
    int lines = 0;
    for (const auto& [name, value] : head.headers) {
        if (name != "x-forwarded-for")
            continue;
        if (lines++ > 0)
            chain += ',';
        chain += value;
    }
    if (lines > 0) {
        const QList<QByteArray> hops = chain.split(',');
        QHostAddress chosen;
        for (qsizetype i = hops.size() - 1, read = 0; i >= 0 && read < kMaxHops; --i, ++read) {
            const QHostAddress hop = parseHop(hops[i]);
            if (hop.isNull()) {
                client.malformed = true;
                return client;
            }
            chosen = hop;
            if (!contains(hop))
                break;
        }
        client.address = chosen;
        client.forwarded = true;
        return client;
    }
    int realIps = 0;
    QByteArray realIp;
    for (const auto& [name, value] : head.headers) {
        if (name == "x-real-ip") {
            ++realIps;
            realIp = value;
        }
    }
    if (realIps == 0)
        return client;
    const QHostAddress hop = realIps == 1 ? parseHop(realIp) : QHostAddress();
    if (hop.isNull()) {
        client.malformed = true;
        return client;
    }
    client.address = hop;
    client.forwarded = true;
    return client;
}

} // namespace forgewire
