#pragma once

#include "client/Clock.h"

#include <QHash>
#include <QString>

namespace forgewire {

// A token bucket per client address (IPv6: per /64, as a client usually gets a whole one), holding
// limits::kForgeChecksPerAddressBurst and refilled at limits::kForgeChecksPerAddressPerSecond: how
// often one client may make the bridge ask the forge (token and cookie checks). Main thread only.
class AddressRateLimit
{
public:
    // Past `maxTracked` addresses, a new one is not limited (the bridge's global bounds still hold),
    // so an attacker with many addresses cannot make this grow without bound.
    AddressRateLimit(const Clock& clock, int maxTracked);

    // Takes one token of the address's bucket; false when it is empty.
    bool take(const QString& peerAddress);
    // Drops buckets that have refilled (a full bucket is the same as none).
    void prune();

private:
    struct Bucket
    {
        double tokens = 0;
        qint64 atMs = 0;
    };

    const Clock& m_clock;
    int m_maxTracked;
    QHash<QString, Bucket> m_buckets;
};

} // namespace forgewire
