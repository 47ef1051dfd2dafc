// The tray's model: what each message does, how stopwatches tick, and every text it produces.

#include "FakeClock.h"
#include "model/TrayState.h"

#include <QSignalSpy>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using Status = TrayState::Status;
using ConnState = SharedConnection::State;

Q_DECLARE_METATYPE(forgewire::ConnectionSchedule::State)

namespace {

protocol::Stopwatch stopwatch(qint64 seconds, qint64 index = 7, const QString& title = u"Fix X"_s)
{
    protocol::Stopwatch s;
    // No `created`: elapsed time counts from `seconds` alone (see stopwatchCountsFromCreated).
    s.seconds = seconds;
    s.issueIndex = index;
    s.issueTitle = title;
    s.repoOwnerName = u"alice"_s;
    s.repoName = u"proj"_s;
    return s;
}

protocol::Hello hello(qint64 id = 7, const QString& login = u"alice"_s)
{
    return protocol::Hello{protocol::UserInfo{id, login}, u"session-1"_s, 25};
}

} // namespace

class TestTrayState : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void formatDuration_data();
    void formatDuration();
    void badgeText_data();
    void badgeText();
    void issueUrl_data();
    void issueUrl();
    void countAndHello();
    void stopwatchTicksFromSecondsPlusLocalTime();
    void stopwatchCountsFromCreated();
    void helloOfAnotherUserClearsUserState();
    void countNotShownBeforeRetainedState();
    void logoutEmitsChangedOnceWithFinalStatus();
    void newStopwatchesReplaceTheOldOnesAtOnce();
    void tickerRunsOnlyWithAStopwatch();
    void statusLine_data();
    void statusLine();
    void connectionText_data();
    void connectionText();
    void tooltipHasCountStopwatchAndConnection();
    void logoutHereSignsOut();
    void logoutElsewhereIsIgnored();
    void unauthorizedForgetsTheUser();
    void refusalIsShownWhileRefused();
};

void TestTrayState::formatDuration_data()
{
    QTest::addColumn<qint64>("seconds");
    QTest::addColumn<QString>("text");
    QTest::newRow("zero") << qint64(0) << u"00:00:00"_s;
    QTest::newRow("negative") << qint64(-5) << u"00:00:00"_s;
    QTest::newRow("seconds") << qint64(59) << u"00:00:59"_s;
    QTest::newRow("minute") << qint64(60) << u"00:01:00"_s;
    QTest::newRow("issue example") << qint64(5025) << u"01:23:45"_s;
    QTest::newRow("a day") << qint64(86400) << u"24:00:00"_s;
    QTest::newRow("long") << qint64(100 * 3600 + 1) << u"100:00:01"_s;
}

void TestTrayState::formatDuration()
{
    QFETCH(qint64, seconds);
    QFETCH(QString, text);
    QCOMPARE(TrayState::formatDuration(seconds), text);
}

void TestTrayState::badgeText_data()
{
    QTest::addColumn<qint64>("count");
    QTest::addColumn<QString>("text");
    QTest::newRow("none") << qint64(0) << QString();
    QTest::newRow("one") << qint64(1) << u"1"_s;
    QTest::newRow("99") << qint64(99) << u"99"_s;
    QTest::newRow("100") << qint64(100) << u"99+"_s;
    QTest::newRow("huge") << qint64(123456) << u"99+"_s;
}

void TestTrayState::badgeText()
{
    QFETCH(qint64, count);
    QFETCH(QString, text);
    QCOMPARE(TrayState::badgeText(count), text);
}

void TestTrayState::issueUrl_data()
{
    QTest::addColumn<QString>("forge");
    QTest::addColumn<QString>("url");
    QTest::newRow("root") << u"https://codeberg.org"_s << u"https://codeberg.org/alice/proj/issues/7"_s;
    QTest::newRow("trailing slash") << u"https://codeberg.org/"_s
                                    << u"https://codeberg.org/alice/proj/issues/7"_s;
    QTest::newRow("sub-path") << u"https://example.org/git/"_s
                              << u"https://example.org/git/alice/proj/issues/7"_s;
    QTest::newRow("no forge") << QString() << QString();
}

void TestTrayState::issueUrl()
{
    QFETCH(QString, forge);
    QFETCH(QString, url);
    QCOMPARE(TrayState::issueUrl(QUrl(forge), stopwatch(1)).toString(), url);
}

