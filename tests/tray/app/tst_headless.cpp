// forgewire-tray --headless end to end: the real binary against the real forgewire-server, as a
// terminal, i3blocks or waybar would run it.

#include "FakeForge.h"
#include "PrivateBus.h"
#include "ServerProcess.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

// Started 5025 s ago, as the forge would publish it now: `created` and `seconds` agree.
QByteArray stopwatchStartedAgo(qint64 seconds = 5025, QDateTime* startedAt = nullptr)
{
    const QDateTime created = QDateTime::currentDateTimeUtc().addSecs(-seconds);
    if (startedAt)
        *startedAt = created;
    return R"([{"created":")" + created.toString(Qt::ISODateWithMs).toLatin1() + R"(","seconds":)" +
           QByteArray::number(seconds) +
           R"(,"issue_index":7,)"
           R"("issue_title":"Fix X","repo_owner_name":"alice","repo_name":"proj"}])";
}

QString hms(qint64 s)
{
    return u"%1:%2:%3"_s.arg(s / 3600, 2, 10, QLatin1Char('0'))
        .arg((s / 60) % 60, 2, 10, QLatin1Char('0'))
        .arg(s % 60, 2, 10, QLatin1Char('0'));
}

// forgewire-tray --headless with its own empty configuration directory.
class Tray
{
public:
    explicit Tray(const QByteArray& token = ServerProcess::kStaticToken)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"XDG_CONFIG_HOME"_s, m_config.path());
        env.insert(u"FORGEWIRE_TOKEN"_s, QString::fromUtf8(token));
        env.remove(u"DISPLAY"_s); // headless means it: no display needed
        m_process.setProcessEnvironment(env);
        m_process.setProcessChannelMode(QProcess::SeparateChannels);
    }
    ~Tray()
    {
        m_process.kill();
        m_process.waitForFinished();
    }

    void setEnvironment(const QString& name, const QString& value)
    {
        QProcessEnvironment env = m_process.processEnvironment();
        if (value.isNull())
            env.remove(name);
        else
            env.insert(name, value);
        m_process.setProcessEnvironment(env);
    }
    QString configPath(const QString& name) const { return m_config.filePath(name); }

    void start(const QStringList& arguments)
    {
        m_process.start(qEnvironmentVariable("FORGEWIRE_TRAY_BIN"), arguments);
    }
    QProcess& process() { return m_process; }

    // Waits for the next stdout line matching `predicate`, keeping every line read in lines().
    QString waitForLine(const std::function<bool(const QString&)>& predicate, int timeoutMs = kWaitMs)
    {
        QString found;
        waitFor(
            [&] {
                // Stop at the match: later lines are for the next wait.
                while (found.isEmpty() && m_process.canReadLine()) {
                    const QString line = QString::fromUtf8(m_process.readLine()).chopped(1);
                    m_lines.append(line);
                    if (predicate(line))
                        found = line;
                }
                return !found.isEmpty() || m_process.state() == QProcess::NotRunning;
            },
            timeoutMs);
        return found;
    }
    QString waitForLine(const QString& exact, int timeoutMs = kWaitMs)
    {
        return waitForLine([&](const QString& line) { return line == exact; }, timeoutMs);
    }
    QJsonObject waitForType(const QString& type)
    {
        const QString line = waitForLine([&](const QString& l) {
            return QJsonDocument::fromJson(l.toUtf8()).object().value("type"_L1).toString() == type;
        });
        return QJsonDocument::fromJson(line.toUtf8()).object();
    }
    const QStringList& lines() const { return m_lines; }

private:
    QTemporaryDir m_config;
    QProcess m_process;
    QStringList m_lines;
};

} // namespace

class TestHeadless : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void jsonLinePerEvent();
    void statusLineTicksAndRecoversAfterServerRestart();
    void refusedTokenIsShownAndNotRetried();
    void cleartextTokenIsWarnedAbout_data();
    void cleartextTokenIsWarnedAbout();
    void startErrors_data();
    void startErrors();
    void noKeyringAndNoTokenExits();
    void directModeWithoutAServer();
    void plainTextTokenFileSignsIn();

