#pragma once

#include <QtGlobal>

#include <functional>

namespace forgewire {

// Bridge mode polling cadence. The defaults copy Gitea's own web UI, which polls
// /user/notifications/new from 10 s, 10 s slower per unchanged answer, up to 60 s.
namespace forge {
constexpr int kPollMinMs = 10'000;
constexpr int kPollStepMs = 10'000;
constexpr int kPollMaxMs = 60'000;
// A forge that is down is retried from the minimum, doubling up to this.
constexpr int kOutageMaxMs = 300'000;
// Each delay is moved by up to this fraction either way so users that came online together
// (a server restart reconnects everyone at once) drift apart instead of polling in lockstep.
constexpr double kJitterFraction = 0.1;
// A Retry-After longer than this is treated as this: a forge asking for hours is misconfigured,
// and users would otherwise see stale counts until they reconnect.
constexpr int kMaxRetryAfterMs = 15 * 60'000;
} // namespace forge

struct PollSettings
{
    int minMs = forge::kPollMinMs;
    int stepMs = forge::kPollStepMs;
    int maxMs = forge::kPollMaxMs;
    int outageMaxMs = forge::kOutageMaxMs;
    double jitter = forge::kJitterFraction;
};

// When to poll a user next, from what the last poll saw. Pure: time is the caller's, randomness
// is injected, so every schedule can be checked without waiting for it.
class PollSchedule
{
public:
    // Uniform in [0, 1).
    using Random = std::function<double()>;

    explicit PollSchedule(PollSettings settings = {}, Random random = {});

    // Each returns the delay before the next poll in milliseconds, jitter included.
    int changed();   // something changed: back to the minimum
    int unchanged(); // one step slower, up to the maximum
    int failed();    // unreachable, 5xx or an unreadable answer: doubling from the minimum
    // 429: never before Retry-After (`retryAfterMs` < 0: the forge did not say, back off as for a failure).
    int rateLimited(int retryAfterMs);
    // A client asked for fresh state: the next regular interval starts from the minimum again.
    void reset();

    int baseMs() const { return m_baseMs; }
    int consecutiveFailures() const { return m_failures; }
    const PollSettings& settings() const { return m_settings; }

private:
    int jittered(int baseMs, int capMs) const;

    PollSettings m_settings;
    Random m_random;
    int m_baseMs;
    int m_failures = 0;
};

} // namespace forgewire
