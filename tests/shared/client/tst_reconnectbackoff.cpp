// The SharedWorker reconnect schedule of PROTOCOL.md: 50 ms, doubling, 10 s cap, reset by its owner
// on hello.

#include "client/ReconnectBackoff.h"

#include <QTest>

using namespace forgewire;
using namespace std::chrono_literals;

class TestReconnectBackoff : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void schedule();
    void peekDoesNotAdvance();
    void resetAfterOpen();
};

void TestReconnectBackoff::schedule()
{
    ReconnectBackoff backoff;
    const std::chrono::milliseconds expected[] = {50ms,   100ms,  200ms,   400ms,   800ms,  1600ms,
                                                  3200ms, 6400ms, 10000ms, 10000ms, 10000ms};
    for (const auto delay : expected)
        QCOMPARE(backoff.next().count(), delay.count());
}

void TestReconnectBackoff::peekDoesNotAdvance()
{
    ReconnectBackoff backoff;
    QCOMPARE(backoff.peek().count(), 50);
    QCOMPARE(backoff.peek().count(), 50);
    backoff.next();
    QCOMPARE(backoff.peek().count(), 100);
}

void TestReconnectBackoff::resetAfterOpen()
{
    ReconnectBackoff backoff;
    for (int i = 0; i < 20; ++i)
        backoff.next();
    QCOMPARE(backoff.peek().count(), 10000);
    backoff.reset();
    QCOMPARE(backoff.next().count(), 50);
    QCOMPARE(backoff.next().count(), 100);
}

QTEST_APPLESS_MAIN(TestReconnectBackoff)
#include "tst_reconnectbackoff.moc"
