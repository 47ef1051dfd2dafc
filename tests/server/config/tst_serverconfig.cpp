// Command line and INI parsing of forgewire-server.

#include "config/ServerConfig.h"
#include "config/ServerSettings.h"
#include "daemon/Server.h"
#include "engine/Engine.h"

#include <QFile>
#include <QRegularExpression>
#include <QSet>
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
    void engineListingServersInIni_data();
    void engineListingServersInIni();
    void flagsOverrideIni();
    void environmentSecrets();
    void errors_data();
    void errors();
    void helpAndVersion();
    void shippedConfigsParse_data();
    void shippedConfigsParse();
    void settingsTableIsConsistent();
    void settingRoundTripsThroughIni_data();
    void settingRoundTripsThroughIni();
    void settingRoundTripsThroughFlag_data();
    void settingRoundTripsThroughFlag();
    void settingRefusesBadValue_data();
    void settingRefusesBadValue();
    void pathPrefixNormalised_data();
    void pathPrefixNormalised();
    void exampleIniListsEverySetting();
    void helpMentionsEverySetting();
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
    QCOMPARE(c.drainTimeoutMs, limits::kDrainTimeoutMs);
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

void TestServerConfig::engineListingServersInIni_data()
{
    QTest::addColumn<QString>("url");
    QTest::newRow("sentinel")
        << u"redis-sentinel://:p%40ss@10.0.0.1:26379,10.0.0.2:26380/forge?db=2&sentinel_password=s%26p"_s;
    QTest::newRow("cluster") << u"redis-cluster://fw:p%40ss@10.0.0.1:7000,10.0.0.2:7000,[::1]:7001"_s;
}

