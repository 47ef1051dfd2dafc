// Command line and INI parsing of forgewire-server.

#include "config/ServerConfig.h"
#include "daemon/Server.h"
#include "engine/Engine.h"

#include <QTemporaryFile>
#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestServerConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaults();
    void iniFile();
    void flagsOverrideIni();
    void environmentSecrets();
    void errors_data();
    void errors();
    void helpAndVersion();
    void shippedConfigsParse_data();
    void shippedConfigsParse();
    void embeddedEngineNames_data();
    void embeddedEngineNames();

private:
    // The files live until the test ends; QSettings reads them by name.
    static QString writeIni(const QByteArray& text);
};

QString TestServerConfig::writeIni(const QByteArray& text)
{
    auto* file = new QTemporaryFile;
    file->setAutoRemove(true);
    file->open();
    file->write(text);
    file->flush();
    file->setParent(nullptr);
    static QList<std::shared_ptr<QTemporaryFile>> keep;
    keep.append(std::shared_ptr<QTemporaryFile>(file));
    return file->fileName();
}

void TestServerConfig::defaults()
{
    const auto parsed = parseServerArguments({u"forgewire-server"_s});
    QVERIFY(parsed.config);
    const ServerConfig& c = *parsed.config;
    QCOMPARE(c.port, quint16(8080));
    QCOMPARE(c.adminPort, quint16(8081));
    QCOMPARE(c.adminAddress, QHostAddress(QHostAddress::LocalHost)); // the publish API is private by default
    QCOMPARE(c.listenAddress, QHostAddress(QHostAddress::Any));
    QCOMPARE(c.wsPath(), u"/-/ws"_s);
    QCOMPARE(c.engine, u"embedded"_s);
    QCOMPARE(c.revokedSessionTtlSeconds, 30LL * 24 * 3600); // PROTOCOL.md v1.1: 30 days
    QVERIFY(c.effectiveWorkers() >= 1);
}

void TestServerConfig::iniFile()
{
    const QString path =
        writeIni("[server]\nlisten=127.0.0.1\nport=9000\npath_prefix=/push/\nadmin_port=9001\n"
                 "workers=3\nstate=/tmp/x.sqlite\nlog_level=debug\n"
                 "[auth]\njwt_secret=j\npublisher_secret=\"p,q\"\npublisher_secret_file=/etc/fw/"
                 "pub\nrevoked_session_ttl=3600\n"
                 "[limits]\nping_interval_ms=1000\npong_deadline_ms=500\nmax_connections=10\n"
                 "max_send_queue_bytes=4096\nhandshake_timeout_ms=250\nmax_message_bytes=1024\n"
                 "max_queued_bytes=65536\nmax_connections_per_address=4\nmax_pending_handshakes=5\n"
                 "[static_tokens]\ndev-alice=7:alice:s1\ndev-bob=8:bob\n");
    const auto parsed = parseServerArguments({u"forgewire-server"_s, u"--config"_s, path});
    QVERIFY2(parsed.config, qPrintable(parsed.error));
    const ServerConfig& c = *parsed.config;
    QCOMPARE(c.listenAddress, QHostAddress(u"127.0.0.1"_s));
    QCOMPARE(c.port, quint16(9000));
    QCOMPARE(c.wsPath(), u"/push/-/ws"_s);
    QCOMPARE(c.adminPort, quint16(9001));
    QCOMPARE(c.workers, 3);
    QCOMPARE(c.statePath, u"/tmp/x.sqlite"_s);
    QCOMPARE(c.logLevel, u"debug"_s);
    QCOMPARE(c.jwtSecret, QByteArray("j"));
    QCOMPARE(c.publisherSecret, QByteArray("p,q")); // quoted: the comma is part of the secret
    QCOMPARE(c.publisherSecretFile, u"/etc/fw/pub"_s);
    QCOMPARE(c.revokedSessionTtlSeconds, 3600);
    QCOMPARE(c.pingIntervalMs, 1000);
    QCOMPARE(c.pongDeadlineMs, 500);
    QCOMPARE(c.maxConnections, 10);
    QCOMPARE(c.maxSendQueueBytes, 4096);
    QCOMPARE(c.handshakeTimeoutMs, 250);
    QCOMPARE(c.maxMessageBytes, 1024);
    QCOMPARE(c.maxQueuedBytes, 65536);
    QCOMPARE(c.maxConnectionsPerAddress, 4);
    QCOMPARE(c.maxPendingHandshakes, 5);
    QCOMPARE(c.staticTokens.size(), 2);
    QCOMPARE(c.staticTokens.value("dev-alice").userId, 7);
    QCOMPARE(c.staticTokens.value("dev-alice").login, u"alice"_s);
    QCOMPARE(c.staticTokens.value("dev-alice").sessionId, u"s1"_s);
    QCOMPARE(c.staticTokens.value("dev-bob").sessionId, QString());
}

