// The floor under forgewire's fan-out on this machine: the same broadcast shape as forgewire-server and
// forgewire-bench over loopback, done with nothing but raw sockets (no WebSocket framing or parsing, no
// Qt, no JSON, no broker).
//
// Why it exists: profiles of forgewire-server in tests/bench/run-bench.sh show about 80% of a worker's
// CPU inside the kernel's sendmsg (tcp_sendmsg, and about 35% the receiver's TCP softirq, which loopback
// runs in the sender's context), one sendmsg per connection per publication. Whether targets such as
// "broadcast: <= 1.5 us server CPU per delivery" or "2,000 subscribers x 20 broadcasts/s: p50 <= 2 ms,
// p99 <= 5 ms" are reachable is first a question of what the kernel itself costs here; this tool
// measures that, so forgewire's figures can be read as "floor + overhead".
//
// Shape (all on 127.0.0.1, TCP_NODELAY on both ends, as the server and the bench client set it):
//  - "server": --writers threads (forgewire runs one worker per core), each owning an equal share of
//    the accepted descriptors and woken through its own eventfd when the main thread publishes;
//  - "client": ONE reader thread with one level-triggered epoll set over all client descriptors (as
//    forgewire-bench), reading everything available and taking each frame's latency from the send
//    timestamp carried in it;
//  - frames of --frame-bytes (default 120, about a forgewire board event frame): CLOCK_MONOTONIC
//    nanoseconds at publication, then the publication's sequence number (checked by the reader, so a
//    lost or reordered frame is noticed), then padding.
//
// Modes:
//  --mode latency   --rate publications per second for --duration-ms; each publication is one send()
//                   of one frame to every descriptor. Reports p50/p99/max latency over all deliveries
//                   (the first --warmup publications excluded) and the writers' CPU per delivery.
//  --mode saturate  publishes as fast as the reader keeps up, with at most --window publications per
//                   connection in flight (as forgewire-bench's window), for --duration-ms. Reports
//                   deliveries per second and the writers' CPU per delivery. Without --coalesce each
//                   pending frame is its own send(); with --coalesce a writer hands all frames pending
//                   for one descriptor to one sendmsg() with an iovec, as forgewire's Outbox does, and
//                   frames_per_send shows how much that batching took effect.
//
// CPU figures are thread CPU time (CLOCK_THREAD_CPUTIME_ID) of the writers, of the reader, and the
// whole process (getrusage), divided by deliveries. A kernel built with IRQ time accounting charges
// softirq time to no thread, so there the writers' figure can miss part of the loopback receive path;
// the process figure has the same blind spot.
//
//   forgewire-bench-floor [--mode latency|saturate] [--connections 2000] [--writers 2]
//                         [--frame-bytes 120] [--rate 20] [--duration-ms 5000] [--window 4]
//                         [--warmup 2] [--coalesce]
//
// Prints a short header and one line
//   RESULT mode=... connections=... writers=... p50_us=... p99_us=... max_us=... deliveries_per_s=...
//          cpu_us_per_delivery=... frames_per_send=... ...
// and exits 1 if a delivery was lost, reordered or a connection failed, 2 on bad options or setup errors.

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

// Send timestamp (ns) + publication sequence number.
constexpr size_t kHeaderBytes = 16;
// Same batch bound as forgewire's Outbox::kMaxFramesPerSend (below IOV_MAX).
constexpr int kMaxFramesPerSend = 256;
constexpr size_t kReadBufferBytes = 256 * 1024;
constexpr int kMaxEvents = 1024;
// Latency histogram: 1 us buckets; anything slower lands in the last one (the max stays exact).
constexpr size_t kHistogramBuckets = 1'000'000;
// Latency mode: publications per connection that may be in flight before the publisher waits (far
// beyond anything the rate allows; it bounds the frame ring).
constexpr int kLatencyMaxInFlight = 16;
constexpr int kDrainTimeoutMs = 10'000;
constexpr size_t kMaxRingBytes = size_t(256) << 20;
constexpr uint64_t kWakeKey = UINT64_MAX;

enum class Mode
{
    Latency,
    Saturate
};

struct Options
{
    Mode mode = Mode::Latency;
    int connections = 2000;
    int writers = 2;
    int frameBytes = 120;
    int rate = 20;
    int durationMs = 5000;
    int window = 4;
    int warmup = 2;
    bool coalesce = false;
};

