#pragma once

#include <QHash>
#include <QMutex>
#include <QString>

#include <functional>

class QHostAddress;

namespace forgewire {

// Admission counts shared by the listener and the worker threads: connections per client address and
// connections still in the HTTP handshake. The listener reserves a handshake slot for each socket it
// accepts and, at the cap, holds further sockets until a slot comes back (a reconnect storm waits
// instead of being refused; past max_held_connections held it stops accepting). A worker asks
// enter() when it adopts a socket and answers a per-address refusal itself (HTTP 503), as for the
// node-wide connection cap.
class ConnectionGate
{
public:
    // One client host: an IPv4 address (IPv4-mapped IPv6 included), or the /64 prefix of an IPv6
    // address, since one host is normally given a whole /64 and could otherwise dodge the cap.
    // Loopback gets no exemption: a local proxy that needs more sets max_connections_per_address.
    struct Address
    {
        quint64 bits = 0;
        bool ipv6 = false;
        friend bool operator==(const Address& a, const Address& b)
        {
            return a.bits == b.bits && a.ipv6 == b.ipv6;
        }
    };
    static Address addressOf(const QHostAddress& peer);
#ifdef Q_OS_UNIX
    static Address addressOf(int fd);
#endif
    static QString toString(const Address& address);

    enum class Verdict
    {
        Admit,
        TooManyFromAddress,
    };

    ConnectionGate(int maxPerAddress, int maxPendingHandshakes);

    // A handshake slot for an accepted socket, taken by the listener before it hands the socket to a
    // worker (a burst is accepted in one go, before any worker has run, so the workers' own count
    // would come too late); false at max_pending_handshakes. Each slot is given back by one
    // handshakeDone().
    bool reserveHandshake();
    // Called (on the thread that gives a slot back) when a slot is free again after the cap was
    // reached.
    void setRoomCallback(std::function<void()> callback);
    int pendingHandshakes() const;

    // Counts the connection for its address, whatever the verdict: a refused connection still holds
    // a descriptor until its 503 is out. Each enter() is balanced by one leave().
    Verdict enter(const Address& address);
    void handshakeDone();
    void leave(const Address& address);

private:
    const int m_maxPerAddress;
    const int m_maxPending;
    mutable QMutex m_mutex;
    QHash<Address, int> m_perAddress;
    int m_pending = 0;
    std::function<void()> m_onRoom;
};

inline size_t qHash(const ConnectionGate::Address& address, size_t seed = 0)
{
    return qHashMulti(seed, address.bits, address.ipv6);
}

} // namespace forgewire
