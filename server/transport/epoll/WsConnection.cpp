#include "transport/epoll/WsConnection.h"

#include "metrics/Metrics.h"
#include "transport/SocketReset.h"
#include "transport/WsProtocol.h"
#include "transport/epoll/EpollTransport.h"

#include <QHostAddress>

#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

namespace forgewire {

WsConnection::WsConnection(EpollTransport* transport, int fd, qint64 deadline, qint64 maxMessageBytes,
                           std::atomic<qint64>* queuedBytes)
    : deadlineMs(deadline), m_transport(transport), m_fd(fd), m_parser(maxMessageBytes), m_outbox(queuedBytes)
{}

WsConnection::~WsConnection()
{
    closeDescriptor();
}

void WsConnection::startEventStream(const QByteArray& allowOrigin)
{
    m_stream = std::make_unique<EventStream>(allowOrigin);
    m_phase = Phase::EventStream;
}

void WsConnection::signedIn()
{
    if (m_stream && !closeSent)
        m_transport->queueBytes(this, m_stream->open());
}

void WsConnection::queueText(const QByteArray& utf8, const QByteArray& frame)
{
    if (m_phase == Phase::Closed || closeSent)
        return;
    if (m_stream) {
        // An event, as the session's format wrote it.
        m_transport->queueBytes(this, utf8);
        ++m_transport->metrics()->eventStreamEvents;
        return;
    }
    m_transport->queueBytes(this, frame.isEmpty() ? ws::textFrame(utf8) : frame);
}

void WsConnection::flushNow()
{
    m_transport->flushConnection(this);
}

void WsConnection::sendPing()
{
    if (closeSent)
        return;
    if (m_stream) {
        if (m_stream->isOpen())
            m_transport->queueBytes(this, EventStream::keepAlive());
        m_transport->keepAliveSent(this);
        return;
    }
    // Through the outbox like every other frame, so it never overtakes one.
    static const QByteArray ping = ws::pingFrame();
    m_transport->queueBytes(this, ping);
}

void WsConnection::close(quint16 code, const QString& reason, CloseMode mode)
{
    if (m_phase == Phase::Closed || closeSent)
        return;
    if (mode == CloseMode::DiscardUnsent) {
        // What it has not read is dropped, not sent: keeping it until the close handshake times out
        // is exactly the memory the cap is there to bound. Our FIN right behind the close frame
        // (once the kernel takes it): the peer is not reading, so waiting for its close frame is
        // only bounded by the sweep.
        m_outbox.dropUnsent();
        closeWhenFlushed = true;
    }
    if (m_stream) {
        // No close handshake: the end of the stream is the close.
        m_transport->metrics()->noteStreamClosed(code);
        m_transport->queueBytes(this, m_stream->closing(code, reason));
        closeSent = true;
        closeWhenFlushed = true;
        m_transport->flushConnection(this);
        return;
    }
    // Behind what was queued before it; nothing is sent after it.
    m_transport->queueBytes(this, ws::closeFrame(code, reason.toUtf8()));
    closeSent = true;
    m_transport->flushConnection(this);
}

void WsConnection::abort()
{
    // Given up on (see Worker's sweep): a reset, so its unread bytes leave the kernel too.
    resetOnClose(m_fd);
    m_transport->dropConnection(this);
}

void WsConnection::closeDescriptor()
{
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    m_phase = Phase::Closed;
    m_outbox.clear();
    m_input.clear();
}

WsConnection::ReadResult WsConnection::readAvailable()
{
    char chunk[16 * 1024];
    qint64 total = 0;
    while (m_fd >= 0 && total < kMaxReadBytesPerWake) {
        const ssize_t received = ::recv(m_fd, chunk, sizeof chunk, MSG_DONTWAIT);
        if (received > 0) {
            m_input.append(chunk, received);
            total += received;
            // A short read drained the kernel's buffer; level-triggered epoll reports anything newer.
            if (size_t(received) < sizeof chunk)
                return ReadResult::Open;
            continue;
        }
        if (received == 0)
            return ReadResult::Ended;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return ReadResult::Open;
        return ReadResult::Ended;
    }
    return m_fd >= 0 ? ReadResult::Open : ReadResult::Ended;
}

QHostAddress WsConnection::socketPeer() const
{
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (m_fd < 0 || ::getpeername(m_fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0)
        return {};
    return QHostAddress(reinterpret_cast<const sockaddr*>(&storage));
}

QString WsConnection::peerAddress() const
{
    if (!clientAddress.isEmpty())
        return clientAddress;
    const QHostAddress peer = socketPeer();
    return peer.isNull() ? QStringLiteral("(disconnected)") : peer.toString();
}

} // namespace forgewire