private:
    QStringList common(const QStringList& extra) const
    {
        return QStringList{u"--headless"_s, u"--server"_s, m_server.wsUrl().toString()} + extra;
    }
    ServerProcess m_server;
};

void TestHeadless::initTestCase()
{
    QVERIFY2(QFile::exists(qEnvironmentVariable("FORGEWIRE_TRAY_BIN")), "FORGEWIRE_TRAY_BIN not set");
    QString error;
    QVERIFY2(m_server.start(&error), qPrintable(error));
    QCOMPARE(m_server.admin("PUT", u"/api/v1/projects/42/access"_s, R"({"public":false,"users":[7]})").status,
             200);
}

void TestHeadless::jsonLinePerEvent()
{
    QCOMPARE(m_server.admin("PUT", u"/api/v1/users/7/notification-count"_s, R"({"count":2})").status, 202);
    Tray tray;
    tray.start(common({u"--watch-board"_s, u"42"_s}));
    const QJsonObject hello = tray.waitForType(u"hello"_s);
    QCOMPARE(hello.value("user"_L1).toObject().value("login"_L1).toString(), u"alice"_s);
    QCOMPARE(tray.waitForType(u"notification-count"_s).value("count"_L1).toInt(), 2);
    QCOMPARE(tray.waitForType(u"subscribed"_s).value("topic"_L1).toString(), u"project-board.42"_s);

    QCOMPARE(m_server.admin("PUT", u"/api/v1/users/7/notification-count"_s, R"({"count":3})").status, 202);
    QCOMPARE(tray.waitForType(u"notification-count"_s).value("count"_L1).toInt(), 3);
    QCOMPARE(m_server.admin("PUT", u"/api/v1/users/7/stopwatches"_s, stopwatchStartedAgo()).status, 202);
    const QJsonObject stopwatches = tray.waitForType(u"stopwatches"_s);
    QCOMPARE(stopwatches.value("data"_L1).toArray().first().toObject().value("issue_title"_L1).toString(),
             u"Fix X"_s);
    QCOMPARE(m_server
                 .admin("POST", u"/api/v1/projects/42/events"_s,
                        R"({"event":"project.updated","data":{"title":"Roadmap","description":"",)"
                        R"("is_closed":false}})")
                 .status,
             202);
    const QJsonObject board = tray.waitForType(u"board"_s);
    QCOMPARE(board.value("event"_L1).toString(), u"project.updated"_s);
    QCOMPARE(board.value("topic"_L1).toString(), u"project-board.42"_s);

    // Every line is one complete JSON object.
    for (const QString& line : tray.lines())
        QVERIFY2(QJsonDocument::fromJson(line.toUtf8()).isObject(), qPrintable(line));
}

