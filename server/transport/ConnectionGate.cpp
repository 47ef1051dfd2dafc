#include "transport/ConnectionGate.h"

#include <QHostAddress>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#endif

namespace forgewire {

ConnectionGate::ConnectionGate(int maxPerAddress, int maxPendingHandshakes)
    : m_maxPerAddress(maxPerAddress), m_maxPending(maxPendingHandshakes)
{}

#ifdef Q_OS_UNIX
ConnectionGate::Address ConnectionGate::addressOf(int fd)
{
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0)
        return {}; // already gone: every such descriptor shares one harmless key
    return addressOf(QHostAddress(reinterpret_cast<const sockaddr*>(&storage)));
}
#endif

ConnectionGate::Address ConnectionGate::addressOf(const QHostAddress& peer)
{
    Address address;
    if (peer.isNull())
        return address;
    bool isIpv4 = false;
    const quint32 ipv4 = peer.toIPv4Address(&isIpv4); // also unwraps ::ffff:a.b.c.d
    if (isIpv4) {
        address.bits = ipv4;
        return address;
    }
    const Q_IPV6ADDR ipv6 = peer.toIPv6Address();
    for (int i = 0; i < 8; ++i)
        address.bits = (address.bits << 8) | ipv6[i];
    address.ipv6 = true;
    return address;
}

QString ConnectionGate::toString(const Address& address)
{
    if (!address.ipv6)
        return QHostAddress(quint32(address.bits)).toString();
    Q_IPV6ADDR ipv6{};
    for (int i = 0; i < 8; ++i)
        ipv6[i] = quint8(address.bits >> (56 - 8 * i));
    return QHostAddress(ipv6).toString() + QStringLiteral("/64");
}

bool ConnectionGate::reserveHandshake()
{
    QMutexLocker lock(&m_mutex);
    if (m_pending >= m_maxPending)
        return false;
    ++m_pending;
    return true;
}

void ConnectionGate::setRoomCallback(std::function<void()> callback)
{
    QMutexLocker lock(&m_mutex);
    m_onRoom = std::move(callback);
}

int ConnectionGate::pendingHandshakes() const
{
    QMutexLocker lock(&m_mutex);
    return m_pending;
}

ConnectionGate::Verdict ConnectionGate::enter(const Address& address)
{
    QMutexLocker lock(&m_mutex);
    const int fromAddress = ++m_perAddress[address];
    if (fromAddress > m_maxPerAddress)
        return Verdict::TooManyFromAddress;
    return Verdict::Admit;
}

void ConnectionGate::handshakeDone()
{
    std::function<void()> onRoom;
    {
        QMutexLocker lock(&m_mutex);
        if (m_pending-- == m_maxPending)
            onRoom = m_onRoom;
    }
    // Outside the lock: the callback may ask reserveHandshake() (it posts to the listener's thread).
    if (onRoom)
        onRoom();
}

void ConnectionGate::leave(const Address& address)
{
    QMutexLocker lock(&m_mutex);
    auto it = m_perAddress.find(address);
    if (it == m_perAddress.end())
        return;
    if (--*it <= 0)
        m_perAddress.erase(it);
}

} // namespace forgewire