void TestServerConfig::engineListingServersInIni()
{
    // Quoted, as the README says: unquoted, the commas between the servers make QSettings read a
    // list, which is refused with that advice.
    QFETCH(QString, url);
    const auto quoted = parseServerArguments(
        {u"forgewire-server"_s, u"--config"_s, writeIni("[server]\nengine=\"" + url.toUtf8() + "\"\n")});
    QVERIFY2(quoted.config, qPrintable(quoted.error));
    QCOMPARE(quoted.config->engine, url);
    const auto bare = parseServerArguments(
        {u"forgewire-server"_s, u"--config"_s, writeIni("[server]\nengine=" + url.toUtf8() + "\n")});
    QVERIFY(!bare.config);
    QVERIFY2(bare.error.contains(u"contains a comma; put it in double quotes"_s), qPrintable(bare.error));
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
    QTest::newRow("drain timeout") << QStringList{u"--drain-timeout"_s, u"0"_s} << QByteArray()
                                   << u"--drain-timeout must be"_s;
    QTest::newRow("ini drain timeout wraps to 0")
        << QStringList() << QByteArray("[limits]\ndrain_timeout_ms=4294967296\n")
        << u"drain_timeout_ms must be"_s;
    QTest::newRow("ini log level") << QStringList() << QByteArray("[server]\nlog_level=chatty\n")
                                   << u"unknown log level"_s;
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

namespace {

// A value for every setting of the table that differs from its default, and one it must refuse
// (empty: every text is accepted). A setting added to the table without a row here fails
// settingRoundTripsThroughIni, so each new setting gets tested.
struct Sample
{
    QString good;
    QString bad;
};

const QHash<QString, Sample>& samples()
{
    static const QHash<QString, Sample> table{
        {u"server/listen"_s, {u"127.0.0.2"_s, u"nowhere"_s}},
        {u"server/port"_s, {u"9000"_s, u"65536"_s}},
        {u"server/path_prefix"_s, {u"/push"_s, u"push"_s}},
        {u"server/allowed_origins"_s,
         {u"https://git.example.org http://127.0.0.1:3000"_s, u"git.example.org"_s}},
        {u"server/trusted_proxies"_s, {u"10.0.0.0/8 ::1/128"_s, u"10.0.0.0/33"_s}},
        {u"server/demo_page"_s, {u"true"_s, u"maybe"_s}},
        {u"server/admin_listen"_s, {u"::1"_s, u"10.0.0.300"_s}},
        {u"server/admin_port"_s, {u"9001"_s, u"http"_s}},
        {u"server/workers"_s, {u"3"_s, u"-1"_s}},
        {u"server/state"_s, {u"/tmp/sample.sqlite"_s, {}}},
        {u"server/engine"_s, {u"redis://127.0.0.1:6379/2"_s, u"etcd://x"_s}},
        {u"server/transport"_s, {u"qt"_s, u"kqueue"_s}},
        {u"server/log_level"_s, {u"debug"_s, u"chatty"_s}},
        {u"auth/jwt_secret"_s, {u"sample-jwt"_s, {}}},
        {u"auth/publisher_secret"_s, {u"sample-publisher"_s, {}}},
        {u"auth/publisher_secret_file"_s, {u"/tmp/sample-publisher-secret"_s, {}}},
        {u"auth/revoked_session_ttl"_s, {u"3600"_s, u"99999999999"_s}},
        {u"limits/max_message_bytes"_s, {u"1024"_s, u"0"_s}},
        {u"limits/handshake_timeout_ms"_s, {u"250"_s, u"0"_s}},
        {u"limits/ping_interval_ms"_s, {u"1000"_s, u"4294967296"_s}},
        {u"limits/pong_deadline_ms"_s, {u"500"_s, u"-5"_s}},
        {u"limits/max_send_queue_bytes"_s, {u"4096"_s, u"lots"_s}},
        {u"limits/max_connections"_s, {u"10"_s, u"4294967297"_s}},
        {u"limits/max_queued_bytes"_s, {u"65536"_s, u"9223372036854775808"_s}},
        {u"limits/max_connections_per_address"_s, {u"4"_s, u"0"_s}},
        {u"limits/max_pending_handshakes"_s, {u"5"_s, u"1.5"_s}},
        {u"limits/max_held_connections"_s, {u"7"_s, u"-1"_s}},
        {u"limits/drain_timeout_ms"_s, {u"1500"_s, u"0"_s}},
        {u"forge/url"_s, {u"https://git.example.org/gitea"_s, u"codeberg.org"_s}},
        {u"forge/cookie_auth"_s, {u"true"_s, u"maybe"_s}},
        {u"forge/session_cookie"_s, {u"gitea_session"_s, u"bad name"_s}},
        {u"forge/page_format"_s, {u"eventType"_s, u"event_type"_s}},
        {u"forge/poll_min_ms"_s, {u"5000"_s, u"0"_s}},
        {u"forge/poll_step_ms"_s, {u"0"_s, u"-1"_s}},
        {u"forge/poll_max_ms"_s, {u"30000"_s, u"4294967296"_s}},
        {u"forge/outage_max_ms"_s, {u"120000"_s, u"0"_s}},
        {u"static_tokens/*"_s, {u"7:alice:s1"_s, u"alice"_s}},
    };
    return table;
}

// The INI text that sets `setting` to `value`; a free-form section gets one key, `sample-key`.
QByteArray iniFor(const ServerSetting& setting, const QString& value)
{
    const QString key = setting.isFreeForm() ? u"sample-key"_s : QString(setting.key());
    return u"[%1]\n%2=\"%3\"\n"_s.arg(setting.section(), key, value).toUtf8();
}

// What the parsed config holds for `setting`; a free-form section answers for `sample-key`.
QString valueOf(const ServerSetting& setting, const ServerConfig& config)
{
    if (!setting.isFreeForm())
        return setting.get(config);
    if (!config.staticTokens.contains("sample-key"))
        return {};
    const StaticToken& token = config.staticTokens.value("sample-key");
    return u"%1:%2:%3"_s.arg(token.userId).arg(token.login, token.sessionId);
}

} // namespace

void TestServerConfig::settingsTableIsConsistent()
{
    QSet<QString> keys;
    QSet<QString> flags{u"config"_s, u"help"_s, u"help-all"_s, u"version"_s};
    for (const ServerSetting& setting : serverSettings()) {
        QVERIFY2(!setting.section().isEmpty() && !setting.key().isEmpty() &&
                     setting.iniKey == setting.section() + u'/' + setting.key(),
                 qPrintable(setting.iniKey));
        QVERIFY2(!keys.contains(setting.iniKey), qPrintable(setting.iniKey));
        keys.insert(setting.iniKey);
        QVERIFY2(!setting.help.isEmpty() && !setting.valueName.isEmpty() && setting.set && setting.get,
                 qPrintable(setting.iniKey));
        if (!setting.flag.isEmpty()) {
            QVERIFY2(!flags.contains(setting.flag), qPrintable(setting.flag));
            flags.insert(setting.flag);
        }
    }
    QVERIFY(keys.contains(u"static_tokens/*"_s));
    QVERIFY(keys.contains(u"limits/drain_timeout_ms"_s));
}

void TestServerConfig::settingRoundTripsThroughIni_data()
{
    QTest::addColumn<int>("index");
    for (int i = 0; i < serverSettings().size(); ++i)
        QTest::newRow(serverSettings()[i].iniKey.data()) << i;
}

void TestServerConfig::settingRoundTripsThroughIni()
{
    QFETCH(int, index);
    const ServerSetting& setting = serverSettings()[index];
    QVERIFY2(samples().contains(setting.iniKey), "no sample value in this test for a setting of the table");
    const QString sample = samples().value(setting.iniKey).good;
    QVERIFY(sample != valueOf(setting, ServerConfig()));

    const auto parsed =
        parseServerArguments({u"forgewire-server"_s, u"--config"_s, writeIni(iniFor(setting, sample))});
    QVERIFY2(parsed.config, qPrintable(parsed.error));
    QCOMPARE(valueOf(setting, *parsed.config), sample);
}

void TestServerConfig::settingRoundTripsThroughFlag_data()
{
    QTest::addColumn<int>("index");
    for (int i = 0; i < serverSettings().size(); ++i) {
        if (!serverSettings()[i].flag.isEmpty())
            QTest::newRow(serverSettings()[i].flag.data()) << i;
    }
}

void TestServerConfig::settingRoundTripsThroughFlag()
{
    QFETCH(int, index);
    const ServerSetting& setting = serverSettings()[index];
    const QString sample = samples().value(setting.iniKey).good;
    QVERIFY(!sample.isEmpty());
    // The flag wins over the file, which holds the default spelled out (if it has one: an empty
    // forge url is refused).
    QStringList arguments{u"forgewire-server"_s};
    if (const QString fallback = setting.get(ServerConfig()); !fallback.isEmpty())
        arguments << u"--config"_s << writeIni(iniFor(setting, fallback));
    const auto parsed = parseServerArguments(arguments << setting.flagName() << sample);
    QVERIFY2(parsed.config, qPrintable(parsed.error));
    QCOMPARE(setting.get(*parsed.config), sample);
}

void TestServerConfig::settingRefusesBadValue_data()
{
    QTest::addColumn<int>("index");
    QTest::addColumn<bool>("viaFlag");
    for (int i = 0; i < serverSettings().size(); ++i) {
        const ServerSetting& setting = serverSettings()[i];
        if (samples().value(setting.iniKey).bad.isEmpty())
            continue;
        QTest::addRow("%s", setting.iniKey.data()) << i << false;
        if (!setting.flag.isEmpty())
            QTest::addRow("--%s", setting.flag.data()) << i << true;
    }
}

void TestServerConfig::settingRefusesBadValue()
{
    QFETCH(int, index);
    QFETCH(bool, viaFlag);
    const ServerSetting& setting = serverSettings()[index];
    const QString bad = samples().value(setting.iniKey).bad;
    const auto parsed =
        viaFlag
            ? parseServerArguments({u"forgewire-server"_s, setting.flagName(), bad})
            : parseServerArguments({u"forgewire-server"_s, u"--config"_s, writeIni(iniFor(setting, bad))});
    QVERIFY(!parsed.config);
    // The error quotes the value or names the setting, so the operator knows which line to fix.
    // A static token is named by its first four characters only: the rest is a secret.
    const QString name = viaFlag ? setting.flagName() : setting.isFreeForm() ? u"samp…"_s : setting.iniName();
    QVERIFY2(parsed.error.contains(bad) || parsed.error.contains(name), qPrintable(parsed.error));
}

void TestServerConfig::pathPrefixNormalised_data()
{
    QTest::addColumn<bool>("viaFlag");
    QTest::newRow("ini") << false;
    QTest::newRow("flag") << true;
}

void TestServerConfig::pathPrefixNormalised()
{
    QFETCH(bool, viaFlag);
    const auto parsed = viaFlag
                            ? parseServerArguments({u"forgewire-server"_s, u"--path-prefix"_s, u"/push/"_s})
                            : parseServerArguments({u"forgewire-server"_s, u"--config"_s,
                                                    writeIni("[server]\npath_prefix=/push/\n")});
    QVERIFY2(parsed.config, qPrintable(parsed.error));
    QCOMPARE(parsed.config->pathPrefix, u"/push"_s);
    QCOMPARE(parsed.config->wsPath(), u"/push/-/ws"_s);
}

void TestServerConfig::exampleIniListsEverySetting()
{
    // The example file documents every key: set or commented out (`; key=value`), and no key the
    // server does not read.
    const QString path = QFINDTESTDATA(u"../../resources/forgewire.example.ini"_s);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly | QIODevice::Text));
    const QRegularExpression sectionLine(u"^\\[([A-Za-z_]+)\\]$"_s);
    const QRegularExpression keyLine(u"^;?\\s*([A-Za-z0-9_.-]+)\\s*="_s);
    QSet<QString> known;
    QSet<QString> freeFormSections;
    for (const ServerSetting& setting : serverSettings()) {
        if (setting.isFreeForm())
            freeFormSections.insert(setting.section());
        else
            known.insert(setting.iniKey);
    }
    QString section;
    QSet<QString> listed;
    QSet<QString> sections;
    while (!file.atEnd()) {
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        if (const auto match = sectionLine.match(line); match.hasMatch()) {
            section = match.captured(1);
            sections.insert(section);
            continue;
        }
        const auto match = keyLine.match(line);
        if (!match.hasMatch())
            continue;
        QVERIFY2(!section.isEmpty(), qPrintable(u"key before any section: "_s + line));
        if (freeFormSections.contains(section))
            continue;
        const QString key = section + u'/' + match.captured(1);
        QVERIFY2(known.contains(key), qPrintable(u"unknown key in the example: "_s + key));
        listed.insert(key);
    }
    for (const QString& key : std::as_const(known))
        QVERIFY2(listed.contains(key), qPrintable(u"not in the example: "_s + key));
    for (const QString& section : std::as_const(freeFormSections))
        QVERIFY2(sections.contains(section), qPrintable(u"section not in the example: "_s + section));
}

void TestServerConfig::helpMentionsEverySetting()
{
    const QString help = parseServerArguments({u"forgewire-server"_s, u"--help"_s}).exitText;
    for (const ServerSetting& setting : serverSettings()) {
        const QString mention = setting.flag.isEmpty() ? u"[%1] %2"_s.arg(setting.section(), setting.key())
                                                       : setting.flagName() + u" <"_s + setting.valueName;
        if (setting.isFreeForm())
            QVERIFY2(help.contains(u"[%1]"_s.arg(setting.section())), qPrintable(setting.iniKey));
        else
            QVERIFY2(help.contains(mention), qPrintable(mention));
    }
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
