#pragma once

#include <chrono>

namespace forgewire {

// A time source that can be replaced in tests. now() must keep running while the machine is
// suspended: QTimer and QElapsedTimer follow CLOCK_MONOTONIC, which stops during suspend on Linux,
// so only a clock like this one can see the gap a suspend leaves behind.
class Clock
{
public:
    virtual ~Clock() = default;
    virtual std::chrono::milliseconds now() const = 0;

    // The machine's clock (CLOCK_BOOTTIME where there is one, the wall clock elsewhere).
    static const Clock& system();
};

} // namespace forgewire
