#include "LoadGenerator.h"

#include "protocol/Jwt.h"

#include <QDateTime>
#include <QString>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <queue>
#include <random>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace forgewire {

namespace {

constexpr uint64_t kPublisherKey = UINT64_MAX;
constexpr size_t kReadBufferBytes = 256 * 1024;
constexpr int kMaxEvents = 1024;
// Broadcast latency phase: one publication at a time, far below saturation.
constexpr int kLatencyPublications = 40;
constexpr int kLatencyIntervalMs = 50;
// Time for the server to index subscriptions made right after `hello` (user topics).
constexpr int kSettleMs = 500;
constexpr int kIdleSettleMs = 2000;
constexpr int kDrainTimeoutMs = 10'000;
constexpr int kOpenTimeoutMs = 120'000;
constexpr int kTokenLifetimeSeconds = 3600;
constexpr uint8_t kMaskKey[4] = {0x12, 0x34, 0x56, 0x78};
// restart: PROTOCOL.md's client backoff, and how long the script may take to restart the server.
constexpr int kBackoffFirstMs = 50;
constexpr int kBackoffMaxMs = 10'000;
constexpr int kRestartWaitMs = 120'000;

int64_t parseNumberAfter(const char* data, size_t size, const char* key)
{
    const size_t keyLength = std::strlen(key);
    const void* hit = memmem(data, size, key, keyLength);
    if (!hit)
        return -1;
    const char* p = static_cast<const char*>(hit) + keyLength;
    const char* end = data + size;
    while (p < end && *p == ' ')
        ++p;
    int64_t value = 0;
    bool any = false;
    while (p < end && *p >= '0' && *p <= '9') {
        value = value * 10 + (*p - '0');
        ++p;
        any = true;
    }
    return any ? value : -1;
}

bool contains(const char* data, size_t size, const char* needle)
{
    return memmem(data, size, needle, std::strlen(needle)) != nullptr;
}

} // namespace

LoadGenerator::LoadGenerator(BenchOptions options)
    : m_options(std::move(options)), m_readBuffer(kReadBufferBytes)
{
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    m_startNs = nowNs();
}

LoadGenerator::~LoadGenerator()
{
    for (Client& client : m_clients) {
        if (client.fd >= 0)
            ::close(client.fd);
    }
    if (m_publisher.fd >= 0)
        ::close(m_publisher.fd);
    if (m_epoll >= 0)
        ::close(m_epoll);
}

int64_t LoadGenerator::nowNs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

uint32_t LoadGenerator::percentile(std::vector<uint32_t>& samples, double p)
{
    if (samples.empty())
        return 0;
    const size_t rank = std::min(samples.size() - 1, size_t(p * double(samples.size())));
    std::nth_element(samples.begin(), samples.begin() + rank, samples.end());
    return samples[rank];
}

int64_t LoadGenerator::rssKiB() const
{
    std::ifstream status("/proc/" + std::to_string(m_options.serverPid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stoll(line.substr(6));
    }
    return -1;
}

bool LoadGenerator::run()
{
    if (m_epoll < 0) {
        std::perror("epoll_create1");
        return false;
    }
    if (!connectPublisher())
        return false;
    if (m_options.scenario == "broadcast")
        return runBroadcast();
    if (m_options.scenario == "unicast")
        return runUnicast();
    if (m_options.scenario == "idle")
        return runIdle();
    if (m_options.scenario == "storm")
        return runStorm();
    if (m_options.scenario == "latency")
        return runLatency();
    if (m_options.scenario == "restart")
        return runRestart();
    std::fprintf(stderr, "unknown scenario %s\n", m_options.scenario.c_str());
    return false;
}

void LoadGenerator::watch(int fd, uint64_t key, bool writable, bool add)
{
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | (writable ? EPOLLOUT : 0u);
    event.data.u64 = key;
    epoll_ctl(m_epoll, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event);
}

static int connectNonBlocking(const std::string& host, uint16_t port, bool* inProgress)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    inet_pton(AF_INET, host.c_str(), &address.sin_addr);
    const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    if (rc < 0 && errno != EINPROGRESS) {
        ::close(fd);
        return -1;
    }
    *inProgress = rc < 0;
    return fd;
}

