#include "transport/epoll/Poller.h"

#include "config/ServerLogging.h"

#include <QSocketNotifier>

#include <cerrno>
#include <cstring>
#include <sys/epoll.h>
#include <unistd.h>

namespace forgewire {

Poller::Poller(Handler handler, QObject* parent) : QObject(parent), m_handler(std::move(handler))
{
    m_epollFd = ::epoll_create1(EPOLL_CLOEXEC);
    if (m_epollFd < 0) {
        qCCritical(lcWs) << "epoll_create1 failed:" << std::strerror(errno);
        return;
    }
    m_notifier = new QSocketNotifier(m_epollFd, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &Poller::dispatch);
}

Poller::~Poller()
{
    if (m_epollFd >= 0) {
        delete m_notifier;
        ::close(m_epollFd);
    }
}

bool Poller::add(int fd, void* tag)
{
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = tag;
    return ::epoll_ctl(m_epollFd, EPOLL_CTL_ADD, fd, &event) == 0;
}

bool Poller::setWritable(int fd, void* tag, bool writable)
{
    epoll_event event{};
    event.events = EPOLLIN | (writable ? quint32(EPOLLOUT) : 0u);
    event.data.ptr = tag;
    return ::epoll_ctl(m_epollFd, EPOLL_CTL_MOD, fd, &event) == 0;
}

void Poller::remove(int fd)
{
    ::epoll_ctl(m_epollFd, EPOLL_CTL_DEL, fd, nullptr);
}

void Poller::dispatch()
{
    epoll_event events[kMaxEventsPerWake];
    int count;
    do {
        count = ::epoll_wait(m_epollFd, events, kMaxEventsPerWake, 0);
    } while (count < 0 && errno == EINTR);
    for (int i = 0; i < count; ++i)
        m_handler(events[i].data.ptr, events[i].events);
}

} // namespace forgewire
