// The forgewire-server binary as an operator runs it: flags, errors, and SIGTERM draining.

#include "TestSupport.h"

#include <QProcess>
#include <QTest>

#include <csignal>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

class TestDaemon : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Every case runs on each transport (see addTransportRows).
    void initTestCase_data() { addTransportRows(); }
    void init() { useGlobalTransport(); }
    void help();
    void badArguments_data();
    void badArguments();
    void sigtermDrainsWith1001();

private:
    static QString binary() { return qEnvironmentVariable("FORGEWIRE_SERVER_BIN"); }
};

void TestDaemon::help()
{
    QProcess p;
    p.start(binary(), {u"--help"_s});
    QVERIFY(p.waitForFinished(kWaitMs));
    QCOMPARE(p.exitCode(), 0);
    const QByteArray out = p.readAllStandardOutput();
    for (const char* flag : {"--config", "--listen", "--port", "--admin-listen", "--admin-port",
                             "--jwt-secret", "--publisher-secret", "--state", "--engine", "--log-level",
                             "--workers", "--max-connections", "--path-prefix", "--transport"})
        QVERIFY2(out.contains(flag), flag);
}

void TestDaemon::badArguments_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    QTest::newRow("unknown flag") << QStringList{u"--nope"_s} << u"Unknown option"_s;
    QTest::newRow("bad port") << QStringList{u"--port"_s, u"70000"_s} << u"not a port number"_s;
    QTest::newRow("bad level") << QStringList{u"--log-level"_s, u"loud"_s} << u"unknown log level"_s;
    QTest::newRow("bad engine") << QStringList{u"--engine"_s, u"postgres://x"_s} << u"unknown engine"_s;
    QTest::newRow("bad transport") << QStringList{u"--transport"_s, u"kqueue"_s} << u"unknown transport"_s;
    QTest::newRow("missing config") << QStringList{u"--config"_s, u"/nonexistent.ini"_s}
                                    << u"cannot read config"_s;
}

void TestDaemon::badArguments()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    QProcess p;
    p.start(binary(), arguments);
    QVERIFY(p.waitForFinished(kWaitMs));
    QCOMPARE(p.exitCode(), 2);
    QVERIFY2(QString::fromUtf8(p.readAllStandardError()).contains(message), qPrintable(message));
}

void TestDaemon::sigtermDrainsWith1001()
{
    QTemporaryDir dir;
    const auto [port, adminPort] = freePorts();
    QProcess server;
    server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    server.start(binary(),
                 {u"--listen"_s, u"127.0.0.1"_s, u"--port"_s, QString::number(port), u"--admin-port"_s,
                  QString::number(adminPort), u"--state"_s, dir.filePath(u"s.sqlite"_s), u"--jwt-secret"_s,
                  QString::fromLatin1(kJwtSecret), u"--publisher-secret"_s,
                  QString::fromLatin1(kPublisherSecret), u"--transport"_s, currentTransport()});
    QVERIFY(server.waitForStarted());
    const QUrl ready(u"http://127.0.0.1:%1/readyz"_s.arg(adminPort));
    QVERIFY(waitFor([&] { return http("GET", ready, {}, {}).status == 200; }));
    QVERIFY(http("PUT", QUrl(u"http://127.0.0.1:%1/api/v1/users/7/notification-count"_s.arg(adminPort)),
                 R"({"count":5})")
                .status == 202);
    WsClient client;
    QVERIFY(client.open(QUrl(u"ws://127.0.0.1:%1/-/ws"_s.arg(port)), makeToken(7, u"alice"_s)));
    QCOMPARE(client.next().value("type"_L1).toString(), u"hello"_s);
    QCOMPARE(client.next().value("count"_L1).toInt(), 5);

    ::kill(static_cast<pid_t>(server.processId()), SIGTERM);
    QCOMPARE(client.waitClosed(), 1001);
    QVERIFY(server.waitForFinished(kWaitMs));
    QCOMPARE(server.exitStatus(), QProcess::NormalExit);
    QCOMPARE(server.exitCode(), 0);
}

QTEST_GUILESS_MAIN(TestDaemon)
#include "tst_daemon.moc"