uint64_t clockNs(clockid_t clock)
{
    timespec ts{};
    clock_gettime(clock, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

uint64_t nowNs()
{
    return clockNs(CLOCK_MONOTONIC);
}

uint64_t processCpuNs()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto ns = [](const timeval& tv) {
        return uint64_t(tv.tv_sec) * 1'000'000'000u + uint64_t(tv.tv_usec) * 1000u;
    };
    return ns(usage.ru_utime) + ns(usage.ru_stime);
}

[[noreturn]] void die(const char* what)
{
    std::fprintf(stderr, "forgewire-bench-floor: %s: %s\n", what, std::strerror(errno));
    std::exit(2);
}

[[noreturn]] void usageError(const std::string& message)
{
    std::fprintf(stderr, "forgewire-bench-floor: %s (see --help)\n", message.c_str());
    std::exit(2);
}

void printHelp()
{
    std::printf(
        "Usage: forgewire-bench-floor [options]\n"
        "Raw-socket loopback fan-out: the kernel's floor under forgewire-server's broadcast.\n\n"
        "  --mode latency|saturate  latency: fixed publication rate; saturate: as fast as the\n"
        "                           window allows (default latency)\n"
        "  --connections N          loopback TCP connections (default 2000)\n"
        "  --writers N              sending threads, each owning N/writers connections (default 2)\n"
        "  --frame-bytes N          bytes per frame, >= 16 (default 120)\n"
        "  --rate N                 latency mode: publications per second (default 20)\n"
        "  --duration-ms N          how long to publish (default 5000)\n"
        "  --window N               saturate mode: publications in flight per connection (default 4)\n"
        "  --warmup N               first publications left out of the latency figures (default 2)\n"
        "  --coalesce               one sendmsg() per descriptor for all its pending frames\n"
        "                           (forgewire's Outbox) instead of one send() per frame\n");
}

int parseInt(const std::string& name, const std::string& value, int low, int high)
{
    char* end = nullptr;
    errno = 0;
    const long parsed = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || errno != 0 || parsed < low || parsed > high)
        usageError(name + " must be an integer in [" + std::to_string(low) + ", " + std::to_string(high) +
                   "], got '" + value + "'");
    return int(parsed);
}

