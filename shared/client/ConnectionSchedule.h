#pragma once

#include "client/Clock.h"
#include "client/ReconnectBackoff.h"

#include <chrono>

namespace forgewire {

// The decisions of SharedConnection, kept free of sockets and timers so a fake clock can drive them:
// when to open, how long to wait after a failure (ReconnectBackoff), when to give up (4001), when the
// machine must have slept, when the peer has gone quiet for too long.
//
// Every event returns the Step the owner must carry out. A Step that opens or closes always means
// "drop whatever socket there is first".
class ConnectionSchedule
{
public:
    enum class State
    {
        Idle,         // nobody wants the connection
        Connecting,   // a socket is opening
        Connected,    // open
        Reconnecting, // waiting for the retry timer
        Unauthorized  // the server refused the token (4001): no retry with the same token
    };

    // The heartbeat timer ticks this often while the connection is wanted.
    static constexpr std::chrono::milliseconds kTickInterval{5'000};
    // A tick this much later than due means the process did not run: the machine slept or was frozen,
    // and the socket it had is most likely dead even if it still looks open.
    static constexpr std::chrono::milliseconds kSleepThreshold{15'000};
    // Used until the server's hello says otherwise (PROTOCOL.md default).
    static constexpr std::chrono::milliseconds kDefaultHeartbeat{25'000};
    // Like the server's pong deadline: a peer silent for heartbeat + this long is gone.
    static constexpr std::chrono::milliseconds kSilenceGrace{10'000};
    // Qt 6.4 has no handshake timeout, and a dropped SYN can keep a socket "connecting" for minutes.
    static constexpr std::chrono::milliseconds kConnectTimeout{15'000};

    struct Step
    {
        enum class Kind
        {
            Nothing,
            Open,      // drop the socket, open a new one now
            OpenLater, // drop the socket, open a new one after `delay`
            Close,     // drop the socket, cancel the retry timer
            Ping       // send a ping to prove the peer is alive
        };
        Kind kind = Kind::Nothing;
        std::chrono::milliseconds delay{0};
        bool operator==(const Step& o) const { return kind == o.kind && delay == o.delay; }
    };

    explicit ConnectionSchedule(const Clock& clock) : m_clock(clock) {}

    State state() const { return m_state; }
    // The delay the next failure will wait.
    std::chrono::milliseconds nextDelay() const { return m_backoff.peek(); }
    std::chrono::milliseconds tickInterval() const { return m_tickInterval; }
    // Tests shorten the tick; the sleep threshold stays absolute.
    void setTickInterval(std::chrono::milliseconds interval) { m_tickInterval = interval; }

    // The first consumer arrived, or the token changed (which also lifts Unauthorized).
    Step start();
    // The last consumer left.
    Step stop();
    Step opened();
    // The server accepted us: resets the backoff (an upgrade alone does not).
    void helloReceived(std::chrono::milliseconds heartbeat);
    // Any frame or pong: the peer is alive.
    void received();
    // The socket closed or failed; `closeCode` is 0 when there was no close frame.
    Step closed(int closeCode);
    // The retry timer fired.
    Step retryDue();
    // The heartbeat timer fired.
    Step tick();

private:
    Step openNow();
    Step failed();
    std::chrono::milliseconds now() const { return m_clock.now(); }

    const Clock& m_clock;
    State m_state = State::Idle;
    ReconnectBackoff m_backoff;
    std::chrono::milliseconds m_tickInterval = kTickInterval;
    std::chrono::milliseconds m_heartbeat = kDefaultHeartbeat;
    std::chrono::milliseconds m_lastTick{0};
    std::chrono::milliseconds m_openedAt{0}; // when the current socket started opening
    std::chrono::milliseconds m_lastReceived{0};
    std::chrono::milliseconds m_lastPing{0};
};

} // namespace forgewire