void TestTrayState::countAndHello()
{
    FakeClock clock;
    TrayState state(clock);
    QSignalSpy counts(&state, &TrayState::countChanged);
    QSignalSpy changes(&state, &TrayState::changed);
    state.apply(hello());
    QCOMPARE(state.user()->login, u"alice"_s);
    QCOMPARE(state.session(), u"session-1"_s);
    state.apply(protocol::NotificationCount{3});
    state.apply(protocol::NotificationCount{3});
    state.apply(protocol::NotificationCount{150});
    QCOMPARE(state.unreadCount(), 150);
    QCOMPARE(counts.size(), 2);
    QCOMPARE(changes.size(), 3);
    // Messages the model has no part in change nothing.
    state.apply(protocol::Subscribed{u"project-board.1"_s});
    state.apply(protocol::BoardEvent{u"project-board.1"_s, u"project.deleted"_s, {}, {}});
    QCOMPARE(changes.size(), 3);
}

void TestTrayState::stopwatchTicksFromSecondsPlusLocalTime()
{
    FakeClock clock;
    TrayState state(clock);
    state.apply(protocol::Stopwatches{{stopwatch(5025)}});
    QCOMPARE(state.stopwatches().size(), 1);
    const auto& entry = state.stopwatches().first();
    QCOMPARE(state.stopwatchLabel(entry), u"alice/proj#7 Fix X — 01:23:45"_s);
    clock.advance(999ms);
    QCOMPARE(state.elapsedSeconds(entry), 5025);
    clock.advance(1ms);
    QCOMPARE(state.stopwatchLabel(entry), u"alice/proj#7 Fix X — 01:23:46"_s);
    clock.advance(1h);
    QCOMPARE(state.stopwatchLabel(entry), u"alice/proj#7 Fix X — 02:23:46"_s);
}

void TestTrayState::stopwatchCountsFromCreated()
{
    FakeClock clock;
    TrayState state(clock);
    QDateTime utc(QDate(2026, 3, 1), QTime(12, 0), Qt::UTC);
    state.setUtcNow([&utc] { return utc; });
    // A retained message published an hour after the start and delivered (after a reconnect) two hours
    // after it: `seconds` is stale, `created` is not.
    protocol::Stopwatch retained = stopwatch(3600);
    retained.created = utc.addSecs(-7200);
    state.apply(protocol::Stopwatches{{retained}});
    const auto& entry = state.stopwatches().first();
    QCOMPARE(state.elapsedSeconds(entry), 7200);
    QCOMPARE(state.stopwatchLabel(entry), u"alice/proj#7 Fix X — 02:00:00"_s);
    clock.advance(10s);
    utc = utc.addSecs(10);
    QCOMPARE(state.elapsedSeconds(entry), 7210);

    // `seconds` ahead of the wall clock (a clock behind the forge's): never count backwards.
    protocol::Stopwatch ahead = stopwatch(5025);
    ahead.created = utc.addSecs(-5000);
    state.apply(protocol::Stopwatches{{ahead}});
    QCOMPARE(state.elapsedSeconds(state.stopwatches().first()), 5025);
}

void TestTrayState::helloOfAnotherUserClearsUserState()
{
    FakeClock clock;
    TrayState state(clock);
    state.setConnectionState(SharedConnection::State::Connected);
    state.apply(hello(7));
    state.apply(protocol::NotificationCount{3});
    state.apply(protocol::Stopwatches{{stopwatch(5)}});
    // The same user again (a reconnect): kept.
    state.apply(hello(7));
    QCOMPARE(state.unreadCount(), 3);
    QCOMPARE(state.stopwatches().size(), 1);

    QSignalSpy count(&state, &TrayState::countChanged);
    state.apply(hello(8, u"bob"_s));
    QCOMPARE(state.unreadCount(), 0);
    QVERIFY(state.stopwatches().isEmpty());
    QVERIFY(!state.isTicking());
    QVERIFY(!state.hasReceivedState());
    QCOMPARE(state.statusLine(), u"connecting"_s);
    QCOMPARE(count.size(), 1);

    state.apply(protocol::NotificationCount{2});
    protocol::Hello anonymous;
    anonymous.session = u"s"_s;
    state.apply(anonymous);
    QCOMPARE(state.unreadCount(), 0);
    QVERIFY(!state.user());
}

void TestTrayState::countNotShownBeforeRetainedState()
{
    FakeClock clock;
    TrayState state(clock);
    QStringList lines;
    connect(&state, &TrayState::changed, this, [&] {
        if (lines.isEmpty() || lines.last() != state.statusLine())
            lines.append(state.statusLine());
    });
    state.setConnectionState(SharedConnection::State::Connecting);
    state.setConnectionState(SharedConnection::State::Connected);
    state.apply(hello(7));
    state.apply(protocol::NotificationCount{3});
    QCOMPARE(lines, (QStringList{u"connecting"_s, u"3 unread"_s}));

    // A user with nothing retained yet still gets a count after a moment.
    TrayState fresh(clock);
    fresh.setConnectionState(SharedConnection::State::Connected);
    fresh.apply(hello(9, u"carol"_s));
    QCOMPARE(fresh.statusLine(), u"connecting"_s);
    QTRY_COMPARE(fresh.statusLine(), u"0 unread"_s);
}

