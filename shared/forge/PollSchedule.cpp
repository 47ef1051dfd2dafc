#include "forge/PollSchedule.h"

#include <QRandomGenerator>

#include <algorithm>
#include <cmath>

namespace forgewire {

PollSchedule::PollSchedule(PollSettings settings, Random random)
    : m_settings(settings), m_random(std::move(random)), m_baseMs(settings.minMs)
{
    if (!m_random)
        m_random = [] {
            return QRandomGenerator::global()->generateDouble();
        };
    m_settings.maxMs = std::max(m_settings.maxMs, m_settings.minMs);
    m_settings.outageMaxMs = std::max(m_settings.outageMaxMs, m_settings.minMs);
}

int PollSchedule::jittered(int baseMs, int capMs) const
{
    const double spread = m_settings.jitter * (2.0 * m_random() - 1.0);
    const auto value = static_cast<qint64>(std::llround(baseMs * (1.0 + spread)));
    // Jitter never takes a delay outside the configured bounds, so "10 s min, 60 s max" holds exactly.
    return static_cast<int>(std::clamp<qint64>(value, m_settings.minMs, capMs));
}

int PollSchedule::changed()
{
    m_failures = 0;
    m_baseMs = m_settings.minMs;
    return jittered(m_baseMs, m_settings.maxMs);
}

int PollSchedule::unchanged()
{
    if (m_failures > 0) {
        // The first good answer after an outage starts a fresh schedule.
        m_failures = 0;
        m_baseMs = m_settings.minMs;
    } else {
        m_baseMs = static_cast<int>(std::min<qint64>(qint64(m_baseMs) + m_settings.stepMs, m_settings.maxMs));
    }
    return jittered(m_baseMs, m_settings.maxMs);
}

int PollSchedule::failed()
{
    ++m_failures;
    // min * 2^failures without overflowing: stop doubling once past the cap.
    qint64 delay = m_settings.minMs;
    for (int i = 0; i < m_failures && delay < m_settings.outageMaxMs; ++i)
        delay *= 2;
    return jittered(static_cast<int>(std::min<qint64>(delay, m_settings.outageMaxMs)),
                    m_settings.outageMaxMs);
}

int PollSchedule::rateLimited(int retryAfterMs)
{
    if (retryAfterMs < 0)
        return failed();
    m_baseMs = static_cast<int>(std::min<qint64>(qint64(m_baseMs) + m_settings.stepMs, m_settings.maxMs));
    const int regular = jittered(m_baseMs, m_settings.maxMs);
    return std::max(regular, std::min(retryAfterMs, forge::kMaxRetryAfterMs));
}

void PollSchedule::reset()
{
    m_baseMs = m_settings.minMs;
}

} // namespace forgewire
