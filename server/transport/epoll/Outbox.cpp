#include "transport/epoll/Outbox.h"

#include <cerrno>
#include <sys/socket.h>
#include <sys/uio.h>

namespace forgewire {

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
