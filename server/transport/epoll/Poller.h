#pragma once

#include <QObject>

#include <functional>

class QSocketNotifier;

namespace forgewire {

// An epoll set watched through one QSocketNotifier: the worker's connections cost the Qt event
// loop one descriptor, whatever their number.
//
// Why: every QSocketNotifier is a descriptor the event dispatcher polls on each pass and (glib)
// unregisters at O(sockets) cost; with thousands of connections per thread that loop dominates.
// epoll reports only the ready descriptors, and arming write interest is one epoll_ctl().
// Level-triggered: a descriptor that still has input after a handler ran is reported again.
class Poller : public QObject
{
    Q_OBJECT
public:
    // Called for each ready descriptor with the tag it was added with and the epoll event bits.
    using Handler = std::function<void(void* tag, quint32 events)>;

    // Ready descriptors handled per wake-up, before the event loop gets its turn again.
    static constexpr int kMaxEventsPerWake = 256;

    explicit Poller(Handler handler, QObject* parent = nullptr);
    ~Poller() override;

    bool isValid() const { return m_epollFd >= 0; }
    bool add(int fd, void* tag);
    // Write interest, for a descriptor whose kernel buffer is full.
    bool setWritable(int fd, void* tag, bool writable);
    void remove(int fd);

private:
    void dispatch();

    int m_epollFd = -1;
    QSocketNotifier* m_notifier = nullptr;
    Handler m_handler;
};

} // namespace forgewire
