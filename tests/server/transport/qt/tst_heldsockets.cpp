// HeldSockets: a cut connection's socket outlives the close of the descriptor Qt owns, is closed
// with a FIN once the peer has read everything, reset once the grace ends with bytes unread, and
// no more than kMaxHeld are held. Real loopback TCP sockets.

#include "transport/qt/HeldSockets.h"

#include <QTest>

#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace forgewire;

namespace {

constexpr qint64 kGraceMs = 1000;

// A connected loopback pair: `server` (non-blocking, as the transports' sockets) and `client`.
struct Pair
{
    int server = -1;
    int client = -1;
    ~Pair()
    {
        if (server >= 0)
            ::close(server);
        if (client >= 0)
            ::close(client);
    }
};

bool connectPair(Pair& pair, int clientReceiveBuffer = 0)
{
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener, 1) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0)
        return false;
    pair.client = ::socket(AF_INET, SOCK_STREAM, 0);
    if (clientReceiveBuffer > 0)
        ::setsockopt(pair.client, SOL_SOCKET, SO_RCVBUF, &clientReceiveBuffer, sizeof clientReceiveBuffer);
    if (::connect(pair.client, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        return false;
    pair.server = ::accept(listener, nullptr, nullptr);
    ::close(listener);
    ::fcntl(pair.server, F_SETFL, ::fcntl(pair.server, F_GETFL) | O_NONBLOCK);
    return pair.server >= 0;
}

// Writes until the kernel takes no more (the peer is not reading); the bytes written.
qint64 fill(int descriptor)
{
    const QByteArray chunk(64 * 1024, 'x');
    qint64 total = 0;
    for (;;) {
        const ssize_t written = ::send(descriptor, chunk.constData(), size_t(chunk.size()), MSG_NOSIGNAL);
        if (written <= 0)
            return total;
        total += written;
    }
}

// What a read on the client ends in: 0 for the server's FIN, an errno for an error.
int readToEnd(int descriptor)
{
    char buffer[64 * 1024];
    for (;;) {
        const ssize_t got = ::recv(descriptor, buffer, sizeof buffer, 0);
        if (got == 0)
            return 0;
        if (got < 0)
            return errno;
    }
}

} // namespace

class TestHeldSockets : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void peerThatReadIsClosedWithAFin();
    void peerThatDidNotReadIsResetAfterTheGrace();
    void atMostMaxHeld();
};

void TestHeldSockets::initTestCase()
{
    // kMaxHeld descriptors more than the test's own: the soft limit may be lower than the hard one.
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
}

void TestHeldSockets::peerThatReadIsClosedWithAFin()
{
    Pair pair;
    QVERIFY(connectPair(pair));
    HeldSockets held(kGraceMs);
    QCOMPARE(::send(pair.server, "close frame", 11, MSG_NOSIGNAL), ssize_t(11));
    held.hold(pair.server, 0);
    ::close(std::exchange(pair.server, -1)); // Qt closes its descriptor; no FIN yet
    QCOMPARE(held.size(), 1);
    char buffer[16];
    QCOMPARE(::recv(pair.client, buffer, sizeof buffer, 0), ssize_t(11));
    // Read and acknowledged: the next sweep closes it, long before the grace ends.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            held.sweep(1);
            return held.size() == 0;
        }(),
        2000);
    QCOMPARE(readToEnd(pair.client), 0); // a FIN, not a reset
}

void TestHeldSockets::peerThatDidNotReadIsResetAfterTheGrace()
{
    Pair pair;
    QVERIFY(connectPair(pair, 4096));
    HeldSockets held(kGraceMs);
    QVERIFY(fill(pair.server) > 0);
    held.hold(pair.server, 0);
    ::close(std::exchange(pair.server, -1));
    held.sweep(kGraceMs - 1);
    QCOMPARE(held.size(), 1); // unread, but within the grace
    held.sweep(kGraceMs);
    QCOMPARE(held.size(), 0);
    QCOMPARE(readToEnd(pair.client), ECONNRESET);
}

void TestHeldSockets::atMostMaxHeld()
{
    Pair pair;
    QVERIFY(connectPair(pair));
    {
        HeldSockets held(kGraceMs);
        for (int i = 0; i < HeldSockets::kMaxHeld; ++i)
            held.hold(pair.server, 0);
        QCOMPARE(held.size(), HeldSockets::kMaxHeld);
        linger option{};
        socklen_t length = sizeof option;
        QCOMPARE(::getsockopt(pair.server, SOL_SOCKET, SO_LINGER, &option, &length), 0);
        QCOMPARE(option.l_onoff, 0);
        // One more is not held: it is set to reset when its owner closes it.
        held.hold(pair.server, 0);
        QCOMPARE(held.size(), HeldSockets::kMaxHeld);
        QCOMPARE(::getsockopt(pair.server, SOL_SOCKET, SO_LINGER, &option, &length), 0);
        QCOMPARE(option.l_onoff, 1);
        QCOMPARE(option.l_linger, 0);
    } // the held copies are closed with the set
    ::close(std::exchange(pair.server, -1));
    QCOMPARE(readToEnd(pair.client), ECONNRESET);
}

QTEST_GUILESS_MAIN(TestHeldSockets)
#include "tst_heldsockets.moc"
