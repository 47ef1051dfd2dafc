#include "bridge/AddressRateLimit.h"

#include "config/ServerLimits.h"

#include <QHostAddress>

namespace forgewire {

using namespace Qt::StringLiterals;

AddressRateLimit::AddressRateLimit(const Clock& clock, int maxTracked)
    : m_clock(clock), m_maxTracked(maxTracked)
{}

bool AddressRateLimit::take(const QString& peerAddress)
{
    QString bucketKey = peerAddress;
    const QHostAddress address(peerAddress);
    if (address.protocol() == QAbstractSocket::IPv6Protocol &&
        !address.isEqual(QHostAddress::LocalHostIPv6)) {
        Q_IPV6ADDR bytes = address.toIPv6Address();
        std::fill(bytes.c + 8, bytes.c + 16, 0);
        bucketKey = QHostAddress(bytes).toString() + "/64"_L1;
    }
    const qint64 now = m_clock.now().count();
    auto it = m_buckets.find(bucketKey);
    if (it == m_buckets.end()) {
        if (m_buckets.size() >= m_maxTracked)
            return true;
        it = m_buckets.insert(bucketKey, Bucket{double(limits::kForgeChecksPerAddressBurst), now});
    }
    it->tokens = std::min(double(limits::kForgeChecksPerAddressBurst),
                          it->tokens + (now - it->atMs) * limits::kForgeChecksPerAddressPerSecond / 1000.0);
    it->atMs = now;
    if (it->tokens < 1.0)
        return false;
    it->tokens -= 1.0;
    return true;
}

void AddressRateLimit::prune()
{
    const qint64 now = m_clock.now().count();
    const qint64 refillMs =
        1000LL * limits::kForgeChecksPerAddressBurst / std::max(1, limits::kForgeChecksPerAddressPerSecond);
    for (auto it = m_buckets.begin(); it != m_buckets.end();) {
        if (now - it->atMs >= refillMs)
            it = m_buckets.erase(it);
        else
            ++it;
    }
}

} // namespace forgewire
