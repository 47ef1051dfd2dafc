#pragma once

#include <QList>
#include <QtGlobal>

namespace forgewire {

// The sockets of connections the qt transport cut as slow consumers. QWebSocket::close() closes
// the descriptor as soon as its own buffer is in the kernel, which leaves the bytes the peer did not
// read (megabytes behind the close frame) in FIN-WAIT-1 for as long as the peer keeps its window
// shut. So before the close, a duplicate of the descriptor is held here: the socket stays open
// past Qt's close; once the peer has read everything (the 4008 close frame included) it is closed
// as usual, and if it has not within the grace (the pong deadline, as on epoll) it is reset, which
// frees the kernel's send buffer (see SocketReset.h).
class HeldSockets
{
public:
    // Each held socket is one descriptor more than the connections the gate counts: at most this
    // many; past it a cut connection is reset when Qt closes it, without the grace.
    static constexpr int kMaxHeld = 1024;

    explicit HeldSockets(qint64 graceMs) : m_graceMs(graceMs) {}
    ~HeldSockets();
    HeldSockets(const HeldSockets&) = delete;
    HeldSockets& operator=(const HeldSockets&) = delete;

    // Holds `descriptor` (duplicated; the caller's stays its own) until the peer has read what the
    // kernel still has for it, or the grace ends.
    void hold(qintptr descriptor, qint64 nowMs);
    // Closes the sockets whose peer has read everything, and resets those past the grace.
    void sweep(qint64 nowMs);
    int size() const { return int(m_held.size()); }

private:
    struct Held
    {
        int descriptor = -1;
        qint64 deadlineMs = 0;
    };
    QList<Held> m_held;
    qint64 m_graceMs;
};

} // namespace forgewire
