#pragma once

#include <chrono>

namespace forgewire {

// The reconnect schedule of Gitea's SharedWorker: 50 ms, doubling, capped at 10 s, reset by the
// owner once the server's hello arrives.
class ReconnectBackoff
{
public:
    static constexpr std::chrono::milliseconds kInitialDelay{50};
    static constexpr std::chrono::milliseconds kMaxDelay{10'000};

    // The delay to wait before the next attempt; the one after it is doubled.
    std::chrono::milliseconds next();
    // The delay next() would return, without advancing.
    std::chrono::milliseconds peek() const { return m_current; }
    void reset() { m_current = kInitialDelay; }

private:
    std::chrono::milliseconds m_current = kInitialDelay;
};

} // namespace forgewire
