#include "client/ReconnectBackoff.h"

#include <algorithm>

namespace forgewire {

std::chrono::milliseconds ReconnectBackoff::next()
{
    const std::chrono::milliseconds delay = m_current;
    m_current = std::min(m_current * 2, kMaxDelay);
    return delay;
}

} // namespace forgewire