void TestHeadless::statusLineTicksAndRecoversAfterServerRestart()
{
    QCOMPARE(m_server.admin("PUT", u"/api/v1/users/7/notification-count"_s, R"({"count":3})").status, 202);
    QCOMPARE(m_server.admin("PUT", u"/api/v1/users/7/stopwatches"_s, "[]").status, 202);
    Tray tray;
    tray.start(common({u"--format"_s, u"status"_s}));
    QVERIFY(!tray.waitForLine(u"3 unread"_s).isEmpty());

    QDateTime started;
    QCOMPARE(
        m_server.admin("PUT", u"/api/v1/users/7/stopwatches"_s, stopwatchStartedAgo(5025, &started)).status,
        202);
    QVERIFY(!tray.waitForLine(u"3 unread | alice/proj#7 01:23:45"_s).isEmpty());
    // Ticks without any message from the server.
    QVERIFY(!tray.waitForLine(u"3 unread | alice/proj#7 01:23:46"_s, 3000).isEmpty());

    m_server.kill();
    QVERIFY(!tray.waitForLine([](const QString& l) { return l.endsWith(u" | reconnecting"_s); }).isEmpty());
    // Long enough offline that a stopwatch counted from the retained `seconds` would visibly jump back.
    QTest::qWait(2500);
    QString error;
    QVERIFY2(m_server.start(&error), qPrintable(error));
    // Back by itself, with the retained count and stopwatch, still counting from `created`.
    const QString back = tray.waitForLine(
        [](const QString& l) {
            return l.startsWith(u"3 unread | alice/proj#7 "_s) && !l.contains(u"reconn"_s);
        },
        15'000);
    QVERIFY2(!back.isEmpty(), qPrintable(tray.lines().join(u'\n')));
    const qint64 expected = started.secsTo(QDateTime::currentDateTimeUtc());
    const QString shown = back.section(u' ', -1);
    QVERIFY2(shown == hms(expected - 1) || shown == hms(expected) || shown == hms(expected + 1),
             qPrintable(u"%1, expected %2"_s.arg(back, hms(expected))));
    QCOMPARE(tray.process().state(), QProcess::Running);

    // Consecutive lines always differ: printed on change only.
    for (qsizetype i = 1; i < tray.lines().size(); ++i)
        QVERIFY(tray.lines().at(i) != tray.lines().at(i - 1));
}

void TestHeadless::refusedTokenIsShownAndNotRetried()
{
    Tray tray("not-a-valid-token");
    tray.start(common({u"--format"_s, u"status"_s}));
    QVERIFY(!tray.waitForLine(u"token refused"_s).isEmpty());
    QTest::qWait(500);
    tray.waitForLine([](const QString&) { return false; }, 200);
    QCOMPARE(tray.lines().last(), u"token refused"_s);
    QCOMPARE(tray.process().state(), QProcess::Running);
}

void TestHeadless::cleartextTokenIsWarnedAbout_data()
{
    QTest::addColumn<QString>("host");
    QTest::addColumn<bool>("warned");
    // 0.0.0.0 is no loopback address, yet Linux connects it to this machine: a real non-loopback
    // case without a packet leaving the host.
    QTest::newRow("ws to 0.0.0.0") << u"0.0.0.0"_s << true;
    QTest::newRow("ws to 127.0.0.1") << u"127.0.0.1"_s << false;
    QTest::newRow("ws to localhost") << u"localhost"_s << false;
}

void TestHeadless::cleartextTokenIsWarnedAbout()
{
    QFETCH(QString, host);
    QFETCH(bool, warned);
    QUrl url = m_server.wsUrl();
    url.setHost(host);
    Tray tray;
    tray.start({u"--headless"_s, u"--server"_s, url.toString()});
    // The warning informs, it does not stop anything: the connection still comes up.
    QCOMPARE(tray.waitForType(u"hello"_s).value("user"_L1).toObject().value("login"_L1).toString(),
             u"alice"_s);
    const QString stderrText = QString::fromUtf8(tray.process().readAllStandardError());
    QCOMPARE(stderrText.contains(u"token is sent unencrypted to ws://%1"_s.arg(host)), warned);
    QVERIFY2(!stderrText.contains(QString::fromUtf8(ServerProcess::kStaticToken)), qPrintable(stderrText));
}

void TestHeadless::startErrors_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    QTest::newRow("no server") << QStringList{u"--headless"_s} << u"No server URL set"_s;
    QTest::newRow("token file") << QStringList{u"--headless"_s, u"--server"_s, u"ws://127.0.0.1:1/-/ws"_s,
                                               u"--token-file"_s, u"/nonexistent/token"_s}
                                << u"Cannot read the token file"_s;
    QTest::newRow("bad flag") << QStringList{u"--headless"_s, u"--format"_s, u"xml"_s} << u"Unknown format"_s;
}

void TestHeadless::startErrors()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    Tray tray{QByteArray()};
    tray.start(arguments);
    QVERIFY(tray.process().waitForFinished(kWaitMs));
    QCOMPARE(tray.process().exitCode(), 2);
    const QString stderrText = QString::fromUtf8(tray.process().readAllStandardError());
    QVERIFY2(stderrText.contains(message), qPrintable(stderrText));
}

