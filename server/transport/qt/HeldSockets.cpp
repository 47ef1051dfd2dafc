#include "transport/qt/HeldSockets.h"

#include "config/ServerLogging.h"
#include "transport/SocketReset.h"

#ifdef Q_OS_UNIX
#include <sys/ioctl.h>
#include <unistd.h>
#endif
#ifdef Q_OS_LINUX
#include <linux/sockios.h>
#endif

#include <cerrno>
#include <cstring>

namespace forgewire {

namespace {

// Bytes the peer has not acknowledged yet; -1 when the platform cannot tell (then only the grace
// ends the hold).
qint64 unacknowledged(int descriptor)
{
#ifdef Q_OS_LINUX
    int bytes = 0;
    if (::ioctl(descriptor, SIOCOUTQ, &bytes) == 0)
        return bytes;
#else
    Q_UNUSED(descriptor);
#endif
    return -1;
}

void closeDescriptor(int descriptor)
{
#ifdef Q_OS_UNIX
    ::close(descriptor);
#else
    Q_UNUSED(descriptor);
#endif
}

} // namespace

HeldSockets::~HeldSockets()
{
    for (const Held& held : std::as_const(m_held)) {
        resetOnClose(held.descriptor);
        closeDescriptor(held.descriptor);
    }
}

void HeldSockets::hold(qintptr descriptor, qint64 nowMs)
{
    if (descriptor < 0)
        return;
#ifdef Q_OS_UNIX
    if (m_held.size() < kMaxHeld) {
        const int copy = ::dup(int(descriptor));
        if (copy >= 0) {
            m_held.append({copy, nowMs + m_graceMs});
            return;
        }
        qCWarning(lcWs) << "could not hold a cut connection's socket:" << std::strerror(errno);
    }
#endif
    // Not held: Qt's own close resets it, so nothing unread stays behind, only the grace is lost.
    resetOnClose(descriptor);
}

void HeldSockets::sweep(qint64 nowMs)
{
    for (qsizetype i = 0; i < m_held.size();) {
        const Held held = m_held.at(i);
        const qint64 left = unacknowledged(held.descriptor);
        if (left == 0) {
            closeDescriptor(held.descriptor); // all read: our FIN, as any close
        } else if (nowMs >= held.deadlineMs) {
            resetOnClose(held.descriptor);
            closeDescriptor(held.descriptor);
        } else {
            ++i;
            continue;
        }
        m_held.removeAt(i);
    }
}

} // namespace forgewire
