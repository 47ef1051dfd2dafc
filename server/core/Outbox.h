#pragma once

#include <QByteArray>
#include <QList>

class QTcpSocket;

namespace forgewire {

// WebSocket frames waiting for one client, written once per event-loop pass.
//
// Why not QWebSocket::sendTextMessage: it converts to UTF-8 and copies the payload for every
// recipient, and every QTcpSocket::write() arms the socket's write notifier, which the glib event
// dispatcher registers and unregisters at O(sockets) cost (see README, Performance). Server frames
// are unmasked, so one encoded frame is valid for every recipient: the outbox holds shared
// references to it, and flushTo() hands them to the kernel with one scatter/gather send() while
// Qt's own buffer is empty. Only what the kernel refuses goes through QTcpSocket::write(), so a
// peer that keeps up never touches Qt's write path, and ordering is kept because nothing is sent
// directly while Qt still holds older bytes.
class Outbox
{
public:
    // Frames handed to the kernel in one send(); below IOV_MAX (1024) on Linux.
    static constexpr int kMaxFramesPerSend = 256;

    static QByteArray textFrame(const QByteArray& utf8);
    static QByteArray pingFrame(const QByteArray& payload = {});

    void append(const QByteArray& frame);
    bool isEmpty() const { return m_frames.isEmpty(); }
    qint64 bytes() const { return m_bytes; }
    void clear();

    // Writes everything to `socket`: straight to its descriptor as far as the kernel takes it, the
    // rest into the socket's buffer (written by Qt's event loop); drops it all if the socket is not
    // connected. Leaves the outbox empty. Returns the bytes the kernel took directly.
    qint64 flushTo(QTcpSocket* socket);

private:
    QList<QByteArray> m_frames;
    qint64 m_bytes = 0;
};

} // namespace forgewire
