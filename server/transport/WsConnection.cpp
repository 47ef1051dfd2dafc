#include "transport/WsConnection.h"

#include "session/ClientSession.h"

#include <QHostAddress>

#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

namespace forgewire {

WsConnection::WsConnection(int fd, qint64 deadline, qint64 maxMessageBytes, std::atomic<qint64>* queuedBytes)
    : deadlineMs(deadline), m_fd(fd), m_parser(maxMessageBytes), m_outbox(queuedBytes)
{}

WsConnection::~WsConnection()
{
    closeDescriptor();
}

void WsConnection::setSession(std::unique_ptr<ClientSession> session)
{
    m_session = std::move(session);
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

QString WsConnection::peerAddress() const
{
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (m_fd < 0 || ::getpeername(m_fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0)
        return QStringLiteral("(disconnected)");
    QHostAddress address(reinterpret_cast<const sockaddr*>(&storage));
    return address.toString();
}

} // namespace forgewire
