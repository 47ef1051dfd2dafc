#include "KernelSockets.h"

#include <QFile>

namespace forgewire::test {

QList<KernelSocket> serverSideSockets(quint16 port)
{
    constexpr int kListen = 0x0A;
    QList<KernelSocket> sockets;
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        QFile file(QString::fromLatin1(table));
        if (!file.open(QIODevice::ReadOnly))
            continue;
        file.readLine(); // the header
        while (!file.atEnd()) {
            const QList<QByteArray> fields = file.readLine().simplified().split(' ');
            if (fields.size() < 5)
                continue;
            const QByteArray local = fields.at(1);
            if (local.mid(local.lastIndexOf(':') + 1).toUInt(nullptr, 16) != port)
                continue;
            const int state = fields.at(3).toInt(nullptr, 16);
            if (state == kListen)
                continue;
            const QByteArray queues = fields.at(4);
            sockets.append({state, queues.left(queues.indexOf(':')).toLongLong(nullptr, 16)});
        }
    }
    return sockets;
}

KernelHold kernelHold(quint16 port)
{
    KernelHold hold;
    for (const KernelSocket& socket : serverSideSockets(port)) {
        ++hold.sockets;
        hold.finWait1 += socket.state == KernelSocket::kFinWait1 ? 1 : 0;
        hold.sendQueueBytes += socket.state == KernelSocket::kFinWait1 ? socket.sendQueue : 0;
    }
    return hold;
}

} // namespace forgewire::test
