#include "transport/Outbox.h"

#include "transport/WsProtocol.h"

#include <cerrno>
#include <sys/socket.h>
#include <sys/uio.h>

namespace forgewire {

using namespace ws;

namespace {

// RFC 6455 section 5.2, server to client: never masked.
QByteArray encodeFrame(quint8 opcode, const QByteArray& payload)
{
    const quint64 length = quint64(payload.size());
    QByteArray frame;
    frame.reserve(payload.size() + 10);
    frame.append(char(kFinBit | opcode));
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
    return encodeFrame(kOpPing, payload.left(kMaxControlPayload));
}

QByteArray Outbox::pongFrame(const QByteArray& payload)
{
    return encodeFrame(kOpPong, payload.left(kMaxControlPayload));
}

QByteArray Outbox::closeFrame(quint16 code, const QByteArray& reason)
{
    // "No code": the frame carries none (the echo of a client's empty close).
    if (code == kNoStatusCode)
        return encodeFrame(kOpClose, {});
    QByteArray payload;
    payload.append(char(code >> 8));
    payload.append(char(code & 0xFF));
    // Cut at a character boundary: a close reason must stay valid UTF-8.
    QByteArray cut = reason.left(kMaxControlPayload - 2);
    while (!cut.isEmpty() && !cut.isValidUtf8())
        cut.chop(1);
    payload.append(cut);
    return encodeFrame(kOpClose, payload);
}

void Outbox::append(const QByteArray& frame)
{
    m_frames.append(frame);
    account(frame.size());
}

void Outbox::clear()
{
    m_frames = {};
    m_offset = 0;
    account(-m_bytes);
}

qint64 Outbox::dropUnsent()
{
    const qint64 before = m_bytes;
    if (m_offset == 0) {
        clear();
        return before;
    }
    m_frames.resize(1);
    m_frames.squeeze();
    account(m_frames.first().size() - m_offset - m_bytes);
    return before - m_bytes;
}

Outbox::FlushResult Outbox::flushTo(int fd)
{
    while (!m_frames.isEmpty()) {
        iovec iov[kMaxFramesPerSend];
        int count = 0;
        size_t wanted = 0;
        for (qsizetype i = 0; i < m_frames.size() && count < kMaxFramesPerSend; ++i, ++count) {
            const qint64 skip = i == 0 ? m_offset : 0;
            iov[count].iov_base = const_cast<char*>(m_frames[i].constData() + skip);
            iov[count].iov_len = size_t(m_frames[i].size() - skip);
            wanted += iov[count].iov_len;
        }
        msghdr message{};
        message.msg_iov = iov;
        message.msg_iovlen = size_t(count);
        const ssize_t sent = ::sendmsg(fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return FlushResult::Blocked;
            clear();
            return FlushResult::Failed;
        }
        account(-qint64(sent));
        qsizetype done = 0;
        for (qint64 left = sent; left > 0;) {
            const qint64 rest = m_frames[done].size() - m_offset;
            if (left < rest) {
                m_offset += left;
                break;
            }
            left -= rest;
            ++done;
            m_offset = 0;
        }
        m_frames.remove(0, done);
        if (size_t(sent) < wanted)
            return FlushResult::Blocked;
    }
    // Release the list's storage too: an idle connection keeps nothing allocated here.
    m_frames = {};
    return FlushResult::Done;
}

} // namespace forgewire
