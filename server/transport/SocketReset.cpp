#include "transport/SocketReset.h"

#include "config/ServerLogging.h"

#ifdef Q_OS_WIN
#include <winsock2.h>
#else
#include <sys/socket.h>
#endif

#include <cerrno>
#include <cstring>

namespace forgewire {

void resetOnClose(qintptr descriptor)
{
    if (descriptor < 0)
        return;
    linger reset{};
    reset.l_onoff = 1;
    reset.l_linger = 0;
#ifdef Q_OS_WIN
    const int result = ::setsockopt(SOCKET(descriptor), SOL_SOCKET, SO_LINGER,
                                    reinterpret_cast<const char*>(&reset), sizeof reset);
#else
    const int result = ::setsockopt(int(descriptor), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
#endif
    // Not fatal: the close still happens, only its unread bytes may linger in the kernel.
    if (result != 0)
        qCWarning(lcWs) << "could not set SO_LINGER 0 before closing:" << std::strerror(errno);
}

} // namespace forgewire
