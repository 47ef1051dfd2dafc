#pragma once

#include <QByteArray>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace forgewire {

struct BenchOptions
{
    std::string host = "127.0.0.1";
    uint16_t wsPort = 0;
    uint16_t adminPort = 0;
    std::string wsPath = "/-/ws";
    QByteArray jwtSecret;
    std::string publisherSecret;
    std::string scenario; // broadcast | unicast | latency | idle | storm | restart
    int connections = 0;
    int durationMs = 5000;
    int serverPid = 0;
    int batch = 200;               // unicast: publications per POST
    int window = 4;                // publications (broadcast) or batches (unicast) not yet fully received
    int maxInFlight = 200;         // connections handshaking at once outside the storm
    int rate = 20;                 // latency: broadcasts per second
    int restartTimeoutMs = 60'000; // restart: how long to wait for every client to be back
};

// A single-threaded epoll WebSocket client farm: one process holds every connection, so it costs the
// machine far less than the server under test and never becomes the bottleneck on two cores.
class LoadGenerator
{
public:
    explicit LoadGenerator(BenchOptions options);
    ~LoadGenerator();
    LoadGenerator(const LoadGenerator&) = delete;
    LoadGenerator& operator=(const LoadGenerator&) = delete;

    // Runs the scenario and prints one `RESULT key=value...` line; false on failure (reason on stderr).
    bool run();

private:
    enum class State
    {
        Connecting,
        Upgrading,
        Open,
        Closed
    };
    struct Client
    {
        int fd = -1;
        State state = State::Connecting;
        int userId = 0;
        bool hello = false;
        bool subscribed = false;
        std::string in;
        std::string out;
        std::string request; // the upgrade request, kept for reconnects
        // restart: the reconnect backoff of PROTOCOL.md (50 ms doubling to 10 s, reset on hello)
        int delayMs = 0;
        bool waiting = false;
    };
    struct Publisher
    {
        int fd = -1;
        bool busy = false;
        std::string in;
        std::string out;
        int lastStatus = 0;
    };

    bool runBroadcast();
    bool runUnicast();
    bool runIdle();
    bool runStorm();
    bool runLatency();
    bool runRestart();
    // restart: schedules the client's next attempt with its backoff, then doubles the backoff.
    void scheduleReconnect(int index);
    void runDueReconnects();
    // user+system CPU time of the server process so far, in microseconds (-1 without --pid).
    int64_t serverCpuUs() const;

    // Starts `count` clients (ids from 1), at most `maxInFlight` handshaking at once, and waits
    // until each has its `hello`.
    bool openClients(int count, int maxInFlight, int64_t timeoutMs);
    void prepareClient(Client& client);
    bool startClient(int index);
    bool connectPublisher();
    // Sends one POST /api/v1/publish; the reply is read by the event loop.
    void publish(const std::string& body);
    // A broadcast to public.bench carrying `seq` and the publish time.
    void publishTimestamped(int seq);
    bool waitPublisherIdle(int64_t timeoutMs);
    // Runs the event loop until `done` or the deadline; false on timeout.
    bool pumpUntil(const std::function<bool()>& done, int64_t timeoutMs);
    void pump(int timeoutMs);
    void onClientEvent(int index, uint32_t events);
    void onPublisherEvent(uint32_t events);
    void readClient(Client& client);
    void parseFrames(Client& client);
    void onText(Client& client, const char* data, size_t size);
    void sendFrame(Client& client, int opcode, const char* data, size_t size);
    void flushClient(int index);
    void closeClient(Client& client, const char* why);
    void watch(int fd, uint64_t key, bool writable, bool add);
    int64_t rssKiB() const;
    static int64_t nowNs();
    static uint32_t percentile(std::vector<uint32_t>& samples, double p);

    BenchOptions m_options;
    int m_epoll = -1;
    std::vector<Client> m_clients;
    Publisher m_publisher;
    std::vector<char> m_readBuffer;
    int64_t m_startNs = 0;

    int m_started = 0;
    int m_handshaking = 0;
    int m_helloCount = 0;
    int m_subscribedCount = 0;
    int m_failed = 0;
    int64_t m_openStartNs = 0;
    int64_t m_lastHelloNs = 0;
    int64_t m_delivered = 0;
    int64_t m_lastDeliveryNs = 0;
    int64_t m_errors = 0;
    bool m_subscribeOnHello = false;
    std::vector<uint32_t> m_latencyUs;
    // restart
    bool m_reconnect = false;
    int64_t m_firstCloseNs = 0;
    int64_t m_attempts = 0;
    int64_t m_connectFailed = 0; // TCP refused/reset: the server was not listening
    int64_t m_refused = 0;       // the server answered but refused (not 101, or closed before hello)
    std::vector<std::pair<int64_t, int>> m_reconnectQueue; // min-heap of (due ns, client index)
};

} // namespace forgewire
