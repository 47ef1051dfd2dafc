// Desktop notifications over a private D-Bus session bus, with a notification server played by the
// test: what Notify carries, markup escaping, replacement by key, the Open action, and failures.

#include "PrivateBus.h"
#include "platform/DesktopNotifier.h"

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
    QStringList GetCapabilities() { return {u"actions"_s, u"body"_s, u"body-markup"_s}; }

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
    void bodyIsEscapedForMarkup_data();
    void bodyIsEscapedForMarkup();
    void sameKeyReplaces();
    void openActionOpensTheUrl();
    void failedCallIsReported();

private:
    bool serve();
    void stopServing();
    void emitSignal(const QString& name, const QVariantList& arguments);

    test::PrivateBus m_bus;
    QString m_address;
    std::unique_ptr<NotificationServer> m_server;
};

void TestDesktopNotifier::initTestCase()
{
    if (test::PrivateBus::daemonExecutable().isEmpty())
        QSKIP("dbus-daemon is not installed (Debian: dbus); a private session bus is needed");
    QVERIFY(m_bus.start());
    m_address = m_bus.address();
}

void TestDesktopNotifier::cleanupTestCase()
{
    m_bus.stop();
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
    // A click on the body ("default") and a visible button ("open") both open the URL.
    QCOMPARE(call.actions, (QStringList{u"default"_s, u"Open"_s, u"open"_s, u"Open"_s}));
    QCOMPARE(call.hints.value(u"desktop-entry"_s).toString(), u"forgewire-tray"_s);
    QCOMPARE(call.timeout, DesktopNotifier::kExpireTimeoutMs);

    // Nothing to open: no action offered.
    QVERIFY(notifier.show(u"board-43"_s, u"T"_s, u"B"_s, {}));
    QTRY_COMPARE(m_server->calls.size(), 2);
    QVERIFY(m_server->calls.last().actions.isEmpty());
    stopServing();
}

void TestDesktopNotifier::bodyIsEscapedForMarkup_data()
{
    QTest::addColumn<QString>("title");
    QTest::addColumn<QString>("body");
    QTest::addColumn<QString>("sent");

    QTest::newRow("plain") << u"Roadmap"_s << u"alice/proj#3 moved to Done"_s
                           << u"alice/proj#3 moved to Done"_s;
    QTest::newRow("tag, ampersand, quotes")
        << u"Fix <b> & \"x\""_s << u"Fix <b> & \"x\" moved"_s << u"Fix &lt;b&gt; &amp; \"x\" moved"_s;
    QTest::newRow("an entity stays text")
        << u"T"_s << u"&amp; is how you write &"_s << u"&amp;amp; is how you write &amp;"_s;
    QTest::newRow("markup the server knows")
        << u"T"_s << u"<i>a</i><br/><a href=\"x\">b</a>"_s
        << u"&lt;i&gt;a&lt;/i&gt;&lt;br/&gt;&lt;a href=\"x\"&gt;b&lt;/a&gt;"_s;
    QTest::newRow("non-ASCII") << u"Ünïcødé <3"_s << u"Größe -> 3 ✓"_s << u"Größe -&gt; 3 ✓"_s;
}

void TestDesktopNotifier::bodyIsEscapedForMarkup()
{
    QFETCH(QString, title);
    QFETCH(QString, body);
    QFETCH(QString, sent);

    QVERIFY(serve());
    DesktopNotifier notifier(QDBusConnection::connectToBus(m_address, u"client"_s));
    QVERIFY(notifier.show(u"k"_s, title, body, {}));
    QTRY_COMPARE(m_server->calls.size(), 1);
    QCOMPARE(m_server->calls.first().body, sent);
    // The summary is plain text in the spec; servers do not parse it.
    QCOMPARE(m_server->calls.first().summary, title);
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
    const QUrl other(u"https://forge/alice/proj/issues/4"_s);
    notifier.show(u"board-42"_s, u"T"_s, u"B"_s, url);
    notifier.show(u"board-43"_s, u"T"_s, u"B"_s, other);
    QTRY_COMPARE(m_server->calls.size(), 2);
    QTest::qWait(50);

    // Another application's notification, and an action we never offered: ignored.
    emitSignal(u"ActionInvoked"_s, {99u, u"default"_s});
    emitSignal(u"ActionInvoked"_s, {99u, u"open"_s});
    emitSignal(u"ActionInvoked"_s, {1u, u"snooze"_s});
    // The button on the second notification, then a click on the first one's body.
    emitSignal(u"ActionInvoked"_s, {2u, u"open"_s});
    emitSignal(u"ActionInvoked"_s, {1u, u"default"_s});
    QTRY_COMPARE(opened.size(), 2);
    QTest::qWait(100);
    QCOMPARE(opened.size(), 2);
    QCOMPARE(opened.at(0).at(0).toUrl(), other);
    QCOMPARE(opened.at(1).at(0).toUrl(), url);
    stopServing();
}

void TestDesktopNotifier::failedCallIsReported()
{
    QVERIFY(serve());
    m_server->fail = true;
    DesktopNotifier notifier(QDBusConnection::connectToBus(m_address, u"client"_s));
    QSignalSpy failed(&notifier, &DesktopNotifier::deliveryFailed);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"notification server failed"_s));
    QVERIFY(notifier.show(u"k"_s, u"Title"_s, u"Body <&>"_s, QUrl(u"https://x"_s)));
    QTRY_COMPARE(failed.size(), 1);
    QCOMPARE(failed.first().at(0).toString(), u"Title"_s);
    // The fallback shows plain text: it gets the body as given, not the escaped one.
    QCOMPARE(failed.first().at(1).toString(), u"Body <&>"_s);
    QCOMPARE(failed.first().at(2).toUrl(), QUrl(u"https://x"_s));
    stopServing();
}

QTEST_GUILESS_MAIN(TestDesktopNotifier)
#include "tst_desktopnotifier.moc"
