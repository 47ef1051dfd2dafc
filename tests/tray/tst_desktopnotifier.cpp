// Desktop notifications over a private D-Bus session bus, with a notification server played by the
// test: what Notify carries, replacement by key, the Open action, and failures.

#include "DesktopNotifier.h"

#include <QDBusConnectionInterface>
#include <QDBusContext>
#include <QDBusMessage>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

namespace {

// The org.freedesktop.Notifications side, as a notification daemon implements it.
class NotificationServer : public QObject, protected QDBusContext
{
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.Notifications")
public:
    struct Call
    {
        QString app;
        uint replaces = 0;
        QString summary;
        QString body;
        QStringList actions;
        QVariantMap hints;
        int timeout = 0;
    };
    QList<Call> calls;
    bool fail = false;

public Q_SLOTS:
    uint Notify(const QString& app, uint replaces, const QString& icon, const QString& summary,
                const QString& body, const QStringList& actions, const QVariantMap& hints, int timeout)
    {
        Q_UNUSED(icon)
        if (fail) {
            sendErrorReply(QDBusError::Failed, u"display is asleep"_s);
            return 0;
        }
        calls.append({app, replaces, summary, body, actions, hints, timeout});
        return replaces ? replaces : m_nextId++;
    }
    QStringList GetCapabilities() { return {u"actions"_s, u"body"_s}; }

private:
    uint m_nextId = 1;
};

} // namespace

class TestDesktopNotifier : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void withoutAServerTheCallerFallsBack();
    void notifyCarriesTitleBodyAndOpen();
    void sameKeyReplaces();
    void openActionOpensTheUrl();
    void failedCallIsReported();

private:
    bool serve();
    void stopServing();
    void emitSignal(const QString& name, const QVariantList& arguments);

    QProcess m_daemon;
    QString m_address;
    std::unique_ptr<NotificationServer> m_server;
};

void TestDesktopNotifier::initTestCase()
{
    const QString daemon = QStandardPaths::findExecutable(u"dbus-daemon"_s);
    if (daemon.isEmpty())
        QSKIP("dbus-daemon is not installed (Debian: dbus); a private session bus is needed");
    m_daemon.start(daemon, {u"--session"_s, u"--nofork"_s, u"--print-address=1"_s});
    QVERIFY(m_daemon.waitForStarted());
    QTRY_VERIFY(m_daemon.canReadLine());
    m_address = QString::fromUtf8(m_daemon.readLine().trimmed());
    QVERIFY(!m_address.isEmpty());
}

void TestDesktopNotifier::cleanupTestCase()
{
    m_daemon.kill();
    m_daemon.waitForFinished();
}

bool TestDesktopNotifier::serve()
{
    QDBusConnection bus = QDBusConnection::connectToBus(m_address, u"server"_s);
    m_server = std::make_unique<NotificationServer>();
    return bus.registerObject(DesktopNotifier::kPath, m_server.get(), QDBusConnection::ExportAllSlots) &&
           bus.registerService(DesktopNotifier::kService);
}

void TestDesktopNotifier::stopServing()
{
    QDBusConnection bus = QDBusConnection::connectToBus(m_address, u"server"_s);
    bus.unregisterService(DesktopNotifier::kService);
    bus.unregisterObject(DesktopNotifier::kPath);
    m_server.reset();
}

void TestDesktopNotifier::emitSignal(const QString& name, const QVariantList& arguments)
{
    QDBusMessage signal = QDBusMessage::createSignal(DesktopNotifier::kPath, DesktopNotifier::kService, name);
    signal.setArguments(arguments);
    QVERIFY(QDBusConnection::connectToBus(m_address, u"server"_s).send(signal));
}

void TestDesktopNotifier::withoutAServerTheCallerFallsBack()
{
    DesktopNotifier notifier(QDBusConnection::connectToBus(m_address, u"client"_s));
    QVERIFY(!notifier.isAvailable());
    QVERIFY(!notifier.show(u"k"_s, u"Title"_s, u"Body"_s, {}));

    // No session bus at all behaves the same.
    DesktopNotifier nowhere(QDBusConnection::connectToBus(u"unix:path=/nonexistent/bus"_s, u"nowhere"_s));
    QVERIFY(!nowhere.show(u"k"_s, u"Title"_s, u"Body"_s, {}));
}