bool LoadGenerator::connectPublisher()
{
    bool inProgress = false;
    m_publisher.fd = connectNonBlocking(m_options.host, m_options.adminPort, &inProgress);
    if (m_publisher.fd < 0) {
        std::perror("connect admin");
        return false;
    }
    watch(m_publisher.fd, kPublisherKey, false, true);
    return true;
}

void LoadGenerator::prepareClient(Client& client)
{
    JwtClaims claims;
    claims.userId = client.userId;
    claims.login = QStringLiteral("bench%1").arg(client.userId);
    claims.sessionId = QStringLiteral("s%1").arg(client.userId);
    claims.expires = QDateTime::currentDateTimeUtc().addSecs(kTokenLifetimeSeconds);
    const QByteArray token = Jwt::sign(claims, m_options.jwtSecret);
    client.request = "GET " + m_options.wsPath + " HTTP/1.1\r\nHost: " + m_options.host + ":" +
                     std::to_string(m_options.wsPort) +
                     "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer " +
                     token.toStdString() + "\r\n\r\n";
    client.out = client.request;
}

bool LoadGenerator::startClient(int index)
{
    Client& client = m_clients[size_t(index)];
    bool inProgress = false;
    client.fd = connectNonBlocking(m_options.host, m_options.wsPort, &inProgress);
    ++m_attempts;
    if (client.fd < 0) {
        client.state = State::Closed;
        if (m_reconnect) {
            ++m_connectFailed;
            scheduleReconnect(index);
            return false;
        }
        ++m_failed;
        std::perror("connect");
        return false;
    }
    client.state = inProgress ? State::Connecting : State::Upgrading;
    watch(client.fd, uint64_t(index), true, true);
    ++m_started;
    ++m_handshaking;
    return true;
}

bool LoadGenerator::openClients(int count, int maxInFlight, int64_t timeoutMs)
{
    const size_t first = m_clients.size();
    m_clients.resize(first + size_t(count));
    // Tokens are signed before the clock starts: the storm measures the server, not HMAC here.
    for (size_t i = first; i < m_clients.size(); ++i) {
        m_clients[i].userId = int(i) + 1;
        prepareClient(m_clients[i]);
    }
    m_openStartNs = nowNs();
    const int target = int(m_clients.size());
    size_t next = first;
    const bool ok = pumpUntil(
        [&] {
            while (next < m_clients.size() && m_handshaking < maxInFlight)
                startClient(int(next++));
            return m_helloCount + m_failed >= target;
        },
        timeoutMs);
    if (!ok || m_failed > 0) {
        std::fprintf(stderr, "opened %d of %d connections (%d failed)\n", m_helloCount, target, m_failed);
        return false;
    }
    return true;
}

bool LoadGenerator::pumpUntil(const std::function<bool()>& done, int64_t timeoutMs)
{
    const int64_t deadline = nowNs() + timeoutMs * 1'000'000;
    while (!done()) {
        if (nowNs() >= deadline)
            return false;
        pump(1);
    }
    return true;
}

void LoadGenerator::pump(int timeoutMs)
{
    if (m_reconnect)
        runDueReconnects();
    epoll_event events[kMaxEvents];
    const int n = epoll_wait(m_epoll, events, kMaxEvents, timeoutMs);
    for (int i = 0; i < n; ++i) {
        if (events[i].data.u64 == kPublisherKey)
            onPublisherEvent(events[i].events);
        else
            onClientEvent(int(events[i].data.u64), events[i].events);
    }
}

void LoadGenerator::closeClient(Client& client, const char* why)
{
    if (client.state == State::Closed)
        return;
    if (m_reconnect) {
        // A restart: every close is expected; the client comes back with its backoff.
        if (client.hello) {
            --m_helloCount;
            if (m_firstCloseNs == 0)
                m_firstCloseNs = nowNs();
        } else {
            --m_handshaking;
            if (client.state == State::Connecting)
                ++m_connectFailed;
            else
                ++m_refused;
        }
        client.state = State::Closed;
        client.hello = false;
        epoll_ctl(m_epoll, EPOLL_CTL_DEL, client.fd, nullptr);
        ::close(client.fd);
        client.fd = -1;
        scheduleReconnect(int(&client - m_clients.data()));
        return;
    }
    if (!client.hello) {
        ++m_failed;
        --m_handshaking;
        if (m_failed <= 3)
            std::fprintf(stderr, "connection %d failed: %s\n", client.userId, why);
    } else {
        ++m_errors;
        if (m_errors <= 3)
            std::fprintf(stderr, "connection %d closed: %s\n", client.userId, why);
    }
    client.state = State::Closed;
    epoll_ctl(m_epoll, EPOLL_CTL_DEL, client.fd, nullptr);
    ::close(client.fd);
    client.fd = -1;
}

