#pragma once

#include "client/Clock.h"

namespace forgewire::test {

// Time moves only when the test says so.
class FakeClock final : public Clock
{
public:
    std::chrono::milliseconds now() const override { return m_now; }
    void advance(std::chrono::milliseconds by) { m_now += by; }

private:
    std::chrono::milliseconds m_now{1'000'000};
};

} // namespace forgewire::test
