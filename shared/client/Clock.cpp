#include "client/Clock.h"

#include <QDateTime>
#include <QtGlobal>

#ifdef Q_OS_LINUX
#include <time.h>
#endif

namespace forgewire {

namespace {

class SystemClock final : public Clock
{
public:
    std::chrono::milliseconds now() const override
    {
#ifdef Q_OS_LINUX
        timespec ts{};
        if (clock_gettime(CLOCK_BOOTTIME, &ts) == 0)
            return std::chrono::seconds(ts.tv_sec) + std::chrono::duration_cast<std::chrono::milliseconds>(
                                                         std::chrono::nanoseconds(ts.tv_nsec));
#endif
        // The wall clock also runs through a suspend; a jump of it costs at most one needless reconnect.
        return std::chrono::milliseconds(QDateTime::currentMSecsSinceEpoch());
    }
};

} // namespace

const Clock& Clock::system()
{
    static const SystemClock clock;
    return clock;
}

} // namespace forgewire
