// The shared connection's decisions against a fake clock: the PROTOCOL.md backoff, 4001, stopping,
// resume-from-sleep and a silent peer.

#include "FakeClock.h"
#include "client/ConnectionSchedule.h"
#include "protocol/Protocol.h"

#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace std::chrono_literals;
using State = ConnectionSchedule::State;
using Step = ConnectionSchedule::Step;
using Kind = ConnectionSchedule::Step::Kind;

Q_DECLARE_METATYPE(ConnectionSchedule::Step)

namespace QTest {
template<>
char* toString(const ConnectionSchedule::Step& step)
{
    static const char* names[] = {"Nothing", "Open", "OpenLater", "Close", "Ping"};
    return qstrdup(
        QByteArray(names[int(step.kind)] + QByteArray(" ") + QByteArray::number(qint64(step.delay.count())))
            .constData());
}
} // namespace QTest

class TestConnectionSchedule : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void firstConsumerOpensAtOnce();
    void failuresFollowTheBackoff();
    void helloResetsTheBackoff();
    void upgradeClosedBeforeHelloKeepsBackingOff();
    void closeCodes_data();
    void closeCodes();
    void errorThenDisconnectCountsOnce();
    void unauthorizedWaitsForANewToken();
    void stopCancelsEverything();
    void lateTickMeansSleep_data();
    void lateTickMeansSleep();
    void punctualTicksKeepTheConnection();
    void silentPeerIsPingedThenDropped();
    void helloHeartbeatSetsThePingInterval();
    void connectingTooLongFails();

private:
    // A schedule that has opened and is connected.
    static void connect(ConnectionSchedule& schedule)
    {
        schedule.start();
        schedule.opened();
    }
};

void TestConnectionSchedule::firstConsumerOpensAtOnce()
{
    FakeClock clock;
    ConnectionSchedule schedule(clock);
    QCOMPARE(schedule.state(), State::Idle);
    QCOMPARE(schedule.start(), (Step{Kind::Open, 0ms}));
    QCOMPARE(schedule.state(), State::Connecting);
    // A second start while opening does not open another socket.
    QCOMPARE(schedule.start(), Step{});
    QCOMPARE(schedule.opened(), Step{});
    QCOMPARE(schedule.state(), State::Connected);
}

void TestConnectionSchedule::failuresFollowTheBackoff()
{
    FakeClock clock;
    ConnectionSchedule schedule(clock);
    schedule.start();
    const std::chrono::milliseconds expected[] = {50ms,   100ms,  200ms,   400ms,   800ms,  1600ms,
                                                  3200ms, 6400ms, 10000ms, 10000ms, 10000ms};
    for (const auto delay : expected) {
        QCOMPARE(schedule.closed(0), (Step{Kind::OpenLater, delay}));
        QCOMPARE(schedule.state(), State::Reconnecting);
        clock.advance(delay);
        QCOMPARE(schedule.retryDue(), (Step{Kind::Open, 0ms}));
        QCOMPARE(schedule.state(), State::Connecting);
    }
}

void TestConnectionSchedule::helloResetsTheBackoff()
{
    FakeClock clock;
    ConnectionSchedule schedule(clock);
    schedule.start();
    for (int i = 0; i < 4; ++i) {
        schedule.closed(0);
        schedule.retryDue();
    }
    QCOMPARE(schedule.nextDelay(), 800ms);
    schedule.opened();
    // The upgrade alone proves nothing (PROTOCOL.md v1.1).
    QCOMPARE(schedule.nextDelay(), 800ms);
    schedule.helloReceived(25s);
    QCOMPARE(schedule.nextDelay(), 50ms);
    QCOMPARE(schedule.closed(protocol::CloseCode::GoingAway), (Step{Kind::OpenLater, 50ms}));
}

