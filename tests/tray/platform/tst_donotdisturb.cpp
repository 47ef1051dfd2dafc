// Do not disturb: the rules (toggle, a schedule over midnight, per-kind switches) and that they really
// keep desktop notifications off the bus: NotificationGate in front of DesktopNotifier, with a
// notification server played by the test on a private session bus. The badge is not its business.

#include "PrivateBus.h"
#include "model/DoNotDisturb.h"
#include "model/StopwatchReminders.h"
#include "platform/NotificationGate.h"

#include <QDBusConnection>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;
using Kind = DoNotDisturb::Kind;

namespace {

class NotificationServer : public QObject
{
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.Notifications")
public:
    QStringList summaries;

public Q_SLOTS:
    uint Notify(const QString&, uint replaces, const QString&, const QString& summary, const QString&,
                const QStringList&, const QVariantMap&, int)
    {
        summaries.append(summary);
        return replaces ? replaces : ++m_nextId;
    }
    QStringList GetCapabilities() { return {u"actions"_s, u"body"_s}; }

private:
    uint m_nextId = 0;
};

} // namespace

class TestDoNotDisturb : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void schedule_data();
    void schedule();
    void perKindSwitches();
    void persisted();
    void gateKeepsNotificationsOffTheBus();
    void stopwatchRemindersEveryInterval();

private:
};

void TestDoNotDisturb::schedule_data()
{
    QTest::addColumn<QTime>("from");
    QTest::addColumn<QTime>("to");
    QTest::addColumn<QTime>("now");
    QTest::addColumn<bool>("quiet");
    QTest::newRow("over midnight, late") << QTime(22, 0) << QTime(7, 0) << QTime(23, 30) << true;
    QTest::newRow("over midnight, early") << QTime(22, 0) << QTime(7, 0) << QTime(6, 59) << true;
    QTest::newRow("over midnight, at the end") << QTime(22, 0) << QTime(7, 0) << QTime(7, 0) << false;
    QTest::newRow("over midnight, day") << QTime(22, 0) << QTime(7, 0) << QTime(12, 0) << false;
    QTest::newRow("lunch, inside") << QTime(12, 0) << QTime(13, 0) << QTime(12, 0) << true;
    QTest::newRow("lunch, after") << QTime(12, 0) << QTime(13, 0) << QTime(13, 1) << false;
    QTest::newRow("empty range") << QTime(9, 0) << QTime(9, 0) << QTime(9, 0) << false;
}

void TestDoNotDisturb::schedule()
{
    QFETCH(QTime, from);
    QFETCH(QTime, to);
    QFETCH(QTime, now);
    QFETCH(bool, quiet);
    DoNotDisturb d;
    d.scheduled = true;
    d.from = from;
    d.to = to;
    QCOMPARE(d.isQuiet(now), quiet);
    QCOMPARE(d.allows(Kind::BoardEvent, now), !quiet);
    // The schedule switched off never silences; the toggle always does.
    d.scheduled = false;
    QVERIFY(!d.isQuiet(now));
    d.enabled = true;
    QVERIFY(d.isQuiet(now));
}

void TestDoNotDisturb::perKindSwitches()
{
    DoNotDisturb d;
    const QTime noon(12, 0);
    d.boardEvents = false;
    QVERIFY(!d.allows(Kind::BoardEvent, noon));
    QVERIFY(d.allows(Kind::NewNotification, noon));
    QVERIFY(d.allows(Kind::StopwatchReminder, noon));
    d.newNotifications = false;
    d.stopwatchReminders = false;
    QVERIFY(!d.allows(Kind::NewNotification, noon));
    QVERIFY(!d.allows(Kind::StopwatchReminder, noon));
    // The failure of something the user just clicked is always shown.
    d.enabled = true;
    QVERIFY(d.allows(Kind::ActionFailure, noon));
}

void TestDoNotDisturb::persisted()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"tray.conf"_s);
    DoNotDisturb saved;
    saved.enabled = true;
    saved.scheduled = true;
    saved.from = QTime(21, 30);
    saved.to = QTime(6, 45);
    saved.newNotifications = false;
    {
        QSettings settings(path, QSettings::IniFormat);
        saved.save(settings);
    }
    QSettings settings(path, QSettings::IniFormat);
    QCOMPARE(DoNotDisturb::load(settings), saved);
    // Nonsense in the file falls back to the defaults, field by field.
    settings.setValue(u"quiet/from"_s, u"25:99"_s);
    QCOMPARE(DoNotDisturb::load(settings).from, DoNotDisturb{}.from);
    QSettings empty(dir.filePath(u"empty.conf"_s), QSettings::IniFormat);
    QCOMPARE(DoNotDisturb::load(empty), DoNotDisturb{});
}

