#pragma once

#include <QByteArray>
#include <QList>

#include <atomic>

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

    enum class FlushResult
    {
        Done,    // everything was sent; the outbox is empty
        Blocked, // the kernel's buffer is full: flush again when the descriptor is writable
        Failed   // the connection is broken (reset, closed); the outbox was dropped
    };

    Outbox() = default;
    // `account` (may be null) follows bytes() of this outbox: every change to it is added there, so
    // one counter holds the bytes queued by all outboxes (the node's queue budget and its gauge).
    explicit Outbox(std::atomic<qint64>* account) : m_account(account) {}
    ~Outbox() { clear(); }
    Outbox(const Outbox&) = delete;
    Outbox& operator=(const Outbox&) = delete;

    void append(const QByteArray& frame);
    bool isEmpty() const { return m_frames.isEmpty(); }
    // Bytes not yet taken by the kernel.
    qint64 bytes() const { return m_bytes; }
    void clear();
    // Drops every frame the kernel has not started on; the rest of a partly sent frame stays, since
    // the peer could not parse anything after a cut frame. Returns the bytes dropped.
    qint64 dropUnsent();

    // Hands the kernel as much as it takes, with non-blocking scatter/gather sends.
    FlushResult flushTo(int fd);

private:
    QList<QByteArray> m_frames;
    qint64 m_offset = 0; // bytes of m_frames.first() already sent
    qint64 m_bytes = 0;
    std::atomic<qint64>* m_account = nullptr;

    void account(qint64 delta)
    {
        m_bytes += delta;
        if (m_account)
            m_account->fetch_add(delta, std::memory_order_relaxed);
    }
};

} // namespace forgewire