void LoadGenerator::onClientEvent(int index, uint32_t events)
{
    Client& client = m_clients[size_t(index)];
    if (client.state == State::Closed)
        return;
    if (client.state == State::Connecting) {
        int error = 0;
        socklen_t length = sizeof error;
        getsockopt(client.fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0) {
            closeClient(client, std::strerror(error));
            return;
        }
        if (!(events & EPOLLOUT))
            return;
        client.state = State::Upgrading;
    }
    if (events & EPOLLOUT)
        flushClient(index);
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        readClient(client);
}

void LoadGenerator::flushClient(int index)
{
    Client& client = m_clients[size_t(index)];
    if (client.state == State::Closed || client.state == State::Connecting)
        return;
    while (!client.out.empty()) {
        const ssize_t n = ::send(client.fd, client.out.data(), client.out.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN)
                break;
            closeClient(client, "send failed");
            return;
        }
        client.out.erase(0, size_t(n));
    }
    watch(client.fd, uint64_t(index), !client.out.empty(), false);
}

void LoadGenerator::readClient(Client& client)
{
    for (;;) {
        const ssize_t n = ::recv(client.fd, m_readBuffer.data(), m_readBuffer.size(), 0);
        if (n == 0) {
            closeClient(client, "closed by server");
            return;
        }
        if (n < 0) {
            if (errno != EAGAIN)
                closeClient(client, std::strerror(errno));
            return;
        }
        client.in.append(m_readBuffer.data(), size_t(n));
        if (client.state == State::Upgrading) {
            const size_t end = client.in.find("\r\n\r\n");
            if (end == std::string::npos)
                continue;
            if (client.in.compare(0, 12, "HTTP/1.1 101") != 0) {
                closeClient(client, client.in.substr(0, client.in.find("\r\n")).c_str());
                return;
            }
            client.in.erase(0, end + 4);
            client.state = State::Open;
        }
        parseFrames(client);
        if (client.state == State::Closed || size_t(n) < m_readBuffer.size())
            return;
    }
}

void LoadGenerator::parseFrames(Client& client)
{
    size_t pos = 0;
    const std::string& in = client.in;
    while (in.size() - pos >= 2) {
        const auto b0 = uint8_t(in[pos]);
        const auto b1 = uint8_t(in[pos + 1]);
        uint64_t length = b1 & 0x7f;
        size_t header = 2;
        if (length == 126) {
            if (in.size() - pos < 4)
                break;
            length = (uint64_t(uint8_t(in[pos + 2])) << 8) | uint8_t(in[pos + 3]);
            header = 4;
        } else if (length == 127) {
            if (in.size() - pos < 10)
                break;
            length = 0;
            for (int i = 0; i < 8; ++i)
                length = (length << 8) | uint8_t(in[pos + 2 + size_t(i)]);
            header = 10;
        }
        if (b1 & 0x80)
            header += 4; // servers never mask; skip a key anyway
        if (in.size() - pos < header + length)
            break;
        const char* payload = in.data() + pos + header;
        const int opcode = b0 & 0x0f;
        pos += header + size_t(length);
        if (opcode == 0x1) {
            onText(client, payload, size_t(length));
        } else if (opcode == 0x9) {
            const std::string body(payload, size_t(length));
            sendFrame(client, 0xA, body.data(), body.size());
        } else if (opcode == 0x8) {
            // Answer the close (RFC 6455 5.5.1) so a peer that waits for the handshake can finish.
            sendFrame(client, 0x8, payload, std::min<size_t>(2, size_t(length)));
            closeClient(client, "close frame");
            return;
        }
    }
    client.in.erase(0, pos);
}