void TestHeadless::noKeyringAndNoTokenExits()
{
    PrivateBus bus; // a session bus without a Secret Service or KWallet
    if (PrivateBus::daemonExecutable().isEmpty() || !bus.start())
        QSKIP("dbus-daemon is not installed (Debian: dbus); a private session bus is needed");
    Tray tray;
    tray.setEnvironment(u"FORGEWIRE_TOKEN"_s, QString());
    tray.setEnvironment(u"DBUS_SESSION_BUS_ADDRESS"_s, bus.address());
    tray.start(common({}));
    QVERIFY(tray.process().waitForFinished(kWaitMs));
    QCOMPARE(tray.process().exitCode(), 2);
    const QString stderrText = QString::fromUtf8(tray.process().readAllStandardError());
    QVERIFY2(
        stderrText.contains(u"no keyring found: no Secret Service or KWallet on the D-Bus session bus"_s),
        qPrintable(stderrText));
    QVERIFY2(stderrText.contains(u"FORGEWIRE_TOKEN or --token-file"_s), qPrintable(stderrText));
}

void TestHeadless::plainTextTokenFileSignsIn()
{
    PrivateBus bus;
    if (PrivateBus::daemonExecutable().isEmpty() || !bus.start())
        QSKIP("dbus-daemon is not installed (Debian: dbus); a private session bus is needed");
    Tray tray;
    tray.setEnvironment(u"FORGEWIRE_TOKEN"_s, QString());
    tray.setEnvironment(u"DBUS_SESSION_BUS_ADDRESS"_s, bus.address());
    // What the tray's Settings leave behind when the user chose the plain-text file.
    QVERIFY(QDir().mkpath(tray.configPath(u"Forgewire"_s)));
    QFile settings(tray.configPath(u"Forgewire/forgewire-tray.conf"_s));
    QVERIFY(settings.open(QIODevice::WriteOnly));
    settings.write("[tokens]\nplain_text_file=true\n");
    settings.close();
    const QString key = m_server.wsUrl().toString();
    QVERIFY(QDir().mkpath(tray.configPath(u"forgewire"_s)));
    QFile tokens(tray.configPath(u"forgewire/tokens"_s));
    QVERIFY(tokens.open(QIODevice::WriteOnly));
    tokens.write(QJsonDocument(QJsonObject{{key, QString::fromUtf8(ServerProcess::kStaticToken)}}).toJson());
    tokens.close();
    QVERIFY(tokens.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner));
    tray.start(common({}));
    const QJsonObject hello = tray.waitForType(u"hello"_s);
    QCOMPARE(hello.value("user"_L1).toObject().value("login"_L1).toString(), u"alice"_s);
}

void TestHeadless::directModeWithoutAServer()
{
    // Codeberg in one command: a forge URL and a forge token, no --server, no forgewire-server.
    FakeForge forge;
    const QByteArray token = "0123456789abcdef0123456789abcdef01234567";
    forge.addAccount(7, u"alice"_s, token);
    forge.accounts[7].unread = 4;
    forge.accounts[7].stopwatches = {
        FakeForge::stopwatch(7, u"Fix X"_s, QDateTime::currentDateTimeUtc().addSecs(-65))};
    QVERIFY(forge.start());
    Tray tray(token);
    tray.start({u"--headless"_s, u"--format"_s, u"status"_s, u"--forge-url"_s,
                u"http://127.0.0.1:%1"_s.arg(forge.port())});
    const QString line =
        tray.waitForLine([](const QString& l) { return l.startsWith(u"4 unread | alice/proj#7 "_s); });
    QVERIFY2(!line.isEmpty(), qPrintable(tray.lines().join(u" / "_s)));
    QVERIFY(forge.count(u"/api/v1/notifications/new"_s) >= 1);
    QVERIFY(forge.count(u"/api/v1/user/stopwatches"_s) >= 1);
    // The next change arrives with a later poll (Gitea's 10 s after a change).
    forge.accounts[7].unread = 5;
    QVERIFY(
        !tray.waitForLine([](const QString& l) { return l.startsWith(u"5 unread"_s); }, 15'000).isEmpty());
}

QTEST_GUILESS_MAIN(TestHeadless)
#include "tst_headless.moc"