Options parseOptions(int argc, char** argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string name = argv[i];
        std::string value;
        bool hasValue = false;
        if (const size_t eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
            hasValue = true;
        }
        if (name == "--help" || name == "-h") {
            printHelp();
            std::exit(0);
        }
        if (name == "--coalesce") {
            if (hasValue)
                usageError("--coalesce takes no value");
            options.coalesce = true;
            continue;
        }
        if (!hasValue) {
            if (i + 1 >= argc)
                usageError("missing value for " + name);
            value = argv[++i];
        }
        if (name == "--mode") {
            if (value == "latency")
                options.mode = Mode::Latency;
            else if (value == "saturate")
                options.mode = Mode::Saturate;
            else
                usageError("--mode must be latency or saturate, got '" + value + "'");
        } else if (name == "--connections") {
            options.connections = parseInt(name, value, 1, 100'000);
        } else if (name == "--writers") {
            options.writers = parseInt(name, value, 1, 64);
        } else if (name == "--frame-bytes") {
            options.frameBytes = parseInt(name, value, int(kHeaderBytes), 65'536);
        } else if (name == "--rate") {
            options.rate = parseInt(name, value, 1, 100'000);
        } else if (name == "--duration-ms") {
            options.durationMs = parseInt(name, value, 100, 600'000);
        } else if (name == "--window") {
            options.window = parseInt(name, value, 1, 1024);
        } else if (name == "--warmup") {
            options.warmup = parseInt(name, value, 0, 1'000'000);
        } else {
            usageError("unknown option " + name);
        }
    }
    if (options.writers > options.connections)
        usageError("--writers must not exceed --connections");
    return options;
}

void raiseFileLimit(int needed)
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        die("getrlimit");
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
        die("setrlimit");
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < rlim_t(needed)) {
        std::fprintf(stderr, "forgewire-bench-floor: %d descriptors needed, the hard limit is %llu\n", needed,
                     static_cast<unsigned long long>(limit.rlim_max));
        std::exit(2);
    }
}

void setNoDelay(int fd)
{
    const int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        die("setsockopt(TCP_NODELAY)");
}

void setNonBlocking(int fd)
{
    const int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
        die("fcntl(O_NONBLOCK)");
}

// Connects `count` loopback pairs one at a time (a loopback connect completes in the listener's
// backlog, so connect-then-accept never waits on the network).
void openPairs(int count, std::vector<int>& serverFds, std::vector<int>& clientFds)
{
    const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0)
        die("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        die("bind");
    if (listen(listener, 128) != 0)
        die("listen");
    socklen_t length = sizeof address;
    if (getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0)
        die("getsockname");
    for (int i = 0; i < count; ++i) {
        const int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (client < 0)
            die("socket");
        if (connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
            die("connect");
        const int server = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (server < 0)
            die("accept4");
        setNonBlocking(client);
        setNoDelay(client);
        setNoDelay(server);
        clientFds.push_back(client);
        serverFds.push_back(server);
    }
    close(listener);
}

// State shared by the publisher (main thread), the writers and the reader.
struct Shared
{
    Options options;
    size_t frameBytes = 0;
    uint64_t ringMask = 0;
    // Frame of publication s at slot s & ringMask. The publisher only reuses a slot once no connection
    // can still be sending the publication that had it (see publish()).
    std::vector<char> ring;
    std::atomic<uint64_t> published{0};
    std::atomic<uint64_t> delivered{0};
    std::atomic<uint64_t> lastDeliveryNs{0};
    std::atomic<bool> stop{false};
    // The publisher sleeps on progressFd (an eventfd) while waiting for deliveries; the reader writes it
    // only when this flag says someone is waiting, so the steady state costs no extra syscall.
    std::atomic<bool> publisherWaiting{false};
    int progressFd = -1;

    const char* frame(uint64_t seq) const { return ring.data() + (seq & ringMask) * frameBytes; }
    char* frame(uint64_t seq) { return ring.data() + (seq & ringMask) * frameBytes; }
};

// A thread that waits on its own epoll set, with an eventfd registered under kWakeKey to wake it.
class EpollThread
{
public:
    EpollThread()
    {
        m_epoll = epoll_create1(EPOLL_CLOEXEC);
        m_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (m_epoll < 0 || m_wake < 0)
            die("epoll_create1/eventfd");
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u64 = kWakeKey;
        if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wake, &event) != 0)
            die("epoll_ctl");
    }
    ~EpollThread()
    {
        close(m_epoll);
        close(m_wake);
    }
    EpollThread(const EpollThread&) = delete;
    EpollThread& operator=(const EpollThread&) = delete;

    void wake()
    {
        const uint64_t one = 1;
        if (write(m_wake, &one, sizeof one) < 0 && errno != EAGAIN)
            die("write(eventfd)");
    }
    void join() { m_thread.join(); }

protected:
    int m_epoll = -1;
    int m_wake = -1;
    std::thread m_thread;
};

class Writer : public EpollThread
{
public:
    Writer(Shared& shared, std::vector<int> fds) : m_shared(shared)
    {
        m_peers.reserve(fds.size());
        for (int fd : fds)
            m_peers.push_back(Peer{fd});
    }
    void start()
    {
        m_thread = std::thread([this] { run(); });
    }

    uint64_t cpuNs = 0;
    uint64_t sends = 0;  // send()/sendmsg() calls that took bytes
    uint64_t frames = 0; // frames completely handed to the kernel
    uint64_t blocked = 0;
    uint64_t failed = 0;

private:
    struct Peer
    {
        int fd;
        uint64_t next = 0; // first publication not completely sent
        size_t offset = 0; // bytes of `next` already sent
        bool blocked = false;
        bool registered = false;
        bool dead = false;
    };

    Shared& m_shared;
    std::vector<Peer> m_peers;