void TestDoNotDisturb::gateKeepsNotificationsOffTheBus()
{
    if (test::PrivateBus::daemonExecutable().isEmpty())
        QSKIP("dbus-daemon is not installed (Debian: dbus); a private session bus is needed");
    test::PrivateBus bus;
    QVERIFY(bus.start());
    QDBusConnection serverBus = QDBusConnection::connectToBus(bus.address(), u"dnd-server"_s);
    NotificationServer server;
    QVERIFY(serverBus.registerObject(DesktopNotifier::kPath, &server, QDBusConnection::ExportAllSlots));
    QVERIFY(serverBus.registerService(DesktopNotifier::kService));

    DesktopNotifier notifier(QDBusConnection::connectToBus(bus.address(), u"dnd-client"_s));
    NotificationGate gate(notifier);
    QTime now(12, 0);
    gate.setLocalTime([&now] { return now; });

    using Result = NotificationGate::Result;
    QCOMPARE(gate.show(Kind::BoardEvent, u"board-1"_s, u"Before"_s, u"b"_s, {}), Result::Shown);
    QTRY_COMPARE(server.summaries, QStringList{u"Before"_s});

    // The menu's toggle.
    DoNotDisturb rules;
    rules.enabled = true;
    gate.setRules(rules);
    QCOMPARE(gate.show(Kind::BoardEvent, u"board-1"_s, u"Quiet board"_s, u"b"_s, {}), Result::Silenced);
    QCOMPARE(gate.show(Kind::NewNotification, u"n"_s, u"Quiet notification"_s, u"b"_s, {}), Result::Silenced);
    QCOMPARE(gate.show(Kind::ActionFailure, u"f"_s, u"Could not stop"_s, u"b"_s, {}), Result::Shown);

    // The schedule, over midnight.
    rules.enabled = false;
    rules.scheduled = true;
    rules.from = QTime(22, 0);
    rules.to = QTime(7, 0);
    gate.setRules(rules);
    now = QTime(23, 15);
    QCOMPARE(gate.show(Kind::StopwatchReminder, u"r"_s, u"Night reminder"_s, u"b"_s, {}), Result::Silenced);
    now = QTime(8, 0);
    QCOMPARE(gate.show(Kind::StopwatchReminder, u"r"_s, u"Morning reminder"_s, u"b"_s, {}), Result::Shown);

    // A kind switched off, in the day.
    rules.newNotifications = false;
    gate.setRules(rules);
    QCOMPARE(gate.show(Kind::NewNotification, u"n"_s, u"Switched off"_s, u"b"_s, {}), Result::Silenced);
    QCOMPARE(gate.show(Kind::BoardEvent, u"board-2"_s, u"After"_s, u"b"_s, {}), Result::Shown);

    QTRY_COMPARE(server.summaries.size(), 4);
    QTest::qWait(200); // nothing silenced turns up late
    QCOMPARE(server.summaries,
             (QStringList{u"Before"_s, u"Could not stop"_s, u"Morning reminder"_s, u"After"_s}));
    QCOMPARE(gate.silencedCount(), 4);
    serverBus.unregisterService(DesktopNotifier::kService);
}

void TestDoNotDisturb::stopwatchRemindersEveryInterval()
{
    const qint64 interval = StopwatchReminders::kInterval.count();
    protocol::Stopwatch a;
    a.repoOwnerName = u"alice"_s;
    a.repoName = u"proj"_s;
    a.issueIndex = 7;
    protocol::Stopwatch b = a;
    b.issueIndex = 8;
    StopwatchReminders reminders;
    // First seen after five intervals: noted, not reminded.
    QVERIFY(reminders.due({{a, 5 * interval + 10}, {b, 10}}).isEmpty());
    QVERIFY(reminders.due({{a, 6 * interval - 1}, {b, interval - 1}}).isEmpty());
    const auto due = reminders.due({{a, 6 * interval}, {b, interval}});
    QCOMPARE(due.size(), 2);
    QCOMPARE(due.first().stopwatch.issueIndex, 7);
    // Once per interval.
    QVERIFY(reminders.due({{a, 6 * interval + 5}, {b, interval + 5}}).isEmpty());
    // Stopped and started again: a new stopwatch, noted afresh.
    QVERIFY(reminders.due({{b, interval + 6}}).isEmpty());
    QVERIFY(reminders.due({{a, 7 * interval}, {b, interval + 7}}).isEmpty());
}

QTEST_GUILESS_MAIN(TestDoNotDisturb)
#include "tst_donotdisturb.moc"