void LoadGenerator::onText(Client& client, const char* data, size_t size)
{
    if (!client.hello) {
        if (!contains(data, size, "\"hello\""))
            return;
        client.hello = true;
        client.delayMs = 0; // PROTOCOL.md v1.1: the backoff resets on hello, not on the upgrade
        ++m_helloCount;
        --m_handshaking;
        m_lastHelloNs = nowNs();
        if (m_subscribeOnHello) {
            static const char kSubscribe[] = R"({"type":"subscribe","topic":"public.bench"})";
            sendFrame(client, 0x1, kSubscribe, sizeof kSubscribe - 1);
        }
        return;
    }
    if (const int64_t ts = parseNumberAfter(data, size, "\"ts\":"); ts >= 0) {
        const int64_t now = nowNs();
        m_latencyUs.push_back(uint32_t(std::max<int64_t>(0, now - ts) / 1000));
        ++m_delivered;
        m_lastDeliveryNs = now;
        return;
    }
    if (const int64_t count = parseNumberAfter(data, size, "\"count\":"); count >= 0) {
        const int64_t now = nowNs();
        m_latencyUs.push_back(uint32_t(std::max<int64_t>(0, (now - m_startNs) / 1000 - count)));
        ++m_delivered;
        m_lastDeliveryNs = now;
        return;
    }
    if (contains(data, size, "\"subscribed\"")) {
        if (!client.subscribed) {
            client.subscribed = true;
            ++m_subscribedCount;
        }
        return;
    }
    if (contains(data, size, "\"error\"")) {
        ++m_errors;
        if (m_errors <= 3)
            std::fprintf(stderr, "error message: %.*s\n", int(size), data);
    }
}

void LoadGenerator::sendFrame(Client& client, int opcode, const char* data, size_t size)
{
    if (client.state != State::Open)
        return;
    // Client frames are masked (RFC 6455); small control and subscribe frames only.
    client.out.push_back(char(0x80 | opcode));
    if (size < 126) {
        client.out.push_back(char(0x80 | size));
    } else {
        client.out.push_back(char(0x80 | 126));
        client.out.push_back(char((size >> 8) & 0xff));
        client.out.push_back(char(size & 0xff));
    }
    client.out.append(reinterpret_cast<const char*>(kMaskKey), 4);
    for (size_t i = 0; i < size; ++i)
        client.out.push_back(char(uint8_t(data[i]) ^ kMaskKey[i % 4]));
    flushClient(int(&client - m_clients.data()));
}

void LoadGenerator::publish(const std::string& body)
{
    m_publisher.busy = true;
    m_publisher.out +=
        "POST /api/v1/publish HTTP/1.1\r\nHost: " + m_options.host + "\r\nAuthorization: Bearer " +
        m_options.publisherSecret +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
        body;
    onPublisherEvent(EPOLLOUT);
}

void LoadGenerator::onPublisherEvent(uint32_t events)
{
    if (events & EPOLLOUT) {
        while (!m_publisher.out.empty()) {
            const ssize_t n =
                ::send(m_publisher.fd, m_publisher.out.data(), m_publisher.out.size(), MSG_NOSIGNAL);
            if (n <= 0)
                break;
            m_publisher.out.erase(0, size_t(n));
        }
        watch(m_publisher.fd, kPublisherKey, !m_publisher.out.empty(), false);
    }
    if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)))
        return;
    for (;;) {
        const ssize_t n = ::recv(m_publisher.fd, m_readBuffer.data(), m_readBuffer.size(), 0);
        if (n <= 0)
            break;
        m_publisher.in.append(m_readBuffer.data(), size_t(n));
    }
    const size_t headEnd = m_publisher.in.find("\r\n\r\n");
    if (headEnd == std::string::npos)
        return;
    std::string head = m_publisher.in.substr(0, headEnd);
    std::transform(head.begin(), head.end(), head.begin(), [](char c) { return char(std::tolower(c)); });
    const int64_t length = parseNumberAfter(head.data(), head.size(), "content-length:");
    const size_t total = headEnd + 4 + size_t(std::max<int64_t>(0, length));
    if (m_publisher.in.size() < total)
        return;
    m_publisher.lastStatus = std::atoi(m_publisher.in.c_str() + 9);
    if (m_publisher.lastStatus != 202) {
        ++m_errors;
        std::fprintf(stderr, "publish answered: %s\n", m_publisher.in.substr(0, total).c_str());
    }
    m_publisher.in.erase(0, total);
    m_publisher.busy = false;
}