void TestTrayState::logoutEmitsChangedOnceWithFinalStatus()
{
    FakeClock clock;
    TrayState state(clock);
    state.setConnectionState(SharedConnection::State::Connected);
    state.apply(hello(7));
    state.apply(protocol::NotificationCount{3});
    QStringList lines;
    connect(&state, &TrayState::changed, this, [&] { lines.append(state.statusLine()); });
    state.apply(protocol::Logout{u"here"_s});
    QCOMPARE(lines, QStringList{u"signed out"_s});

    TrayState refused(clock);
    refused.setConnectionState(SharedConnection::State::Connected);
    refused.apply(hello(7));
    refused.apply(protocol::NotificationCount{3});
    QStringList refusedLines;
    connect(&refused, &TrayState::changed, this, [&] { refusedLines.append(refused.statusLine()); });
    refused.setConnectionState(SharedConnection::State::Unauthorized);
    QCOMPARE(refusedLines, QStringList{u"token refused"_s});
}

void TestTrayState::newStopwatchesReplaceTheOldOnesAtOnce()
{
    FakeClock clock;
    TrayState state(clock);
    QSignalSpy spy(&state, &TrayState::stopwatchesChanged);
    state.apply(protocol::Stopwatches{{stopwatch(10)}});
    clock.advance(30s);
    // The server's own count wins over the local one as soon as it arrives.
    state.apply(protocol::Stopwatches{{stopwatch(100, 8, u"Other"_s)}});
    QCOMPARE(spy.size(), 2);
    QCOMPARE(state.stopwatches().size(), 1);
    QCOMPARE(state.elapsedSeconds(state.stopwatches().first()), 100);
    QCOMPARE(state.stopwatches().first().stopwatch.issueIndex, 8);
    state.apply(protocol::Stopwatches{});
    QVERIFY(state.stopwatches().isEmpty());
    QCOMPARE(spy.size(), 3);
}

void TestTrayState::tickerRunsOnlyWithAStopwatch()
{
    TrayState state;
    QVERIFY(!state.isTicking());
    QSignalSpy ticks(&state, &TrayState::ticked);
    state.apply(protocol::Stopwatches{{stopwatch(1)}});
    QVERIFY(state.isTicking());
    QVERIFY(ticks.wait(3000));
    state.apply(protocol::Stopwatches{});
    QVERIFY(!state.isTicking());
}

void TestTrayState::statusLine_data()
{
    QTest::addColumn<ConnState>("connection");
    QTest::addColumn<bool>("withHello");
    QTest::addColumn<qint64>("count");
    QTest::addColumn<int>("stopwatches");
    QTest::addColumn<QString>("line");
    QTest::newRow("first attempt") << ConnState::Connecting << false << qint64(0) << 0 << u"connecting"_s;
    QTest::newRow("open, no hello yet") << ConnState::Connected << false << qint64(0) << 0 << u"connecting"_s;
    QTest::newRow("never connected") << ConnState::Reconnecting << false << qint64(0) << 0
                                     << u"reconnecting"_s;
    QTest::newRow("count only") << ConnState::Connected << true << qint64(3) << 0 << u"3 unread"_s;
    QTest::newRow("issue example") << ConnState::Connected << true << qint64(3) << 1
                                   << u"3 unread | alice/proj#7 01:23:45"_s;
    QTest::newRow("two stopwatches") << ConnState::Connected << true << qint64(0) << 2
                                     << u"0 unread | alice/proj#7 01:23:45 +1"_s;
    QTest::newRow("lost connection") << ConnState::Reconnecting << true << qint64(3) << 1
                                     << u"3 unread | alice/proj#7 01:23:45 | reconnecting"_s;
    QTest::newRow("refused") << ConnState::Unauthorized << true << qint64(3) << 1 << u"token refused"_s;
}

void TestTrayState::statusLine()
{
    QFETCH(ConnState, connection);
    QFETCH(bool, withHello);
    QFETCH(qint64, count);
    QFETCH(int, stopwatches);
    QFETCH(QString, line);
    FakeClock clock;
    TrayState state(clock);
    state.setConnectionState(ConnState::Connecting);
    if (withHello) {
        state.setConnectionState(ConnState::Connected);
        state.apply(hello());
        state.apply(protocol::NotificationCount{count});
        QList<protocol::Stopwatch> list;
        for (int i = 0; i < stopwatches; ++i)
            list.append(stopwatch(5025, 7 + i));
        state.apply(protocol::Stopwatches{list});
    }
    state.setConnectionState(connection, 100);
    QCOMPARE(state.statusLine(), line);
}