void TestDesktopNotifier::notifyCarriesTitleBodyAndOpen()
{
    QVERIFY(serve());
    DesktopNotifier notifier(QDBusConnection::connectToBus(m_address, u"client"_s));
    QVERIFY(notifier.isAvailable());
    QVERIFY(notifier.show(u"board-42"_s, u"Roadmap"_s, u"alice/proj#3 moved"_s,
                          QUrl(u"https://forge/alice/proj/issues/3"_s)));
    QTRY_COMPARE(m_server->calls.size(), 1);
    const NotificationServer::Call call = m_server->calls.first();
    QCOMPARE(call.app, u"Forgewire"_s);
    QCOMPARE(call.replaces, 0u);
    QCOMPARE(call.summary, u"Roadmap"_s);
    QCOMPARE(call.body, u"alice/proj#3 moved"_s);
    QCOMPARE(call.actions, (QStringList{u"default"_s, u"Open"_s}));
    QCOMPARE(call.hints.value(u"desktop-entry"_s).toString(), u"forgewire-tray"_s);
    QCOMPARE(call.timeout, DesktopNotifier::kExpireTimeoutMs);

    // Nothing to open: no action offered.
    QVERIFY(notifier.show(u"board-43"_s, u"T"_s, u"B"_s, {}));
    QTRY_COMPARE(m_server->calls.size(), 2);
    QVERIFY(m_server->calls.last().actions.isEmpty());
    stopServing();
}

void TestDesktopNotifier::sameKeyReplaces()
{
    QVERIFY(serve());
    DesktopNotifier notifier(QDBusConnection::connectToBus(m_address, u"client"_s));
    notifier.show(u"board-42"_s, u"A"_s, u"1"_s, {});
    QTRY_COMPARE(m_server->calls.size(), 1);
    // The id comes back asynchronously; let it arrive before the next one.
    QTest::qWait(50);
    notifier.show(u"board-42"_s, u"A"_s, u"2"_s, {});
    notifier.show(u"board-7"_s, u"B"_s, u"1"_s, {});
    QTRY_COMPARE(m_server->calls.size(), 3);
    QCOMPARE(m_server->calls.at(1).replaces, 1u);
    QCOMPARE(m_server->calls.at(2).replaces, 0u);

    // Once the server says it closed, the next one is new again.
    emitSignal(u"NotificationClosed"_s, {1u, 2u});
    QTest::qWait(100);
    notifier.show(u"board-42"_s, u"A"_s, u"3"_s, {});
    QTRY_COMPARE(m_server->calls.size(), 4);
    QCOMPARE(m_server->calls.at(3).replaces, 0u);
    stopServing();
}

void TestDesktopNotifier::openActionOpensTheUrl()
{
    QVERIFY(serve());
    DesktopNotifier notifier(QDBusConnection::connectToBus(m_address, u"client"_s));
    QSignalSpy opened(&notifier, &DesktopNotifier::openRequested);
    const QUrl url(u"https://forge/alice/proj/issues/3"_s);
    notifier.show(u"board-42"_s, u"T"_s, u"B"_s, url);
    QTRY_COMPARE(m_server->calls.size(), 1);
    QTest::qWait(50);

    // Another application's notification, and an action we never offered: ignored.
    emitSignal(u"ActionInvoked"_s, {99u, u"default"_s});
    emitSignal(u"ActionInvoked"_s, {1u, u"snooze"_s});
    emitSignal(u"ActionInvoked"_s, {1u, u"default"_s});
    QTRY_COMPARE(opened.size(), 1);
    QTest::qWait(100);
    QCOMPARE(opened.size(), 1);
    QCOMPARE(opened.first().at(0).toUrl(), url);
    stopServing();
}

void TestDesktopNotifier::failedCallIsReported()
{
    QVERIFY(serve());
    m_server->fail = true;
    DesktopNotifier notifier(QDBusConnection::connectToBus(m_address, u"client"_s));
    QSignalSpy failed(&notifier, &DesktopNotifier::deliveryFailed);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"notification server failed"_s));
    QVERIFY(notifier.show(u"k"_s, u"Title"_s, u"Body"_s, QUrl(u"https://x"_s)));
    QTRY_COMPARE(failed.size(), 1);
    QCOMPARE(failed.first().at(0).toString(), u"Title"_s);
    QCOMPARE(failed.first().at(2).toUrl(), QUrl(u"https://x"_s));
    stopServing();
}

QTEST_GUILESS_MAIN(TestDesktopNotifier)
#include "tst_desktopnotifier.moc"