void TestConnectionSchedule::upgradeClosedBeforeHelloKeepsBackingOff()
{
    // A draining server, a bridge whose forge is down, an auth timeout: every upgrade succeeds and is
    // closed before hello. Each counts as a failure, so the delays grow instead of staying at 50 ms.
    FakeClock clock;
    ConnectionSchedule schedule(clock);
    schedule.start();
    const std::chrono::milliseconds expected[] = {50ms, 100ms, 200ms, 400ms, 800ms, 1600ms, 3200ms};
    for (const auto delay : expected) {
        QCOMPARE(schedule.opened(), Step{});
        QCOMPARE(schedule.state(), State::Connected);
        QCOMPARE(schedule.closed(protocol::CloseCode::GoingAway), (Step{Kind::OpenLater, delay}));
        clock.advance(delay);
        QCOMPARE(schedule.retryDue(), (Step{Kind::Open, 0ms}));
    }
    // A hello that arrives late (not on this socket) changes nothing either.
    schedule.helloReceived(25s);
    QCOMPARE(schedule.nextDelay(), 6400ms);
}

void TestConnectionSchedule::closeCodes_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<bool>("retries");
    QTest::newRow("no close frame") << 0 << true;
    QTest::newRow("1000 normal") << 1000 << true;
    QTest::newRow("1001 going away") << int(protocol::CloseCode::GoingAway) << true;
    QTest::newRow("1006 abnormal") << 1006 << true;
    QTest::newRow("1009 too big") << int(protocol::CloseCode::TooBig) << true;
    QTest::newRow("4008 slow consumer") << int(protocol::CloseCode::SlowConsumer) << true;
    QTest::newRow("4001 unauthorized") << int(protocol::CloseCode::Unauthorized) << false;
}

void TestConnectionSchedule::closeCodes()
{
    QFETCH(int, code);
    QFETCH(bool, retries);
    FakeClock clock;
    ConnectionSchedule schedule(clock);
    connect(schedule);
    const Step step = schedule.closed(code);
    if (retries) {
        QCOMPARE(step, (Step{Kind::OpenLater, 50ms}));
        QCOMPARE(schedule.state(), State::Reconnecting);
    } else {
        QCOMPARE(step, (Step{Kind::Close, 0ms}));
        QCOMPARE(schedule.state(), State::Unauthorized);
    }
}

void TestConnectionSchedule::errorThenDisconnectCountsOnce()
{
    FakeClock clock;
    ConnectionSchedule schedule(clock);
    connect(schedule);
    QCOMPARE(schedule.closed(0).kind, Kind::OpenLater);
    QCOMPARE(schedule.closed(0), Step{});
    QCOMPARE(schedule.closed(protocol::CloseCode::Unauthorized), Step{});
    QCOMPARE(schedule.nextDelay(), 100ms);
}

void TestConnectionSchedule::unauthorizedWaitsForANewToken()
{
    FakeClock clock;
    ConnectionSchedule schedule(clock);
    connect(schedule);
    schedule.closed(protocol::CloseCode::Unauthorized);
    QCOMPARE(schedule.retryDue(), Step{});
    clock.advance(1h);
    QCOMPARE(schedule.tick(), Step{});
    QCOMPARE(schedule.state(), State::Unauthorized);
    // The owner calls start() again once it has another token.
    QCOMPARE(schedule.start(), (Step{Kind::Open, 0ms}));
    QCOMPARE(schedule.state(), State::Connecting);
}

void TestConnectionSchedule::stopCancelsEverything()
{
    FakeClock clock;
    ConnectionSchedule schedule(clock);
    connect(schedule);
    schedule.closed(0);
    QCOMPARE(schedule.stop(), (Step{Kind::Close, 0ms}));
    QCOMPARE(schedule.state(), State::Idle);
    QCOMPARE(schedule.retryDue(), Step{});
    QCOMPARE(schedule.closed(0), Step{});
    clock.advance(1h);
    QCOMPARE(schedule.tick(), Step{});
    QCOMPARE(schedule.stop(), Step{});
    // Coming back starts from the first delay again.
    schedule.start();
    QCOMPARE(schedule.closed(0), (Step{Kind::OpenLater, 50ms}));
}

