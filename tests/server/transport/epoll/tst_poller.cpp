#include "transport/epoll/Poller.h"

#include <QSignalSpy>
#include <QTest>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace forgewire;

// The poller against real descriptors (a socket pair) and Qt's real event loop.
class TestPoller : public QObject
{
    Q_OBJECT

private:
    struct Call
    {
        void* tag;
        quint32 events;
    };
    struct SocketPair
    {
        int fds[2] = {-1, -1};
        SocketPair() { ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds); }
        ~SocketPair()
        {
            for (int fd : fds)
                if (fd >= 0)
                    ::close(fd);
        }
    };

private Q_SLOTS:
    void readableDescriptorReportedWithItsTag();
    void levelTriggeredUntilRead();
    void writeInterestOnlyWhenAsked();
    void removedDescriptorIsNotReported();
    void manyReadyDescriptorsAllReported();
};

void TestPoller::readableDescriptorReportedWithItsTag()
{
    QList<Call> calls;
    Poller poller([&](void* tag, quint32 events) { calls.append({tag, events}); });
    QVERIFY(poller.isValid());
    SocketPair pair;
    int tag = 0;
    QVERIFY(poller.add(pair.fds[0], &tag));
    QTest::qWait(20);
    QVERIFY(calls.isEmpty()); // nothing to read yet
    QCOMPARE(::write(pair.fds[1], "x", 1), 1);
    QTRY_VERIFY(!calls.isEmpty());
    QCOMPARE(calls.first().tag, static_cast<void*>(&tag));
    QVERIFY(calls.first().events & EPOLLIN);
}

void TestPoller::levelTriggeredUntilRead()
{
    int reported = 0;
    SocketPair pair;
    Poller poller([&](void*, quint32) { ++reported; });
    QVERIFY(poller.add(pair.fds[0], nullptr));
    QCOMPARE(::write(pair.fds[1], "x", 1), 1);
    // Unread input is reported on every pass, so a handler that reads part of it later loses nothing.
    QTRY_VERIFY(reported >= 3);
    char byte;
    QCOMPARE(::read(pair.fds[0], &byte, 1), 1);
    QTest::qWait(20);
    const int afterRead = reported;
    QTest::qWait(50);
    QCOMPARE(reported, afterRead);
}

void TestPoller::writeInterestOnlyWhenAsked()
{
    QList<Call> calls;
    SocketPair pair;
    Poller poller([&](void* tag, quint32 events) { calls.append({tag, events}); });
    QVERIFY(poller.add(pair.fds[0], nullptr));
    QTest::qWait(30);
    QVERIFY(calls.isEmpty()); // writable, but nobody asked
    QVERIFY(poller.setWritable(pair.fds[0], nullptr, true));
    QTRY_VERIFY(!calls.isEmpty());
    QVERIFY(calls.last().events & EPOLLOUT);
    QVERIFY(poller.setWritable(pair.fds[0], nullptr, false));
    QTest::qWait(20);
    calls.clear();
    QTest::qWait(50);
    QVERIFY(calls.isEmpty());
}

void TestPoller::removedDescriptorIsNotReported()
{
    int reported = 0;
    SocketPair pair;
    Poller poller([&](void*, quint32) { ++reported; });
    QVERIFY(poller.add(pair.fds[0], nullptr));
    poller.remove(pair.fds[0]);
    QCOMPARE(::write(pair.fds[1], "x", 1), 1);
    QTest::qWait(50);
    QCOMPARE(reported, 0);
}

void TestPoller::manyReadyDescriptorsAllReported()
{
    // More ready descriptors than one wake-up handles: the rest come on the next pass.
    const int count = Poller::kMaxEventsPerWake + 10; // two descriptors each: stays under a 1024 fd limit
    std::vector<std::unique_ptr<SocketPair>> pairs;
    QSet<void*> seen;
    Poller poller([&](void* tag, quint32) {
        seen.insert(tag);
        char byte;
        ::read(static_cast<SocketPair*>(tag)->fds[0], &byte, 1);
    });
    for (int i = 0; i < count; ++i) {
        pairs.push_back(std::make_unique<SocketPair>());
        QVERIFY(pairs.back()->fds[0] >= 0);
        QVERIFY(poller.add(pairs.back()->fds[0], pairs.back().get()));
        QCOMPARE(::write(pairs.back()->fds[1], "x", 1), 1);
    }
    QTRY_COMPARE(seen.size(), count);
}

QTEST_GUILESS_MAIN(TestPoller)
#include "tst_poller.moc"
