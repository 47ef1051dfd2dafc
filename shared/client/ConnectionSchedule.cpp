#include "client/ConnectionSchedule.h"

#include "protocol/Protocol.h"

#include <algorithm>

namespace forgewire {

using Kind = ConnectionSchedule::Step::Kind;

ConnectionSchedule::Step ConnectionSchedule::openNow()
{
    m_state = State::Connecting;
    m_openedAt = now();
    return {Kind::Open, {}};
}

ConnectionSchedule::Step ConnectionSchedule::failed()
{
    m_state = State::Reconnecting;
    return {Kind::OpenLater, m_backoff.next()};
}

ConnectionSchedule::Step ConnectionSchedule::start()
{
    if (m_state == State::Connecting || m_state == State::Connected)
        return {};
    m_backoff.reset();
    m_lastTick = now();
    return openNow();
}

ConnectionSchedule::Step ConnectionSchedule::stop()
{
    if (m_state == State::Idle)
        return {};
    m_state = State::Idle;
    return {Kind::Close, {}};
}

ConnectionSchedule::Step ConnectionSchedule::opened()
{
    if (m_state != State::Connecting)
        return {};
    m_state = State::Connected;
    m_heartbeat = kDefaultHeartbeat;
    m_lastReceived = m_lastPing = now();
    return {};
}

void ConnectionSchedule::helloReceived(std::chrono::milliseconds heartbeat)
{
    if (m_state != State::Connected)
        return;
    // Only a hello proves the server will keep us (PROTOCOL.md v1.1): one that upgrades and then
    // closes (a drain, a forge outage, an auth timeout) must not reset the delay, or it would be
    // retried every 50 ms for as long as it keeps doing that.
    m_backoff.reset();
    if (heartbeat > std::chrono::milliseconds::zero())
        m_heartbeat = heartbeat;
}

void ConnectionSchedule::received()
{
    m_lastReceived = now();
}

ConnectionSchedule::Step ConnectionSchedule::closed(int closeCode)
{
    // A failing QWebSocket reports both an error and a disconnect; only the first one counts.
    if (m_state != State::Connecting && m_state != State::Connected)
        return {};
    if (closeCode == protocol::CloseCode::Unauthorized) {
        m_state = State::Unauthorized;
        return {Kind::Close, {}};
    }
    return failed();
}

ConnectionSchedule::Step ConnectionSchedule::retryDue()
{
    if (m_state != State::Reconnecting)
        return {};
    return openNow();
}

ConnectionSchedule::Step ConnectionSchedule::tick()
{
    const std::chrono::milliseconds current = now();
    const std::chrono::milliseconds gap = current - m_lastTick;
    m_lastTick = current;
    if (m_state == State::Idle || m_state == State::Unauthorized)
        return {};

    if (gap > m_tickInterval + kSleepThreshold) {
        // After a resume the old socket is probably half-open and any pending retry was planned for
        // a network that may have changed: start over as if the first consumer had just arrived.
        m_backoff.reset();
        return openNow();
    }
    if (m_state == State::Connecting && current - m_openedAt > kConnectTimeout)
        return failed();
    if (m_state != State::Connected)
        return {};
    if (current - m_lastReceived > m_heartbeat + kSilenceGrace)
        return failed();
    if (current - std::max(m_lastReceived, m_lastPing) >= m_heartbeat) {
        m_lastPing = current;
        return {Kind::Ping, {}};
    }
    return {};
}

} // namespace forgewire