void TestServerConfig::flagsOverrideIni()
{
    const QString path = writeIni("[server]\nport=9000\n[auth]\njwt_secret=fromfile\n");
    const auto parsed = parseServerArguments({u"forgewire-server"_s,
                                              u"--config"_s,
                                              path,
                                              u"--port"_s,
                                              u"9100"_s,
                                              u"--jwt-secret"_s,
                                              u"fromflag"_s,
                                              u"--engine"_s,
                                              u"redis://127.0.0.1:6379/0"_s,
                                              u"--path-prefix"_s,
                                              u"/a"_s,
                                              u"--handshake-timeout"_s,
                                              u"1500"_s,
                                              u"--max-message-bytes"_s,
                                              u"2048"_s,
                                              u"--max-send-queue-bytes"_s,
                                              u"8192"_s,
                                              u"--max-queued-bytes"_s,
                                              u"16384"_s,
                                              u"--max-connections-per-address"_s,
                                              u"6"_s,
                                              u"--max-pending-handshakes"_s,
                                              u"7"_s,
                                              u"--revoked-session-ttl"_s,
                                              u"60"_s});
    QVERIFY2(parsed.config, qPrintable(parsed.error));
    QCOMPARE(parsed.config->port, quint16(9100));
    QCOMPARE(parsed.config->jwtSecret, QByteArray("fromflag"));
    QCOMPARE(parsed.config->engine, u"redis://127.0.0.1:6379/0"_s);
    QCOMPARE(parsed.config->wsPath(), u"/a/-/ws"_s);
    QCOMPARE(parsed.config->handshakeTimeoutMs, 1500);
    QCOMPARE(parsed.config->maxMessageBytes, 2048);
    QCOMPARE(parsed.config->maxSendQueueBytes, 8192);
    QCOMPARE(parsed.config->maxQueuedBytes, 16384);
    QCOMPARE(parsed.config->maxConnectionsPerAddress, 6);
    QCOMPARE(parsed.config->maxPendingHandshakes, 7);
    QCOMPARE(parsed.config->revokedSessionTtlSeconds, 60);
}

void TestServerConfig::environmentSecrets()
{
    qputenv("FORGEWIRE_JWT_SECRET", "env-jwt");
    qputenv("FORGEWIRE_PUBLISHER_SECRET", "env-pub");
    const auto parsed = parseServerArguments({u"forgewire-server"_s});
    qunsetenv("FORGEWIRE_JWT_SECRET");
    qunsetenv("FORGEWIRE_PUBLISHER_SECRET");
    QVERIFY(parsed.config);
    QCOMPARE(parsed.config->jwtSecret, QByteArray("env-jwt"));
    QCOMPARE(parsed.config->publisherSecret, QByteArray("env-pub"));
}

void TestServerConfig::errors_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QByteArray>("ini");
    QTest::addColumn<QString>("error");
    QTest::newRow("unknown flag") << QStringList{u"--frobnicate"_s} << QByteArray() << u"Unknown option"_s;
    QTest::newRow("positional") << QStringList{u"extra"_s} << QByteArray() << u"unexpected argument"_s;
    QTest::newRow("port range") << QStringList{u"--port"_s, u"65536"_s} << QByteArray()
                                << u"not a port number"_s;
    QTest::newRow("port text") << QStringList{u"--admin-port"_s, u"http"_s} << QByteArray()
                               << u"not a port number"_s;
    QTest::newRow("address") << QStringList{u"--listen"_s, u"nowhere"_s} << QByteArray()
                             << u"not an IP address"_s;
    QTest::newRow("workers") << QStringList{u"--workers"_s, u"-1"_s} << QByteArray()
                             << u"--workers must be"_s;
    QTest::newRow("max connections") << QStringList{u"--max-connections"_s, u"0"_s} << QByteArray()
                                     << u"--max-connections must be"_s;
    QTest::newRow("log level") << QStringList{u"--log-level"_s, u"chatty"_s} << QByteArray()
                               << u"unknown log level"_s;
    QTest::newRow("engine") << QStringList{u"--engine"_s, u"etcd://x"_s} << QByteArray()
                            << u"unknown engine"_s;
    QTest::newRow("prefix") << QStringList{u"--path-prefix"_s, u"push"_s} << QByteArray()
                            << u"must start with '/'"_s;
    QTest::newRow("ini port") << QStringList() << QByteArray("[server]\nport=abc\n")
                              << u"not a port number"_s;
    QTest::newRow("ini limit") << QStringList() << QByteArray("[limits]\nping_interval_ms=0\n")
                               << u"ping_interval_ms"_s;
    QTest::newRow("ini static token")
        << QStringList() << QByteArray("[static_tokens]\nabc=alice\n") << u"user_id:login"_s;
    QTest::newRow("ini static token id")
        << QStringList() << QByteArray("[static_tokens]\nabc=x:alice\n") << u"user_id:login"_s;
    // Unquoted commas make QSettings return a list: refused rather than read as an empty secret.
    QTest::newRow("ini secret with comma")
        << QStringList() << QByteArray("[auth]\npublisher_secret=pub,secret\n")
        << u"put it in double quotes"_s;
    QTest::newRow("ini static token with comma")
        << QStringList() << QByteArray("[static_tokens]\nabc=7:alice,bob\n") << u"put it in double quotes"_s;
    QTest::newRow("revoked session ttl") << QStringList{u"--revoked-session-ttl"_s, u"0"_s} << QByteArray()
                                         << u"--revoked-session-ttl must be"_s;
    QTest::newRow("revoked session ttl too long")
        << QStringList() << QByteArray("[auth]\nrevoked_session_ttl=99999999999\n") << u"at most"_s;
    QTest::newRow("handshake timeout")
        << QStringList{u"--handshake-timeout"_s, u"0"_s} << QByteArray() << u"--handshake-timeout must be"_s;
    // Beyond an int setting's range: refused instead of wrapping (2^32 became 0, 2^32+1 became 1;
    // found by config_fuzzer).
    QTest::newRow("ping interval wraps to 0")
        << QStringList{u"--ping-interval"_s, u"4294967296"_s} << QByteArray() << u"--ping-interval must be"_s;
    QTest::newRow("ini max connections wraps to 1")
        << QStringList() << QByteArray("[limits]\nmax_connections=4294967297\n")
        << u"max_connections must be"_s;
    QTest::newRow("ini poll step wraps to 0")
        << QStringList() << QByteArray("[forge]\npoll_step_ms=4294967296\n") << u"poll_step_ms must be"_s;
}