void LoadGenerator::publishTimestamped(int seq)
{
    // The publish time rides in the payload, so each delivery's latency is measured by its receiver.
    publish(R"({"topic":"public.bench","message":{"type":"board","event":"project.updated","data":)"
            R"({"title":"x","description":"","is_closed":false,"seq":)" +
            std::to_string(seq) + R"(,"ts":)" + std::to_string(nowNs()) + "}}}");
}

bool LoadGenerator::waitPublisherIdle(int64_t timeoutMs)
{
    return pumpUntil([this] { return !m_publisher.busy; }, timeoutMs);
}

bool LoadGenerator::runBroadcast()
{
    const int n = m_options.connections;
    m_subscribeOnHello = true;
    if (!openClients(n, m_options.maxInFlight, kOpenTimeoutMs))
        return false;
    if (!pumpUntil([&] { return m_subscribedCount >= n; }, kOpenTimeoutMs)) {
        std::fprintf(stderr, "only %d of %d subscribed\n", m_subscribedCount, n);
        return false;
    }
    int seq = 0;
    auto publishOne = [&] {
        publishTimestamped(++seq);
    };

    // Latency: one broadcast at a time, spaced out, so each figure is the fan-out of one publication.
    for (int i = 0; i < kLatencyPublications; ++i) {
        publishOne();
        if (!waitPublisherIdle(kDrainTimeoutMs))
            return false;
        const int64_t until = nowNs() + int64_t(kLatencyIntervalMs) * 1'000'000;
        pumpUntil([&] { return nowNs() >= until; }, kLatencyIntervalMs + 1);
    }
    const int64_t latencyExpected = int64_t(kLatencyPublications) * n;
    pumpUntil([&] { return m_delivered >= latencyExpected; }, kDrainTimeoutMs);
    const int64_t latencyDelivered = m_delivered;
    std::vector<uint32_t> idleLatency;
    idleLatency.swap(m_latencyUs);

    // Throughput: keep `window` publications in flight for the whole duration.
    m_delivered = 0;
    m_latencyUs.reserve(size_t(n) * 2000);
    const int64_t window = int64_t(m_options.window) * n;
    int64_t published = 0;
    const int64_t cpuBefore = serverCpuUs();
    const int64_t start = nowNs();
    const int64_t end = start + int64_t(m_options.durationMs) * 1'000'000;
    while (nowNs() < end) {
        if (!m_publisher.busy && published * n - m_delivered < window) {
            publishOne();
            ++published;
        }
        pump(m_publisher.busy ? 1 : 0);
    }
    pumpUntil([&] { return m_delivered >= published * n; }, kDrainTimeoutMs);
    const int64_t cpuAfter = serverCpuUs();
    const double seconds = double(std::max(m_lastDeliveryNs, start + 1) - start) / 1e9;
    std::printf("RESULT scenario=broadcast connections=%d deliveries_per_s=%.0f p50_us=%u p99_us=%u "
                "load_p50_us=%u load_p99_us=%u published=%lld delivered=%lld expected=%lld "
                "latency_delivered=%lld/%lld cpu_us_per_delivery=%.3f errors=%lld\n",
                n, double(m_delivered) / seconds, percentile(idleLatency, 0.50),
                percentile(idleLatency, 0.99), percentile(m_latencyUs, 0.50), percentile(m_latencyUs, 0.99),
                (long long)published, (long long)m_delivered, (long long)(published * n),
                (long long)latencyDelivered, (long long)latencyExpected,
                cpuBefore < 0 || m_delivered == 0 ? -1.0 : double(cpuAfter - cpuBefore) / double(m_delivered),
                (long long)m_errors);
    return m_delivered == published * n && m_errors == 0;
}

