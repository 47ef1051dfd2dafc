#pragma once

#include "transport/ConnectionGate.h"
#include "transport/Outbox.h"
#include "transport/WsFrameParser.h"

#include <QByteArray>
#include <QString>

#include <memory>

namespace forgewire {

class ClientSession;

// One accepted TCP connection on a worker thread, read and written on its bare descriptor: the
// upgrade request, then WebSocket frames both ways.
//
// Why not QTcpSocket + QWebSocket: after the upgrade the server only needs to read small masked
// frames and write the frames its Outbox already encodes, and the Qt pair costs ~23 KiB of heap per
// idle connection (two privates, notifiers, a 16 KiB read chunk QRingBuffer keeps once used, a copy
// of the request). Here an idle connection holds this object, its session, and no buffers.
class WsConnection
{
public:
    enum class Phase
    {
        Request,   // reading the HTTP upgrade request
        WebSocket, // upgraded: frames
        Lingering, // an HTTP error response is going out; waiting for the peer to close
        Closed     // descriptor closed; the object is deleted on the next event-loop pass
    };
    enum class ReadResult
    {
        Open,
        Ended // end of stream or a connection error: nothing more will come
    };

    // Bytes read from one connection per wake-up, so one busy peer cannot starve the others.
    static constexpr qint64 kMaxReadBytesPerWake = 64 * 1024;

    // `queuedBytes` (may be null) is the node-wide count the outbox adds its bytes to.
    WsConnection(int fd, qint64 deadlineMs, qint64 maxMessageBytes,
                 std::atomic<qint64>* queuedBytes = nullptr);
    ~WsConnection();
    WsConnection(const WsConnection&) = delete;
    WsConnection& operator=(const WsConnection&) = delete;

    int fd() const { return m_fd; }
    Phase phase() const { return m_phase; }
    void setPhase(Phase phase) { m_phase = phase; }

    // Appends what the kernel has to input(), up to kMaxReadBytesPerWake.
    ReadResult readAvailable();
    QByteArray& input() { return m_input; }
    WsFrameParser& parser() { return m_parser; }
    Outbox& outbox() { return m_outbox; }
    void closeDescriptor();

    // The peer's address for log lines, looked up when asked rather than stored per connection.
    QString peerAddress() const;

    ClientSession* session() const { return m_session.get(); }
    void setSession(std::unique_ptr<ClientSession> session);

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
    ConnectionGate::Address address;

private:
    int m_fd;
    Phase m_phase = Phase::Request;
    QByteArray m_input;
    WsFrameParser m_parser;
    Outbox m_outbox;
    std::unique_ptr<ClientSession> m_session;
};

} // namespace forgewire