    void run()
    {
        const uint64_t cpuStart = clockNs(CLOCK_THREAD_CPUTIME_ID);
        epoll_event events[kMaxEvents];
        for (;;) {
            const int count = epoll_wait(m_epoll, events, kMaxEvents, -1);
            if (count < 0) {
                if (errno == EINTR)
                    continue;
                die("epoll_wait");
            }
            for (int i = 0; i < count; ++i) {
                if (events[i].data.u64 == kWakeKey) {
                    uint64_t value;
                    [[maybe_unused]] const ssize_t got = read(m_wake, &value, sizeof value);
                } else {
                    // EPOLLONESHOT: the registration is disarmed until the next block().
                    m_peers[events[i].data.u64].blocked = false;
                }
            }
            if (m_shared.stop.load(std::memory_order_acquire))
                break;
            const uint64_t target = m_shared.published.load(std::memory_order_acquire);
            for (size_t i = 0; i < m_peers.size(); ++i) {
                Peer& peer = m_peers[i];
                if (!peer.blocked && !peer.dead && peer.next < target)
                    flush(peer, i, target);
            }
        }
        cpuNs = clockNs(CLOCK_THREAD_CPUTIME_ID) - cpuStart;
    }

    void flush(Peer& peer, size_t index, uint64_t target)
    {
        const size_t frameBytes = m_shared.frameBytes;
        while (peer.next < target) {
            ssize_t sent;
            size_t wanted;
            if (m_shared.options.coalesce) {
                iovec iov[kMaxFramesPerSend];
                int count = 0;
                wanted = 0;
                for (uint64_t s = peer.next; s < target && count < kMaxFramesPerSend; ++s, ++count) {
                    const size_t skip = s == peer.next ? peer.offset : 0;
                    iov[count].iov_base = const_cast<char*>(m_shared.frame(s) + skip);
                    iov[count].iov_len = frameBytes - skip;
                    wanted += iov[count].iov_len;
                }
                msghdr message{};
                message.msg_iov = iov;
                message.msg_iovlen = size_t(count);
                sent = sendmsg(peer.fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
            } else {
                wanted = frameBytes - peer.offset;
                sent = send(peer.fd, m_shared.frame(peer.next) + peer.offset, wanted,
                            MSG_NOSIGNAL | MSG_DONTWAIT);
            }
            if (sent < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    block(peer, index);
                    return;
                }
                // The loss shows in the delivery count; the connection is not written again.
                ++failed;
                peer.dead = true;
                return;
            }
            ++sends;
            for (size_t left = size_t(sent); left > 0;) {
                const size_t rest = frameBytes - peer.offset;
                if (left < rest) {
                    peer.offset += left;
                    break;
                }
                left -= rest;
                peer.offset = 0;
                ++peer.next;
                ++frames;
            }
            if (size_t(sent) < wanted) {
                block(peer, index);
                return;
            }
        }
    }

    void block(Peer& peer, size_t index)
    {
        ++blocked;
        peer.blocked = true;
        epoll_event event{};
        event.events = EPOLLOUT | EPOLLONESHOT;
        event.data.u64 = index;
        if (epoll_ctl(m_epoll, peer.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, peer.fd, &event) != 0)
            die("epoll_ctl(EPOLLOUT)");
        peer.registered = true;
    }
};

class Reader : public EpollThread
{
public:
    Reader(Shared& shared, const std::vector<int>& fds)
        : m_shared(shared), m_buffer(kReadBufferBytes), m_histogram(kHistogramBuckets, 0)
    {
        epoll_event event{};
        m_conns.reserve(fds.size());
        for (size_t i = 0; i < fds.size(); ++i) {
            m_conns.push_back(Conn{fds[i]});
            event.events = EPOLLIN; // level-triggered, as forgewire-bench
            event.data.u64 = i;
            if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, fds[i], &event) != 0)
                die("epoll_ctl");
        }
    }
    void start()
    {
        m_thread = std::thread([this] { run(); });
    }
    void stopAndJoin()
    {
        wake();
        join();
    }

    uint64_t percentileUs(double fraction) const
    {
        if (m_recorded == 0)
            return 0;
        const uint64_t rank = std::max<uint64_t>(1, uint64_t(fraction * double(m_recorded) + 0.5));
        uint64_t seen = 0;
        for (size_t us = 0; us < m_histogram.size(); ++us) {
            seen += m_histogram[us];
            if (seen >= rank)
                return us;
        }
        return m_maxUs;
    }

    uint64_t cpuNs = 0;
    uint64_t outOfOrder = 0;
    uint64_t closed = 0;
    uint64_t recorded() const { return m_recorded; }
    uint64_t maxUs() const { return m_maxUs; }