bool LoadGenerator::runUnicast()
{
    const int n = m_options.connections;
    if (!openClients(n, m_options.maxInFlight, kOpenTimeoutMs))
        return false;
    pumpUntil([] { return false; }, kSettleMs);
    std::mt19937 random(42);
    std::uniform_int_distribution<int> user(1, n);
    const int64_t window = int64_t(m_options.window) * m_options.batch;
    int64_t published = 0;
    m_latencyUs.reserve(size_t(m_options.batch) * 20000);
    const int64_t cpuBefore = serverCpuUs();
    const int64_t start = nowNs();
    const int64_t end = start + int64_t(m_options.durationMs) * 1'000'000;
    while (nowNs() < end) {
        if (!m_publisher.busy && published - m_delivered < window) {
            std::string body = "[";
            const std::string count = std::to_string((nowNs() - m_startNs) / 1000);
            for (int i = 0; i < m_options.batch; ++i) {
                if (i > 0)
                    body += ',';
                body += R"({"topic":"user-)" + std::to_string(user(random)) +
                        R"(","message":{"type":"notification-count","count":)" + count + "}}";
            }
            body += ']';
            publish(body);
            published += m_options.batch;
        }
        pump(m_publisher.busy ? 1 : 0);
    }
    pumpUntil([&] { return m_delivered >= published; }, kDrainTimeoutMs);
    const int64_t cpuAfter = serverCpuUs();
    const double seconds = double(std::max(m_lastDeliveryNs, start + 1) - start) / 1e9;
    std::printf("RESULT scenario=unicast connections=%d deliveries_per_s=%.0f p50_us=%u p99_us=%u "
                "published=%lld delivered=%lld cpu_us_per_delivery=%.3f errors=%lld\n",
                n, double(m_delivered) / seconds, percentile(m_latencyUs, 0.50),
                percentile(m_latencyUs, 0.99), (long long)published, (long long)m_delivered,
                cpuBefore < 0 || m_delivered == 0 ? -1.0 : double(cpuAfter - cpuBefore) / double(m_delivered),
                (long long)m_errors);
    return m_delivered == published && m_errors == 0;
}

bool LoadGenerator::runIdle()
{
    const int n = m_options.connections;
    pumpUntil([] { return false; }, kSettleMs);
    const int64_t before = rssKiB();
    if (!openClients(n, m_options.maxInFlight, kOpenTimeoutMs))
        return false;
    const double openSeconds = double(m_lastHelloNs - m_openStartNs) / 1e9;
    // Let the server finish per-connection work (subscriptions, deferred deletes) before sampling.
    pumpUntil([] { return false; }, kIdleSettleMs);
    const int64_t after = rssKiB();
    std::printf("RESULT scenario=idle connections=%d rss_before_kib=%lld rss_after_kib=%lld "
                "kib_per_connection=%.2f open_s=%.2f errors=%lld\n",
                n, (long long)before, (long long)after, double(after - before) / n, openSeconds,
                (long long)m_errors);
    return before > 0 && after > 0 && m_errors == 0;
}

bool LoadGenerator::runStorm()
{
    const int n = m_options.connections;
    const bool ok = openClients(n, n, kOpenTimeoutMs);
    const double seconds = double(m_lastHelloNs - m_openStartNs) / 1e9;
    std::printf("RESULT scenario=storm connections=%d seconds=%.3f hellos=%d failed=%d\n", n, seconds,
                m_helloCount, m_failed);
    return ok;
}

} // namespace forgewire

