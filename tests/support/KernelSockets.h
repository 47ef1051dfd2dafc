#pragma once

#include <QList>
#include <QtGlobal>

namespace forgewire::test {

// The kernel's view of the server side of the TCP connections on a local port (the listener left
// out), from /proc/net/tcp and tcp6: for checking that connections the server let go of do not
// keep memory in the kernel (FIN-WAIT-1 with unread bytes). Linux only; empty elsewhere.
struct KernelSocket
{
    static constexpr int kFinWait1 = 0x04;
    int state = 0;
    qint64 sendQueue = 0;
};

QList<KernelSocket> serverSideSockets(quint16 port);

struct KernelHold
{
    int sockets = 0;
    int finWait1 = 0;
    qint64 sendQueueBytes = 0;
};
KernelHold kernelHold(quint16 port);

} // namespace forgewire::test
