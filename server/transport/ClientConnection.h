#pragma once

#include "format/WireFormat.h"

#include <QByteArray>
#include <QString>

#include <memory>

namespace forgewire {

class ClientSession;

// What a session needs from its connection, whatever the transport under it (see Transport): the
// session side (Worker) sends, pings and closes through this and never touches a socket. Every
// call is made on the worker's thread that owns the connection.
class ClientConnection
{
public:
    enum class CloseMode
    {
        // Our close frame behind what is queued; the connection goes when the peer answers it (or
        // when the worker's sweep gives up on the answer).
        AwaitReply,
        // Unsent messages are dropped first (a peer that does not read keeps at most the rest of a
        // partly sent frame), then our close frame and the end of our side of the stream.
        DiscardUnsent,
    };

    ClientConnection();
    virtual ~ClientConnection();
    ClientConnection(const ClientConnection&) = delete;
    ClientConnection& operator=(const ClientConnection&) = delete;

    // The session of an upgraded connection, owned by it (null before the upgrade).
    ClientSession* session() const { return m_session.get(); }
    void setSession(std::unique_ptr<ClientSession> session);

    // The peer's address, for log lines.
    virtual QString peerAddress() const = 0;
    // False once the connection is gone: nothing queued then goes anywhere.
    virtual bool isOpen() const = 0;
    // What the transport accepted the connection as; the session picks its WireFormat by it.
    virtual WireFormat::Wire wire() const { return WireFormat::Wire::WebSocket; }
    // The session signed its client in: a transport that holds its response until then (an event
    // stream, whose refusal is an HTTP status) sends it now.
    virtual void signedIn() {}
    // Queues one message, as the session's WireFormat encoded it: `utf8`, or when the caller has it,
    // `frame` (its unmasked text frame,
    // encoded once and shared by every recipient, see ws::textFrame). The caller (Worker::queueText)
    // checks backlogBytes() against the send-queue cap right after, so the cap counts at enqueue.
    virtual void queueText(const QByteArray& utf8, const QByteArray& frame = {}) = 0;
    // Bytes queued for the peer that the kernel has not taken yet.
    virtual qint64 backlogBytes() const = 0;
    // Hands the kernel what it takes now (a burst fills the queue before the event loop writes it).
    virtual void flushNow() = 0;
    // A keepalive ping; its pong is reported with ConnectionEvents::pongReceived() (an event stream,
    // whose client cannot answer, reports it once the keep-alive is queued: a dead peer shows as a
    // failed write or a send queue over its bound).
    virtual void sendPing() = 0;
    // Sends our close frame (once). `reason` is cut to fit a control frame.
    virtual void close(quint16 code, const QString& reason, CloseMode mode) = 0;
    // Ends the TCP connection now; ConnectionEvents::connectionClosed() runs before this returns.
    virtual void abort() = 0;

private:
    std::unique_ptr<ClientSession> m_session;
};

} // namespace forgewire
