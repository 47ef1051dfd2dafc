#pragma once

#include "http/EventStream.h"
#include "transport/ClientConnection.h"
#include "transport/ConnectionGate.h"
#include "transport/WsFrameParser.h"
#include "transport/epoll/Outbox.h"

#include <QByteArray>
#include <QHostAddress>
#include <QString>

#include <memory>

namespace forgewire {

class EpollTransport;

// One accepted TCP connection on a worker thread, read and written on its bare descriptor: the
// upgrade request, then WebSocket frames both ways; or, for `GET <prefix>/user/events`, the request,
// then server-sent events one way (EventStream), written from the same Outbox.
//
// Why not QTcpSocket + QWebSocket: after the upgrade the server only needs to read small masked
// frames and write the frames its Outbox already encodes, and the Qt pair costs ~23 KiB of heap per
// idle connection (two privates, notifiers, a 16 KiB read chunk QRingBuffer keeps once used, a copy
// of the request). Here an idle connection holds this object, its session, and no buffers.
class WsConnection final : public ClientConnection
{
public:
    enum class Phase
    {
        Request,     // reading the HTTP upgrade request
        WebSocket,   // upgraded: frames
        EventStream, // accepted as an event stream: events out, nothing more read
        Lingering,   // an HTTP error response is going out; waiting for the peer to close
        Closed       // descriptor closed; the object is deleted on the next event-loop pass
    };
    enum class ReadResult
    {
        Open,
        Ended // end of stream or a connection error: nothing more will come
    };

    // Bytes read from one connection per wake-up, so one busy peer cannot starve the others.
    static constexpr qint64 kMaxReadBytesPerWake = 64 * 1024;

    // `queuedBytes` (may be null) is the node-wide count the outbox adds its bytes to.
    WsConnection(EpollTransport* transport, int fd, qint64 deadlineMs, qint64 maxMessageBytes,
                 std::atomic<qint64>* queuedBytes = nullptr);
    ~WsConnection() override;

    int fd() const { return m_fd; }
    Phase phase() const { return m_phase; }
    void setPhase(Phase phase) { m_phase = phase; }

    // Appends what the kernel has to input(), up to kMaxReadBytesPerWake.
    ReadResult readAvailable();
    QByteArray& input() { return m_input; }
    WsFrameParser& parser() { return m_parser; }
    Outbox& outbox() { return m_outbox; }
    void closeDescriptor();
    // Serves the connection as an event stream from now on.
    void startEventStream(const QByteArray& allowOrigin);

    // The TCP peer (a trusted proxy's address for the clients behind it), looked up when asked.
    QHostAddress socketPeer() const;

    // ClientConnection, for the session side: the client a trusted proxy named (clientAddress), or
    // the TCP peer, looked up when asked rather than stored per connection.
    QString peerAddress() const override;
    bool isOpen() const override { return m_phase != Phase::Closed; }
    WireFormat::Wire wire() const override
    {
        return m_stream ? WireFormat::Wire::EventStream : WireFormat::Wire::WebSocket;
    }
    void signedIn() override;
    void queueText(const QByteArray& utf8, const QByteArray& frame) override;
    qint64 backlogBytes() const override { return m_outbox.bytes(); }
    void flushNow() override;
    void sendPing() override;
    void close(quint16 code, const QString& reason, CloseMode mode) override;
    void abort() override;

    // Request and Lingering phases: when the sweep gives up on the peer.
    qint64 deadlineMs;
    // EPOLLOUT is armed: the kernel refused part of the outbox.
    bool writeInterest = false;
    // Shut the connection down once the outbox is sent (an HTTP error, the reply to a close frame).
    bool closeWhenFlushed = false;
    // Listed in the worker's connections to flush this event-loop pass.
    bool inDirtyList = false;
    // Counted by the ConnectionGate: for its address, and (until the request is answered) as a
    // pending handshake.
    bool inGate = false;
    bool handshakePending = false;
    // Non-zero while its request waits for ConnectionEvents::checkBeforeUpgrade().
    quint64 checkId = 0;
    ConnectionGate::Address address;
    // Named by a trusted proxy's X-Forwarded-For / X-Real-IP; empty for a direct client.
    QString clientAddress;
    // Our close frame is queued: nothing is sent after it, and the peer's close answers it.
    bool closeSent = false;

private:
    EpollTransport* m_transport;
    int m_fd;
    Phase m_phase = Phase::Request;
    QByteArray m_input;
    WsFrameParser m_parser;
    Outbox m_outbox;
    // Event streams only (a null pointer on a WebSocket connection).
    std::unique_ptr<EventStream> m_stream;
};

} // namespace forgewire
