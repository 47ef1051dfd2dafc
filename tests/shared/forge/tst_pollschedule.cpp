// PollSchedule: the bridge's polling cadence, checked step by step with injected randomness.

#include "forge/PollSchedule.h"

#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

namespace {

PollSettings issueDefaults(double jitter = 0.0)
{
    PollSettings settings; // the issue's numbers are the defaults
    settings.jitter = jitter;
    return settings;
}

// Runs a script of outcomes: c = changed, u = unchanged, f = failed, rN = 429 with Retry-After N ms
// (r-1: without Retry-After), x = reset (a refresh request; no delay of its own).
QList<int> run(PollSchedule& schedule, const QStringList& script)
{
    QList<int> delays;
    for (const QString& step : script) {
        if (step == "c"_L1)
            delays.append(schedule.changed());
        else if (step == "u"_L1)
            delays.append(schedule.unchanged());
        else if (step == "f"_L1)
            delays.append(schedule.failed());
        else if (step.startsWith(u'r'))
            delays.append(schedule.rateLimited(step.mid(1).toInt()));
        else if (step == "x"_L1)
            schedule.reset();
    }
    return delays;
}

} // namespace

class TestPollSchedule : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaultsAreTheIssues();
    void script_data();
    void script();
    void jitterStaysWithinBounds_data();
    void jitterStaysWithinBounds();
    void jitterSpreadsUsers();
    void hugeRetryAfterIsCapped();
};

void TestPollSchedule::defaultsAreTheIssues()
{
    const PollSettings settings;
    QCOMPARE(settings.minMs, 10'000);
    QCOMPARE(settings.stepMs, 10'000);
    QCOMPARE(settings.maxMs, 60'000);
    QVERIFY(settings.jitter > 0);
    QCOMPARE(PollSchedule().baseMs(), 10'000);
}

void TestPollSchedule::script_data()
{
    QTest::addColumn<QStringList>("script");
    QTest::addColumn<QList<int>>("expected");

    QTest::newRow("unchanged steps by 10 s up to 60 s")
        << QStringList{u"u"_s, u"u"_s, u"u"_s, u"u"_s, u"u"_s, u"u"_s, u"u"_s}
        << QList<int>{20'000, 30'000, 40'000, 50'000, 60'000, 60'000, 60'000};
    QTest::newRow("a change resets to 10 s") << QStringList{u"u"_s, u"u"_s, u"u"_s, u"c"_s, u"u"_s}
                                             << QList<int>{20'000, 30'000, 40'000, 10'000, 20'000};
    QTest::newRow("changes keep it at 10 s")
        << QStringList{u"c"_s, u"c"_s, u"c"_s} << QList<int>{10'000, 10'000, 10'000};
    QTest::newRow("outage doubles up to 5 min")
        << QStringList{u"f"_s, u"f"_s, u"f"_s, u"f"_s, u"f"_s, u"f"_s, u"f"_s}
        << QList<int>{20'000, 40'000, 80'000, 160'000, 300'000, 300'000, 300'000};
    QTest::newRow("recovery starts over at 10 s")
        << QStringList{u"u"_s, u"u"_s, u"f"_s, u"f"_s, u"u"_s, u"u"_s}
        << QList<int>{20'000, 30'000, 20'000, 40'000, 10'000, 20'000};
    QTest::newRow("recovery with a change") << QStringList{u"f"_s, u"c"_s} << QList<int>{20'000, 10'000};
    QTest::newRow("Retry-After longer than the interval wins")
        << QStringList{u"r45000"_s} << QList<int>{45'000};
    QTest::newRow("Retry-After shorter than the interval: still slows down")
        << QStringList{u"u"_s, u"u"_s, u"r1000"_s} << QList<int>{20'000, 30'000, 40'000};
    QTest::newRow("429 without Retry-After backs off like an outage")
        << QStringList{u"r-1"_s, u"r-1"_s} << QList<int>{20'000, 40'000};
    QTest::newRow("refresh resets the interval")
        << QStringList{u"u"_s, u"u"_s, u"u"_s, u"x"_s, u"u"_s} << QList<int>{20'000, 30'000, 40'000, 20'000};
}

void TestPollSchedule::script()
{
    QFETCH(QStringList, script);
    QFETCH(QList<int>, expected);
    PollSchedule schedule(issueDefaults(), [] { return 0.5; });
    QCOMPARE(run(schedule, script), expected);
}

void TestPollSchedule::jitterStaysWithinBounds_data()
{
    QTest::addColumn<double>("random");
    QTest::newRow("lowest") << 0.0;
    QTest::newRow("middle") << 0.5;
    QTest::newRow("highest") << 0.999999;
}

void TestPollSchedule::jitterStaysWithinBounds()
{
    QFETCH(double, random);
    const double jitter = 0.1;
    PollSchedule schedule(issueDefaults(jitter), [random] { return random; });
    for (int i = 0; i < 8; ++i) {
        const int base = std::min(10'000 * (i + 2), 60'000);
        const int delay = schedule.unchanged();
        QVERIFY2(delay >= 10'000 && delay <= 60'000, qPrintable(QString::number(delay)));
        QVERIFY2(std::abs(delay - base) <= base * jitter + 1, qPrintable(u"%1 vs %2"_s.arg(delay).arg(base)));
    }
    const int atMin = schedule.changed();
    QVERIFY(atMin >= 10'000 && atMin <= 11'000); // never below the minimum
    for (int i = 0; i < 10; ++i) {
        const int delay = schedule.failed();
        QVERIFY(delay >= 10'000 && delay <= forge::kOutageMaxMs);
    }
}

void TestPollSchedule::jitterSpreadsUsers()
{
    // Two users on the same step with different random draws do not poll at the same moment.
    PollSchedule low(issueDefaults(0.1), [] { return 0.1; });
    PollSchedule high(issueDefaults(0.1), [] { return 0.9; });
    low.unchanged();
    high.unchanged();
    const int a = low.unchanged();
    const int b = high.unchanged();
    QVERIFY2(b - a >= 4'000, qPrintable(u"%1 vs %2"_s.arg(a).arg(b)));
    // The real generator varies from call to call.
    PollSchedule real(issueDefaults(0.1));
    QSet<int> seen;
    for (int i = 0; i < 20; ++i)
        seen.insert(real.changed());
    QVERIFY(seen.size() > 1);
}

void TestPollSchedule::hugeRetryAfterIsCapped()
{
    PollSchedule schedule(issueDefaults(), [] { return 0.5; });
    QCOMPARE(schedule.rateLimited(24 * 3600 * 1000), forge::kMaxRetryAfterMs);
}

QTEST_GUILESS_MAIN(TestPollSchedule)
#include "tst_pollschedule.moc"