void TestConnectionSchedule::lateTickMeansSleep_data()
{
    QTest::addColumn<bool>("connectedBefore");
    QTest::newRow("connected") << true;
    QTest::newRow("waiting to retry") << false;
}

void TestConnectionSchedule::lateTickMeansSleep()
{
    QFETCH(bool, connectedBefore);
    FakeClock clock;
    ConnectionSchedule schedule(clock);
    schedule.start();
    for (int i = 0; i < 6; ++i) {
        schedule.closed(0);
        schedule.retryDue();
    }
    if (connectedBefore)
        schedule.opened();
    else
        schedule.closed(0);

    // The laptop lid was closed for ten minutes: the tick arrives that much later.
    clock.advance(10min);
    QCOMPARE(schedule.tick(), (Step{Kind::Open, 0ms}));
    QCOMPARE(schedule.state(), State::Connecting);
    QCOMPARE(schedule.nextDelay(), 50ms);
}

void TestConnectionSchedule::punctualTicksKeepTheConnection()
{
    FakeClock clock;
    ConnectionSchedule schedule(clock);
    connect(schedule);
    for (int i = 0; i < 100; ++i) {
        clock.advance(ConnectionSchedule::kTickInterval);
        schedule.received();
        QCOMPARE(schedule.tick(), Step{});
    }
    // Late, but not by a suspend's worth: a busy machine, not a sleeping one.
    clock.advance(ConnectionSchedule::kTickInterval + ConnectionSchedule::kSleepThreshold - 1ms);
    schedule.received();
    QCOMPARE(schedule.tick(), Step{});
    QCOMPARE(schedule.state(), State::Connected);
}

void TestConnectionSchedule::silentPeerIsPingedThenDropped()
{
    FakeClock clock;
    ConnectionSchedule schedule(clock);
    connect(schedule);
    int pings = 0;
    Step step;
    // Ticks on time, but nothing ever arrives.
    for (int i = 0; i < 20 && step.kind != Kind::OpenLater; ++i) {
        clock.advance(ConnectionSchedule::kTickInterval);
        step = schedule.tick();
        if (step.kind == Kind::Ping)
            ++pings;
    }
    QCOMPARE(step, (Step{Kind::OpenLater, 50ms}));
    QCOMPARE(pings, 1);
    QCOMPARE(schedule.state(), State::Reconnecting);
}

void TestConnectionSchedule::helloHeartbeatSetsThePingInterval()
{
    FakeClock clock;
    ConnectionSchedule schedule(clock);
    connect(schedule);
    schedule.helloReceived(60s);
    for (int i = 0; i < 11; ++i) {
        clock.advance(ConnectionSchedule::kTickInterval);
        QCOMPARE(schedule.tick(), Step{});
    }
    clock.advance(ConnectionSchedule::kTickInterval);
    QCOMPARE(schedule.tick().kind, Kind::Ping);
    schedule.received(); // the pong
    clock.advance(ConnectionSchedule::kTickInterval);
    QCOMPARE(schedule.tick(), Step{});
}

void TestConnectionSchedule::connectingTooLongFails()
{
    FakeClock clock;
    ConnectionSchedule schedule(clock);
    schedule.start();
    std::chrono::milliseconds waited{0};
    Step step;
    while (step.kind == Kind::Nothing && waited < 1min) {
        clock.advance(ConnectionSchedule::kTickInterval);
        waited += ConnectionSchedule::kTickInterval;
        step = schedule.tick();
    }
    QCOMPARE(step, (Step{Kind::OpenLater, 50ms}));
    QVERIFY(waited > ConnectionSchedule::kConnectTimeout);
    QVERIFY(waited <= ConnectionSchedule::kConnectTimeout + ConnectionSchedule::kTickInterval);
}

QTEST_APPLESS_MAIN(TestConnectionSchedule)
#include "tst_connectionschedule.moc"