private:
    struct Conn
    {
        int fd;
        uint64_t expected = 0;
        size_t offset = 0; // bytes of the current frame received
        unsigned char header[kHeaderBytes] = {};
    };

    Shared& m_shared;
    std::vector<Conn> m_conns;
    std::vector<char> m_buffer;
    std::vector<uint32_t> m_histogram;
    uint64_t m_recorded = 0;
    uint64_t m_maxUs = 0;

    void run()
    {
        const uint64_t cpuStart = clockNs(CLOCK_THREAD_CPUTIME_ID);
        epoll_event events[kMaxEvents];
        while (!m_shared.stop.load(std::memory_order_acquire)) {
            const int count = epoll_wait(m_epoll, events, kMaxEvents, -1);
            if (count < 0) {
                if (errno == EINTR)
                    continue;
                die("epoll_wait");
            }
            uint64_t batch = 0;
            uint64_t now = 0;
            for (int i = 0; i < count; ++i) {
                if (events[i].data.u64 == kWakeKey)
                    continue;
                Conn& conn = m_conns[events[i].data.u64];
                for (;;) {
                    const ssize_t got = recv(conn.fd, m_buffer.data(), m_buffer.size(), 0);
                    if (got > 0) {
                        now = nowNs();
                        batch += parse(conn, m_buffer.data(), size_t(got), now);
                        if (size_t(got) < m_buffer.size())
                            break;
                        continue;
                    }
                    if (got < 0 && errno == EINTR)
                        continue;
                    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        break;
                    ++closed;
                    epoll_ctl(m_epoll, EPOLL_CTL_DEL, conn.fd, nullptr);
                    break;
                }
            }
            if (batch > 0) {
                m_shared.lastDeliveryNs.store(now, std::memory_order_relaxed);
                m_shared.delivered.fetch_add(batch, std::memory_order_seq_cst);
                if (m_shared.publisherWaiting.load(std::memory_order_seq_cst) &&
                    m_shared.publisherWaiting.exchange(false, std::memory_order_seq_cst)) {
                    const uint64_t one = 1;
                    if (write(m_shared.progressFd, &one, sizeof one) < 0 && errno != EAGAIN)
                        die("write(eventfd)");
                }
            }
        }
        cpuNs = clockNs(CLOCK_THREAD_CPUTIME_ID) - cpuStart;
    }

    // Returns the frames completed by these bytes.
    uint64_t parse(Conn& conn, const char* data, size_t size, uint64_t now)
    {
        const size_t frameBytes = m_shared.frameBytes;
        const uint64_t warmup = uint64_t(m_shared.options.warmup);
        uint64_t done = 0;
        const char* end = data + size;
        while (data < end) {
            const size_t take = std::min(frameBytes - conn.offset, size_t(end - data));
            if (conn.offset < kHeaderBytes)
                std::memcpy(conn.header + conn.offset, data, std::min(kHeaderBytes - conn.offset, take));
            conn.offset += take;
            data += take;
            if (conn.offset < frameBytes)
                break;
            conn.offset = 0;
            uint64_t sentNs;
            uint64_t seq;
            std::memcpy(&sentNs, conn.header, sizeof sentNs);
            std::memcpy(&seq, conn.header + sizeof sentNs, sizeof seq);
            if (seq != conn.expected)
                ++outOfOrder;
            conn.expected = seq + 1;
            ++done;
            if (seq < warmup)
                continue;
            const uint64_t us = now > sentNs ? (now - sentNs) / 1000 : 0;
            m_maxUs = std::max(m_maxUs, us);
            ++m_histogram[std::min<uint64_t>(us, kHistogramBuckets - 1)];
            ++m_recorded;
        }
        return done;
    }
};

// Waits until `ready()` or `deadlineNs`; returns ready().
template<typename Ready>
bool waitForProgress(Shared& shared, Ready ready, uint64_t deadlineNs)
{
    for (;;) {
        if (ready())
            return true;
        shared.publisherWaiting.store(true, std::memory_order_seq_cst);
        if (ready()) {
            shared.publisherWaiting.store(false, std::memory_order_seq_cst);
            return true;
        }
        const uint64_t now = nowNs();
        if (now >= deadlineNs) {
            shared.publisherWaiting.store(false, std::memory_order_seq_cst);
            return ready();
        }
        pollfd pfd{shared.progressFd, POLLIN, 0};
        const int timeoutMs = int(std::min<uint64_t>((deadlineNs - now) / 1'000'000 + 1, 1000));
        if (poll(&pfd, 1, timeoutMs) > 0) {
            uint64_t value;
            [[maybe_unused]] const ssize_t got = read(shared.progressFd, &value, sizeof value);
        }
    }
}

} // namespace

