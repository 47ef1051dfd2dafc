#include "Outbox.h"

#include <QTcpSocket>

#include <cerrno>
#include <sys/socket.h>
#include <sys/uio.h>

namespace forgewire {

namespace {

enum : quint8
{
    kOpText = 0x1,
    kOpPing = 0x9,
    kFin = 0x80,
};

// RFC 6455 section 5.2, server to client: never masked.
QByteArray encodeFrame(quint8 opcode, const QByteArray& payload)
{
    const quint64 length = quint64(payload.size());
    QByteArray frame;
    frame.reserve(payload.size() + 10);
    frame.append(char(kFin | opcode));
    if (length <= 125) {
        frame.append(char(length));
    } else if (length <= 0xFFFF) {
        frame.append(char(126));
        frame.append(char(length >> 8));
        frame.append(char(length & 0xFF));
    } else {
        frame.append(char(127));
        for (int shift = 56; shift >= 0; shift -= 8)
            frame.append(char((length >> shift) & 0xFF));
    }
    frame.append(payload);
    return frame;
}

} // namespace

QByteArray Outbox::textFrame(const QByteArray& utf8)
{
    return encodeFrame(kOpText, utf8);
}

QByteArray Outbox::pingFrame(const QByteArray& payload)
{
    // Control frames carry at most 125 bytes (RFC 6455 section 5.5).
    return encodeFrame(kOpPing, payload.left(125));
}

void Outbox::append(const QByteArray& frame)
{
    m_frames.append(frame);
    m_bytes += frame.size();
}

void Outbox::clear()
{
    m_frames.clear();
    m_bytes = 0;
}

qint64 Outbox::flushTo(QTcpSocket* socket)
{
    if (socket->state() != QAbstractSocket::ConnectedState) {
        clear();
        return 0;
    }
    qsizetype first = 0; // first frame not entirely sent
    qint64 offset = 0;   // bytes of m_frames[first] already sent
    qint64 direct = 0;
    const qintptr fd = socket->socketDescriptor();
    // Only while Qt's buffer is empty: otherwise these bytes would overtake older ones.
    const bool canSendDirectly = fd >= 0 && socket->bytesToWrite() == 0;
    while (canSendDirectly && first < m_frames.size()) {
        iovec iov[kMaxFramesPerSend];
        int count = 0;
        size_t wanted = 0;
        for (qsizetype i = first; i < m_frames.size() && count < kMaxFramesPerSend; ++i, ++count) {
            const qint64 skip = i == first ? offset : 0;
            iov[count].iov_base = const_cast<char*>(m_frames[i].constData() + skip);
            iov[count].iov_len = size_t(m_frames[i].size() - skip);
            wanted += iov[count].iov_len;
        }
        msghdr message{};
        message.msg_iov = iov;
        message.msg_iovlen = size_t(count);
        const ssize_t sent = ::sendmsg(int(fd), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            // EAGAIN: the kernel's buffer is full. Any other error: Qt's write path meets it too and
            // reports it through the socket's usual signals.
            break;
        }
        direct += sent;
        for (qint64 left = sent; left > 0;) {
            const qint64 rest = m_frames[first].size() - offset;
            if (left < rest) {
                offset += left;
                break;
            }
            left -= rest;
            ++first;
            offset = 0;
        }
        if (size_t(sent) < wanted)
            break;
    }
    for (qsizetype i = first; i < m_frames.size(); ++i) {
        if (i == first && offset > 0)
            socket->write(m_frames[i].constData() + offset, m_frames[i].size() - offset);
        else
            socket->write(m_frames[i]);
    }
    clear();
    return direct;
}

} // namespace forgewire