void TestServerConfig::errors()
{
    QFETCH(QStringList, arguments);
    QFETCH(QByteArray, ini);
    QFETCH(QString, error);
    QStringList argv{u"forgewire-server"_s};
    if (!ini.isEmpty())
        argv << u"--config"_s << writeIni(ini);
    argv << arguments;
    const auto parsed = parseServerArguments(argv);
    QVERIFY(!parsed.config);
    QVERIFY2(parsed.error.contains(error), qPrintable(parsed.error));
}

void TestServerConfig::helpAndVersion()
{
    const auto help = parseServerArguments({u"forgewire-server"_s, u"--help"_s});
    QVERIFY(help.exitText.contains(u"--publisher-secret"_s));
    QVERIFY(help.exitText.contains(u"FORGEWIRE_JWT_SECRET"_s));
    // Every setting is documented: each flag, and the INI-only sections.
    for (const QString& documented :
         {u"--handshake-timeout"_s, u"--max-message-bytes"_s, u"--max-send-queue-bytes"_s,
          u"--max-connections"_s, u"--max-queued-bytes"_s, u"--max-connections-per-address"_s,
          u"--max-pending-handshakes"_s, u"--ping-interval"_s, u"--pong-deadline"_s, u"--forge-url"_s,
          u"[static_tokens]"_s, u"poll_min_ms"_s, u"outage_max_ms"_s})
        QVERIFY2(help.exitText.contains(documented), qPrintable(documented));
    const auto version = parseServerArguments({u"forgewire-server"_s, u"--version"_s});
    QVERIFY(version.exitText.startsWith(u"forgewire-server "_s));
}

void TestServerConfig::shippedConfigsParse_data()
{
    QTest::addColumn<QString>("file");
    QTest::newRow("dev") << u"forgewire-dev.ini"_s;
    QTest::newRow("example") << u"forgewire.example.ini"_s;
}

void TestServerConfig::shippedConfigsParse()
{
    QFETCH(QString, file);
    const QString path = QFINDTESTDATA(u"../../resources/"_s + file);
    QVERIFY(!path.isEmpty());
    const auto parsed = parseServerArguments({u"forgewire-server"_s, u"--config"_s, path});
    QVERIFY2(parsed.config, qPrintable(parsed.error));
    QCOMPARE(parsed.config->listenAddress, QHostAddress(QHostAddress::Any));
    QCOMPARE(parsed.config->adminAddress, QHostAddress(QHostAddress::LocalHost));
    QCOMPARE(parsed.config->port, quint16(8080));
}

void TestServerConfig::embeddedEngineNames_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::newRow("default") << QStringList{};
    QTest::newRow("flag embedded") << QStringList{u"--engine"_s, u"embedded"_s};
    QTest::newRow("flag memory") << QStringList{u"--engine"_s, u"memory"_s};
    QTest::newRow("ini embedded") << QStringList{u"--config"_s, writeIni("[server]\nengine=embedded\n")};
    QTest::newRow("ini memory") << QStringList{u"--config"_s, writeIni("[server]\nengine=memory\n")};
}

void TestServerConfig::embeddedEngineNames()
{
    // One engine, one name: `memory` (the name before 1.1) is read as `embedded`, so configs written
    // for it keep working and logs and metrics still say `embedded`.
    QFETCH(QStringList, arguments);
    const auto parsed = parseServerArguments(QStringList{u"forgewire-server"_s} + arguments);
    QVERIFY2(parsed.config, qPrintable(parsed.error));
    QCOMPARE(parsed.config->engine, u"embedded"_s);
    ServerConfig config = *parsed.config;
    config.statePath = u":memory:"_s;
    QString error;
    std::unique_ptr<Engine> engine(Server::createEngine(config, nullptr, &error));
    QVERIFY2(engine, qPrintable(error));
    QCOMPARE(engine->name(), u"embedded"_s);
}

QTEST_GUILESS_MAIN(TestServerConfig)
#include "tst_serverconfig.moc"