void TestTrayState::connectionText_data()
{
    QTest::addColumn<ConnState>("connection");
    QTest::addColumn<int>("retryMs");
    QTest::addColumn<QString>("text");
    QTest::newRow("idle") << ConnState::Idle << 0 << u"Offline"_s;
    QTest::newRow("connecting") << ConnState::Connecting << 0 << u"Connecting…"_s;
    QTest::newRow("connected") << ConnState::Connected << 0 << u"Connected as alice"_s;
    QTest::newRow("retry soon") << ConnState::Reconnecting << 400 << u"Reconnecting in 400 ms"_s;
    QTest::newRow("retry later") << ConnState::Reconnecting << 6400 << u"Reconnecting in 7 s"_s;
    QTest::newRow("refused") << ConnState::Unauthorized << 0 << u"Token refused — check Settings"_s;
}

void TestTrayState::connectionText()
{
    QFETCH(ConnState, connection);
    QFETCH(int, retryMs);
    QFETCH(QString, text);
    TrayState state;
    state.apply(hello());
    state.setConnectionState(connection, retryMs);
    QCOMPARE(state.connectionText(), text);
}

void TestTrayState::tooltipHasCountStopwatchAndConnection()
{
    FakeClock clock;
    TrayState state(clock);
    state.setConnectionState(ConnState::Connected);
    state.apply(hello());
    state.apply(protocol::NotificationCount{3});
    state.apply(protocol::Stopwatches{{stopwatch(5025)}});
    QCOMPARE(state.tooltip(), u"Forgewire — alice\n3 unread notifications\nalice/proj#7 Fix X — 01:23:45\n"
                              u"Connected as alice"_s);
}

void TestTrayState::logoutHereSignsOut()
{
    FakeClock clock;
    TrayState state(clock);
    state.setConnectionState(ConnState::Connected);
    state.apply(hello());
    state.apply(protocol::NotificationCount{3});
    state.apply(protocol::Stopwatches{{stopwatch(5)}});
    QSignalSpy signedOut(&state, &TrayState::signedOut);
    QSignalSpy counts(&state, &TrayState::countChanged);

    state.apply(protocol::Logout{u"here"_s});
    QCOMPARE(signedOut.size(), 1);
    QCOMPARE(state.status(), Status::SignedOut);
    QCOMPARE(state.unreadCount(), 0);
    QCOMPARE(counts.size(), 1);
    QVERIFY(state.stopwatches().isEmpty());
    QVERIFY(!state.user());
    QVERIFY(!state.isTicking());
    QCOMPARE(state.statusLine(), u"signed out"_s);

    // Closing the connection afterwards does not hide the reason.
    state.setConnectionState(ConnState::Idle);
    state.apply(protocol::NotificationCount{9});
    QCOMPARE(state.status(), Status::SignedOut);
    QCOMPARE(state.unreadCount(), 0);

    state.clearSignedOut();
    QCOMPARE(state.status(), Status::Offline);
}

void TestTrayState::logoutElsewhereIsIgnored()
{
    TrayState state;
    state.setConnectionState(ConnState::Connected);
    state.apply(hello());
    state.apply(protocol::NotificationCount{3});
    QSignalSpy changes(&state, &TrayState::changed);
    state.apply(protocol::Logout{u"elsewhere"_s});
    QCOMPARE(changes.size(), 0);
    QCOMPARE(state.status(), Status::Connected);
    QCOMPARE(state.unreadCount(), 3);
}

void TestTrayState::unauthorizedForgetsTheUser()
{
    TrayState state;
    state.setConnectionState(ConnState::Connected);
    state.apply(hello());
    state.apply(protocol::NotificationCount{3});
    state.setConnectionState(ConnState::Unauthorized);
    QCOMPARE(state.status(), Status::Unauthorized);
    QCOMPARE(state.unreadCount(), 0);
    QVERIFY(!state.user());
    // A new token works again.
    state.setConnectionState(ConnState::Connecting);
    QCOMPARE(state.status(), Status::Connecting);
}

void TestTrayState::refusalIsShownWhileRefused()
{
    TrayState state;
    state.setConnectionState(ConnState::Connected);
    const QString reason = u"The token lacks the scope read:notification."_s;
    state.setRefusal(reason);
    QVERIFY(state.refusal().isEmpty()); // not refused yet
    QSignalSpy changes(&state, &TrayState::changed);
    state.setConnectionState(ConnState::Unauthorized);
    QCOMPARE(changes.size(), 1);
    QCOMPARE(state.refusal(), reason);
    QCOMPARE(state.connectionText(), reason);
    QVERIFY(state.tooltip().contains(reason));
    // Connecting again forgets it; a later refusal without a reason reads as the generic one.
    state.setConnectionState(ConnState::Connecting);
    QVERIFY(state.refusal().isEmpty());
    state.setConnectionState(ConnState::Unauthorized);
    QCOMPARE(state.connectionText(), u"Token refused — check Settings"_s);
}

QTEST_GUILESS_MAIN(TestTrayState)
#include "tst_traystate.moc"
