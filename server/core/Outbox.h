#pragma once

#include <QByteArray>
#include <QList>

namespace forgewire {

// Bytes waiting for one client (WebSocket frames, or an HTTP response), written once per
// event-loop pass.
//
// Why not QWebSocket::sendTextMessage: it converts to UTF-8 and copies the payload for every
// recipient, and every QTcpSocket::write() arms the socket's write notifier, which the glib event
// dispatcher registers and unregisters at O(sockets) cost (see README, Performance). Server frames
// are unmasked, so one encoded frame is valid for every recipient: the outbox holds shared
// references to it, and flushTo() hands them to the kernel with one scatter/gather send(). What the
// kernel refuses stays here, in order, until the descriptor is writable again.
class Outbox
{
public:
    // Frames handed to the kernel in one send(); below IOV_MAX (1024) on Linux.
    static constexpr int kMaxFramesPerSend = 256;

    static QByteArray textFrame(const QByteArray& utf8);
    static QByteArray pingFrame(const QByteArray& payload = {});
    static QByteArray pongFrame(const QByteArray& payload);
    // RFC 6455 section 7.4.1: "no status code"; never sent as a code.
    static constexpr quint16 kNoStatusCode = 1005;
    // `reason` is cut to fit a control frame (123 bytes after the code); kNoStatusCode: empty close.
    static QByteArray closeFrame(quint16 code, const QByteArray& reason);

    enum class FlushResult
    {
        Done,    // everything was sent; the outbox is empty
        Blocked, // the kernel's buffer is full: flush again when the descriptor is writable
        Failed   // the connection is broken (reset, closed); the outbox was dropped
    };

    void append(const QByteArray& frame);
    bool isEmpty() const { return m_frames.isEmpty(); }
    // Bytes not yet taken by the kernel.
    qint64 bytes() const { return m_bytes; }
    void clear();

    // Hands the kernel as much as it takes, with non-blocking scatter/gather sends.
    FlushResult flushTo(int fd);

private:
    QList<QByteArray> m_frames;
    qint64 m_offset = 0; // bytes of m_frames.first() already sent
    qint64 m_bytes = 0;
};

} // namespace forgewire
