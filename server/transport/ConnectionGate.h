#pragma once

#include <QHash>
#include <QMutex>
#include <QString>

class QHostAddress;

namespace forgewire {

// Admission counts shared by the worker threads: connections per client address and connections
// still in the HTTP handshake. A worker asks enter() when it adopts a socket and answers a refusal
// itself (HTTP 503), exactly as for the node-wide connection cap.
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
        TooManyHandshakes
    };

    ConnectionGate(int maxPerAddress, int maxPendingHandshakes);

    // Counts the connection for its address and as a pending handshake, whatever the verdict: a
    // refused connection still holds a descriptor until its 503 is out. Each enter() is balanced by
    // one handshakeDone() (at the latest when the connection goes) and one leave().
    Verdict enter(const Address& address);
    void handshakeDone();
    void leave(const Address& address);

private:
    const int m_maxPerAddress;
    const int m_maxPending;
    QMutex m_mutex;
    QHash<Address, int> m_perAddress;
    int m_pending = 0;
};

inline size_t qHash(const ConnectionGate::Address& address, size_t seed = 0)
{
    return qHashMulti(seed, address.bits, address.ipv6);
}

} // namespace forgewire