int main(int argc, char** argv)
{
    const Options options = parseOptions(argc, argv);
    const uint64_t n = uint64_t(options.connections);
    raiseFileLimit(2 * options.connections + 2 * options.writers + 64);

    Shared shared;
    shared.options = options;
    shared.frameBytes = size_t(options.frameBytes);
    // A connection lags the publisher by at most (publications in flight) * connections: the publisher
    // keeps published * n - delivered below that, and every publication a connection still lacks is
    // one missing delivery. A ring that large never hands out a slot still being sent.
    const uint64_t maxInFlight =
        uint64_t(options.mode == Mode::Saturate ? options.window : kLatencyMaxInFlight);
    uint64_t slots = 1;
    while (slots < maxInFlight * n)
        slots <<= 1;
    if (slots * shared.frameBytes > kMaxRingBytes)
        usageError("frame ring too large: lower --window, --frame-bytes or --connections");
    shared.ringMask = slots - 1;
    shared.ring.assign(slots * shared.frameBytes, 'x');
    shared.progressFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (shared.progressFd < 0)
        die("eventfd");

    std::vector<int> serverFds;
    std::vector<int> clientFds;
    serverFds.reserve(n);
    clientFds.reserve(n);
    const uint64_t setupStart = nowNs();
    openPairs(options.connections, serverFds, clientFds);
    const double setupMs = double(nowNs() - setupStart) / 1e6;

    std::vector<std::unique_ptr<Writer>> writers;
    for (int w = 0; w < options.writers; ++w) {
        const size_t begin = n * size_t(w) / size_t(options.writers);
        const size_t end = n * size_t(w + 1) / size_t(options.writers);
        writers.push_back(std::make_unique<Writer>(
            shared, std::vector<int>(serverFds.begin() + long(begin), serverFds.begin() + long(end))));
    }
    Reader reader(shared, clientFds);

    const bool saturate = options.mode == Mode::Saturate;
    std::printf("forgewire-bench-floor: raw-socket loopback fan-out, mode=%s connections=%d writers=%d "
                "frame_bytes=%d %s\n",
                saturate ? "saturate" : "latency", options.connections, options.writers, options.frameBytes,
                options.coalesce ? "coalesced sendmsg per descriptor" : "one send() per frame");
    if (saturate)
        std::printf("  window=%d publications per connection, duration=%d ms\n", options.window,
                    options.durationMs);
    else
        std::printf("  rate=%d publications/s, duration=%d ms, warmup=%d publications\n", options.rate,
                    options.durationMs, options.warmup);
    std::printf("  %d connections opened in %.0f ms\n", options.connections, setupMs);
    std::fflush(stdout);

    reader.start();
    for (auto& writer : writers)
        writer->start();

    uint64_t stalls = 0;
    const auto inFlightBelow = [&](uint64_t limit) {
        return shared.published.load(std::memory_order_relaxed) * n -
                   shared.delivered.load(std::memory_order_seq_cst) <
               limit * n;
    };
    const auto publish = [&](uint64_t seq) {
        char* frame = shared.frame(seq);
        const uint64_t sentNs = nowNs();
        std::memcpy(frame, &sentNs, sizeof sentNs);
        std::memcpy(frame + sizeof sentNs, &seq, sizeof seq);
        shared.published.store(seq + 1, std::memory_order_release);
        for (auto& writer : writers)
            writer->wake();
    };

    const uint64_t cpuStart = processCpuNs();
    const uint64_t start = nowNs();
    const uint64_t end = start + uint64_t(options.durationMs) * 1'000'000u;
    bool behind = false;
    if (saturate) {
        for (uint64_t seq = 0;; ++seq) {
            if (!waitForProgress(
                    shared, [&] { return inFlightBelow(maxInFlight); }, end))
                break;
            if (nowNs() >= end)
                break;
            publish(seq);
        }
    } else {
        const uint64_t publications =
            std::max<uint64_t>(1, uint64_t(options.rate) * uint64_t(options.durationMs) / 1000);
        const uint64_t intervalNs = 1'000'000'000u / uint64_t(options.rate);
        for (uint64_t seq = 0; seq < publications; ++seq) {
            const uint64_t due = start + seq * intervalNs;
            const timespec until{time_t(due / 1'000'000'000u), long(due % 1'000'000'000u)};
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) == EINTR) {
            }
            if (!inFlightBelow(maxInFlight)) {
                ++stalls;
                if (!waitForProgress(
                        shared, [&] { return inFlightBelow(maxInFlight); },
                        nowNs() + uint64_t(kDrainTimeoutMs) * 1'000'000u)) {
                    behind = true;
                    break;
                }
            }
            publish(seq);
        }
    }
    const uint64_t published = shared.published.load();
    const uint64_t expected = published * n;
    waitForProgress(
        shared, [&] { return shared.delivered.load(std::memory_order_seq_cst) >= expected; },
        nowNs() + uint64_t(kDrainTimeoutMs) * 1'000'000u);
    const uint64_t processCpu = processCpuNs() - cpuStart;
    const uint64_t delivered = shared.delivered.load();
    const uint64_t lastDelivery = shared.lastDeliveryNs.load();

    shared.stop.store(true, std::memory_order_release);
    for (auto& writer : writers) {
        writer->wake();
        writer->join();
    }
    reader.stopAndJoin();

    uint64_t writerCpu = 0;
    uint64_t sends = 0;
    uint64_t frames = 0;
    uint64_t blocked = 0;
    uint64_t failed = 0;
    for (const auto& writer : writers) {
        writerCpu += writer->cpuNs;
        sends += writer->sends;
        frames += writer->frames;
        blocked += writer->blocked;
        failed += writer->failed;
    }
    const uint64_t lost = expected > delivered ? expected - delivered : 0;
    const double perDelivery = delivered ? 1.0 / (double(delivered) * 1000.0) : 0.0; // ns -> us per delivery
    const double framesPerSend = sends ? double(frames) / double(sends) : 0.0;

    std::printf("RESULT mode=%s connections=%d writers=%d frame_bytes=%d coalesce=%d publications=%llu "
                "deliveries=%llu",
                saturate ? "saturate" : "latency", options.connections, options.writers, options.frameBytes,
                options.coalesce ? 1 : 0, static_cast<unsigned long long>(published),
                static_cast<unsigned long long>(delivered));
    std::printf(" p50_us=%llu p99_us=%llu max_us=%llu",
                static_cast<unsigned long long>(reader.percentileUs(0.50)),
                static_cast<unsigned long long>(reader.percentileUs(0.99)),
                static_cast<unsigned long long>(reader.maxUs()));
    if (saturate) {
        const double seconds = lastDelivery > start ? double(lastDelivery - start) / 1e9 : 0.0;
        std::printf(" window=%d deliveries_per_s=%.0f", options.window,
                    seconds > 0 ? double(delivered) / seconds : 0.0);
    } else {
        std::printf(" rate=%d publisher_stalls=%llu", options.rate, static_cast<unsigned long long>(stalls));
    }
    std::printf(
        " cpu_us_per_delivery=%.3f reader_cpu_us_per_delivery=%.3f process_cpu_us_per_delivery=%.3f "
        "frames_per_send=%.2f blocked_sends=%llu lost=%llu reordered=%llu closed=%llu failed_sends=%llu\n",
        double(writerCpu) * perDelivery, double(reader.cpuNs) * perDelivery, double(processCpu) * perDelivery,
        framesPerSend, static_cast<unsigned long long>(blocked), static_cast<unsigned long long>(lost),
        static_cast<unsigned long long>(reader.outOfOrder), static_cast<unsigned long long>(reader.closed),
        static_cast<unsigned long long>(failed));

    for (int fd : clientFds)
        close(fd);
    for (int fd : serverFds)
        close(fd);
    close(shared.progressFd);

    if (behind)
        std::fprintf(stderr,
                     "forgewire-bench-floor: publisher fell %d publications behind; the rate is above "
                     "what this machine delivers (try --mode saturate)\n",
                     kLatencyMaxInFlight);
    if (lost || reader.outOfOrder || reader.closed || failed || behind) {
        std::fprintf(
            stderr, "forgewire-bench-floor: FAILED: %llu deliveries lost, %llu reordered, %llu closed\n",
            static_cast<unsigned long long>(lost), static_cast<unsigned long long>(reader.outOfOrder),
            static_cast<unsigned long long>(reader.closed));
        return 1;
    }
    return 0;
}