namespace forgewire {

int64_t LoadGenerator::serverCpuUs() const
{
    if (m_options.serverPid <= 0)
        return -1;
    std::ifstream stat("/proc/" + std::to_string(m_options.serverPid) + "/stat");
    std::string line;
    if (!std::getline(stat, line))
        return -1;
    // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
    const size_t close = line.rfind(')');
    if (close == std::string::npos)
        return -1;
    std::vector<std::string> fields;
    size_t pos = close + 2;
    while (pos < line.size()) {
        const size_t space = line.find(' ', pos);
        fields.push_back(line.substr(pos, space == std::string::npos ? std::string::npos : space - pos));
        if (space == std::string::npos)
            break;
        pos = space + 1;
    }
    if (fields.size() < 13)
        return -1;
    const int64_t ticks = std::stoll(fields[11]) + std::stoll(fields[12]);
    return ticks * 1'000'000 / sysconf(_SC_CLK_TCK);
}

void LoadGenerator::scheduleReconnect(int index)
{
    Client& client = m_clients[size_t(index)];
    if (client.waiting)
        return;
    client.waiting = true;
    const int delay = client.delayMs == 0 ? kBackoffFirstMs : client.delayMs;
    client.delayMs = std::min(delay * 2, kBackoffMaxMs);
    m_reconnectQueue.emplace_back(nowNs() + int64_t(delay) * 1'000'000, index);
    std::push_heap(m_reconnectQueue.begin(), m_reconnectQueue.end(), std::greater<>());
}

void LoadGenerator::runDueReconnects()
{
    const int64_t now = nowNs();
    while (!m_reconnectQueue.empty() && m_reconnectQueue.front().first <= now) {
        std::pop_heap(m_reconnectQueue.begin(), m_reconnectQueue.end(), std::greater<>());
        const int index = m_reconnectQueue.back().second;
        m_reconnectQueue.pop_back();
        Client& client = m_clients[size_t(index)];
        client.waiting = false;
        client.in.clear();
        client.out = client.request;
        startClient(index);
    }
}

bool LoadGenerator::runLatency()
{
    // A forge's steady load: `rate` broadcasts per second to every subscriber, far below saturation;
    // the figure is the latency a user sees, not the throughput.
    const int n = m_options.connections;
    m_subscribeOnHello = true;
    if (!openClients(n, m_options.maxInFlight, kOpenTimeoutMs))
        return false;
    if (!pumpUntil([&] { return m_subscribedCount >= n; }, kOpenTimeoutMs)) {
        std::fprintf(stderr, "only %d of %d subscribed\n", m_subscribedCount, n);
        return false;
    }
    pumpUntil([] { return false; }, kSettleMs);
    const int64_t intervalNs = 1'000'000'000 / std::max(1, m_options.rate);
    const int64_t start = nowNs();
    const int64_t end = start + int64_t(m_options.durationMs) * 1'000'000;
    const int64_t cpuBefore = serverCpuUs();
    int64_t published = 0;
    int64_t due = start;
    int seq = 0;
    while (nowNs() < end) {
        if (!m_publisher.busy && nowNs() >= due) {
            publishTimestamped(++seq);
            ++published;
            due += intervalNs;
        }
        pump(1);
    }
    pumpUntil([&] { return m_delivered >= published * n; }, kDrainTimeoutMs);
    const int64_t cpuAfter = serverCpuUs();
    std::printf("RESULT scenario=latency connections=%d rate=%d p50_us=%u p99_us=%u max_us=%u published=%lld "
                "delivered=%lld expected=%lld cpu_us_per_delivery=%.3f errors=%lld\n",
                n, m_options.rate, percentile(m_latencyUs, 0.50), percentile(m_latencyUs, 0.99),
                percentile(m_latencyUs, 1.0), (long long)published, (long long)m_delivered,
                (long long)(published * n),
                cpuBefore < 0 || m_delivered == 0 ? -1.0 : double(cpuAfter - cpuBefore) / double(m_delivered),
                (long long)m_errors);
    return m_delivered == published * n && m_errors == 0;
}

bool LoadGenerator::runRestart()
{
    // Every client connected; the bench script restarts the server after READY; each client comes
    // back with PROTOCOL.md's backoff. The figure: first close until the last hello again.
    const int n = m_options.connections;
    if (!openClients(n, m_options.maxInFlight, kOpenTimeoutMs))
        return false;
    m_reconnect = true;
    std::printf("READY\n");
    std::fflush(stdout);
    if (!pumpUntil([&] { return m_firstCloseNs != 0; }, kRestartWaitMs)) {
        std::fprintf(stderr, "the server never closed a connection\n");
        return false;
    }
    const bool back = pumpUntil([&] { return m_helloCount >= n; }, m_options.restartTimeoutMs);
    const double seconds = double((back ? m_lastHelloNs : nowNs()) - m_firstCloseNs) / 1e9;
    std::printf(
        "RESULT scenario=restart connections=%d seconds=%.3f back=%d attempts=%lld connect_failed=%lld "
        "refused=%lld\n",
        n, seconds, m_helloCount, (long long)(m_attempts - n), (long long)m_connectFailed,
        (long long)m_refused);
    return back;
}

} // namespace forgewire
