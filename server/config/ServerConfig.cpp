#include "config/ServerConfig.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QThread>
#include <QUrl>

#include <limits>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

QString parseAddress(const QString& text, QHostAddress* address)
{
    if (text == "localhost"_L1) {
        *address = QHostAddress::LocalHost;
        return {};
    }
    if (text == "*"_L1 || text == "any"_L1) {
        *address = QHostAddress::Any;
        return {};
    }
    QHostAddress parsed;
    if (!parsed.setAddress(text))
        return u"'%1' is not an IP address"_s.arg(text);
    *address = parsed;
    return {};
}

QString parsePort(const QString& text, quint16* port)
{
    bool ok = false;
    const uint value = text.toUInt(&ok);
    if (!ok || value > 65535)
        return u"'%1' is not a port number (0-65535)"_s.arg(text);
    *port = static_cast<quint16>(value);
    return {};
}

template<typename T>
QString parsePositive(const QString& name, const QString& text, T* target, T minimum = 1)
{
    // The upper bound is the target's own: 4294967296 must not wrap to 0 in an int setting.
    constexpr auto maximum = std::numeric_limits<T>::max();
    bool ok = false;
    const qlonglong value = text.toLongLong(&ok);
    if (!ok || value < minimum || value > maximum)
        return u"%1 must be a whole number from %2 to %3, got '%4'"_s.arg(name).arg(minimum).arg(maximum).arg(
            text);
    *target = static_cast<T>(value);
    return {};
}

QString parseRevokedSessionTtl(const QString& name, const QString& text, qint64* target)
{
    qint64 seconds = 0;
    const QString error = parsePositive(name, text, &seconds);
    if (!error.isEmpty())
        return error;
    if (seconds > RevokedSessions::kMaxTtlSeconds)
        return u"%1 must be at most %2 seconds, got '%3'"_s.arg(name)
            .arg(RevokedSessions::kMaxTtlSeconds)
            .arg(text);
    *target = seconds;
    return {};
}

QString parseForgeUrl(const QString& text, QString* target)
{
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() || (url.scheme() != "https"_L1 && url.scheme() != "http"_L1) || url.host().isEmpty())
        return u"forge url must be an http(s) URL like https://codeberg.org, got '%1'"_s.arg(text);
    *target = text;
    return {};
}

QString parseStaticToken(const QString& token, const QString& value, StaticToken* out)
{
    const QStringList parts = value.split(u':');
    bool ok = false;
    if (parts.size() < 2 || parts.size() > 3)
        ok = false;
    else
        out->userId = parts[0].trimmed().toLongLong(&ok);
    if (!ok || out->userId <= 0 || parts[1].trimmed().isEmpty())
        return u"static token '%1' must map to 'user_id:login[:session_id]'"_s.arg(token.left(4) + u"…"_s);
    out->login = parts[1].trimmed();
    out->sessionId = parts.size() == 3 ? parts[2].trimmed() : QString();
    return {};
}

} // namespace

int ServerConfig::effectiveWorkers() const
{
    return workers > 0 ? workers : qMax(1, QThread::idealThreadCount());
}

QString ServerConfig::effectivePublisherSecretFile() const
{
    if (!publisherSecretFile.isEmpty())
        return publisherSecretFile;
    // ":memory:" has no directory (and a leading ':' is a Qt resource path to QFileInfo): use the
    // working directory, which is what a throwaway instance started from a shell expects.
    const QDir dir = statePath.startsWith(u':') ? QDir::current() : QFileInfo(statePath).absoluteDir();
    return dir.filePath(QStringLiteral("publisher-secret"));
}

QString ServerConfig::loadIni(const QString& path)
{
    if (!QFileInfo(path).isReadable())
        return u"cannot read config file '%1'"_s.arg(path);
    QSettings ini(path, QSettings::IniFormat);
    if (ini.status() != QSettings::NoError)
        return u"config file '%1' is not valid INI"_s.arg(path);

    QString error;
    // QSettings reads an unquoted value with a comma as a list, and toString() of a list is empty: a
    // secret like a,b would silently become no secret at all.
    auto isList = [&](const QString& key) {
        return ini.value(key).typeId() == QMetaType::QStringList;
    };
    auto commaError = [](const QString& key) {
        return u"the value of '%1' contains a comma; put it in double quotes"_s.arg(key);
    };
    auto apply = [&](const QString& key, auto&& parse) {
        if (!error.isEmpty() || !ini.contains(key))
            return;
        error = isList(key) ? commaError(key) : parse(ini.value(key).toString().trimmed());
    };
    apply(u"server/listen"_s, [&](const QString& v) { return parseAddress(v, &listenAddress); });
    apply(u"server/port"_s, [&](const QString& v) { return parsePort(v, &port); });
    apply(u"server/path_prefix"_s, [&](const QString& v) {
        pathPrefix = v.endsWith(u'/') ? v.chopped(1) : v;
        return (pathPrefix.isEmpty() || pathPrefix.startsWith(u'/')) ? QString()
                                                                     : u"path_prefix must start with '/'"_s;
    });
    apply(u"server/admin_listen"_s, [&](const QString& v) { return parseAddress(v, &adminAddress); });
    apply(u"server/admin_port"_s, [&](const QString& v) { return parsePort(v, &adminPort); });
    apply(u"server/workers"_s, [&](const QString& v) { return parsePositive(u"workers"_s, v, &workers, 0); });
    apply(u"server/state"_s, [&](const QString& v) {
        statePath = v;
        return QString();
    });
    apply(u"server/engine"_s, [&](const QString& v) {
        engine = v;
        return QString();
    });
    apply(u"server/log_level"_s, [&](const QString& v) {
        logLevel = v;
        return QString();
    });
    apply(u"auth/jwt_secret"_s, [&](const QString& v) {
        jwtSecret = v.toUtf8();
        return QString();
    });
    apply(u"auth/publisher_secret"_s, [&](const QString& v) {
        publisherSecret = v.toUtf8();
        return QString();
    });
    apply(u"auth/publisher_secret_file"_s, [&](const QString& v) {
        publisherSecretFile = v;
        return QString();
    });
    apply(u"auth/revoked_session_ttl"_s, [&](const QString& v) {
        return parseRevokedSessionTtl(u"revoked_session_ttl"_s, v, &revokedSessionTtlSeconds);
    });
    apply(u"limits/max_message_bytes"_s,
          [&](const QString& v) { return parsePositive(u"max_message_bytes"_s, v, &maxMessageBytes); });
    apply(u"limits/handshake_timeout_ms"_s,
          [&](const QString& v) { return parsePositive(u"handshake_timeout_ms"_s, v, &handshakeTimeoutMs); });
    apply(u"limits/ping_interval_ms"_s,
          [&](const QString& v) { return parsePositive(u"ping_interval_ms"_s, v, &pingIntervalMs); });
    apply(u"limits/pong_deadline_ms"_s,
          [&](const QString& v) { return parsePositive(u"pong_deadline_ms"_s, v, &pongDeadlineMs); });
    apply(u"limits/max_send_queue_bytes"_s,
          [&](const QString& v) { return parsePositive(u"max_send_queue_bytes"_s, v, &maxSendQueueBytes); });
    apply(u"limits/max_connections"_s,
          [&](const QString& v) { return parsePositive(u"max_connections"_s, v, &maxConnections); });
    apply(u"limits/max_queued_bytes"_s,
          [&](const QString& v) { return parsePositive(u"max_queued_bytes"_s, v, &maxQueuedBytes); });
    apply(u"limits/max_connections_per_address"_s, [&](const QString& v) {
        return parsePositive(u"max_connections_per_address"_s, v, &maxConnectionsPerAddress);
    });
    apply(u"limits/max_pending_handshakes"_s, [&](const QString& v) {
        return parsePositive(u"max_pending_handshakes"_s, v, &maxPendingHandshakes);
    });
    apply(u"forge/url"_s, [&](const QString& v) { return parseForgeUrl(v, &forgeUrl); });
    apply(u"forge/poll_min_ms"_s,
          [&](const QString& v) { return parsePositive(u"forge poll_min_ms"_s, v, &forgePoll.minMs); });
    apply(u"forge/poll_step_ms"_s,
          [&](const QString& v) { return parsePositive(u"forge poll_step_ms"_s, v, &forgePoll.stepMs, 0); });
    apply(u"forge/poll_max_ms"_s,
          [&](const QString& v) { return parsePositive(u"forge poll_max_ms"_s, v, &forgePoll.maxMs); });
    apply(u"forge/outage_max_ms"_s, [&](const QString& v) {
        return parsePositive(u"forge outage_max_ms"_s, v, &forgePoll.outageMaxMs);
    });
    if (error.isEmpty() && forgePoll.maxMs < forgePoll.minMs)
        error = u"forge poll_max_ms must be >= poll_min_ms"_s;
    if (!error.isEmpty())
        return u"%1: %2"_s.arg(path, error);

    ini.beginGroup(u"static_tokens"_s);
    for (const QString& token : ini.childKeys()) {
        StaticToken entry;
        error = isList(token) ? commaError(u"static_tokens/"_s + token)
                              : parseStaticToken(token, ini.value(token).toString(), &entry);
        if (!error.isEmpty())
            return u"%1: %2"_s.arg(path, error);
        staticTokens.insert(token.toUtf8(), entry);
    }
    ini.endGroup();
    return {};
}

ConfigParseResult parseServerArguments(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"forgewire-server: real-time push for Gitea/Forgejo (PROTOCOL.md v1).\n"
        "Clients connect to ws://LISTEN:PORT/-/ws; forges publish on the admin listener "
        "(POST /api/v1/publish, GET /healthz /readyz /metrics).\n"
        "Flags override the --config INI file, which overrides the built-in defaults.\n"
        "Secrets may also come from FORGEWIRE_JWT_SECRET and FORGEWIRE_PUBLISHER_SECRET.\n"
        "INI-only settings (see resources/forgewire.example.ini): [static_tokens] token=user_id:login[:sid] "
        "(development tokens); [forge] poll_min_ms, poll_step_ms, poll_max_ms, outage_max_ms (bridge-mode "
        "polling). A value containing a comma must be in double quotes."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption config(u"config"_s, u"INI config file (see forgewire.example.ini)."_s,
                                    u"file"_s);
    const QCommandLineOption listen(u"listen"_s, u"Client WebSocket address (default 0.0.0.0)."_s, u"addr"_s);
    const QCommandLineOption port(u"port"_s, u"Client WebSocket port (default 8080; 0 = any)."_s, u"port"_s);
    const QCommandLineOption prefix(u"path-prefix"_s, u"Path before /-/ws, e.g. /push."_s, u"path"_s);
    const QCommandLineOption adminListen(u"admin-listen"_s,
                                         u"Admin/publish API address (default 127.0.0.1)."_s, u"addr"_s);
    const QCommandLineOption adminPort(u"admin-port"_s, u"Admin/publish API port (default 8081; 0 = any)."_s,
                                       u"port"_s);
    const QCommandLineOption workers(u"workers"_s, u"Connection worker threads (default 0 = one per core)."_s,
                                     u"n"_s);
    const QCommandLineOption jwtSecret(u"jwt-secret"_s, u"HS256 secret for client JWTs."_s, u"secret"_s);
    const QCommandLineOption publisherSecret(
        u"publisher-secret"_s, u"Bearer secret for the publish API (generated if unset)."_s, u"secret"_s);
    const QCommandLineOption revokedSessionTtl(
        u"revoked-session-ttl"_s,
        u"Seconds a logout keeps its session revoked (default %1 = 30 days)."_s.arg(
            RevokedSessions::kDefaultTtlSeconds),
        u"seconds"_s);
    const QCommandLineOption state(
        u"state"_s, u"SQLite file for retained state and ACLs (:memory: = none)."_s, u"file"_s);
    const QCommandLineOption engine(
        u"engine"_s,
        u"'embedded' (default) or redis://[[user]:password@]host:port/db (percent-encoded credentials)."_s,
        u"url"_s);
    const QCommandLineOption logLevel(u"log-level"_s, u"debug, info (default), warning or critical."_s,
                                      u"level"_s);
    const QCommandLineOption maxConnections(
        u"max-connections"_s, u"Open connection cap (default %1)."_s.arg(limits::kMaxConnections), u"n"_s);
    const QCommandLineOption pingInterval(
        u"ping-interval"_s,
        u"Milliseconds between WebSocket pings (default %1)."_s.arg(limits::kPingIntervalMs), u"ms"_s);
    const QCommandLineOption pongDeadline(u"pong-deadline"_s,
                                          u"Milliseconds a pong may be late before the peer is dropped "
                                          "(default %1)."_s.arg(limits::kPongDeadlineMs),
                                          u"ms"_s);
    const QCommandLineOption handshakeTimeout(
        u"handshake-timeout"_s,
        u"Milliseconds from TCP accept to a ready session (default %1)."_s.arg(limits::kHandshakeTimeoutMs),
        u"ms"_s);
    const QCommandLineOption maxMessage(
        u"max-message-bytes"_s,
        u"Largest client message; larger closes with 1009 (default %1)."_s.arg(limits::kMaxMessageBytes),
        u"bytes"_s);
    const QCommandLineOption maxSendQueue(
        u"max-send-queue-bytes"_s,
        u"Bytes queued for one client before it is closed as a slow "
        "consumer with 4008 (default %1)."_s.arg(limits::kMaxSendQueueBytes),
        u"bytes"_s);
    const QCommandLineOption maxQueued(
        u"max-queued-bytes"_s,
        u"Bytes queued for all clients together; past it the largest send queues are closed with "
        "4008 first (default %1)."_s.arg(limits::kMaxQueuedBytes),
        u"bytes"_s);
    const QCommandLineOption maxPerAddress(
        u"max-connections-per-address"_s,
        u"Connections from one IP address (IPv6: one /64); more get HTTP 503 (default %1)."_s.arg(
            limits::kMaxConnectionsPerAddress),
        u"n"_s);
    const QCommandLineOption maxPending(
        u"max-pending-handshakes"_s,
        u"Connections whose upgrade request is not answered yet; more get HTTP 503 (default %1)."_s.arg(
            limits::kMaxPendingHandshakes),
        u"n"_s);
    const QCommandLineOption forgeUrl(u"forge-url"_s,
                                      u"Bridge mode: poll this Gitea/Forgejo (e.g. https://codeberg.org) for "
                                      "clients signed in with their forge token."_s,
                                      u"url"_s);
    for (const auto* option :
         {&config,        &listen,           &port,       &prefix,          &adminListen,
          &adminPort,     &workers,          &jwtSecret,  &publisherSecret, &revokedSessionTtl,
          &state,         &engine,           &logLevel,   &maxConnections,  &pingInterval,
          &pongDeadline,  &handshakeTimeout, &maxMessage, &maxSendQueue,    &maxQueued,
          &maxPerAddress, &maxPending,       &forgeUrl})
        parser.addOption(*option);

    ConfigParseResult result;
    if (!parser.parse(arguments)) {
        result.error = parser.errorText();
        return result;
    }
    if (parser.isSet(u"help"_s)) {
        result.exitText = parser.helpText();
        return result;
    }
    if (parser.isSet(u"version"_s)) {
        result.exitText = u"forgewire-server " FORGEWIRE_VERSION "\n"_s;
        return result;
    }
    if (!parser.positionalArguments().isEmpty()) {
        result.error = u"unexpected argument '%1'"_s.arg(parser.positionalArguments().first());
        return result;
    }

    ServerConfig cfg;
    QString error;
    if (parser.isSet(config))
        error = cfg.loadIni(parser.value(config));
    const QByteArray envJwt = qgetenv("FORGEWIRE_JWT_SECRET");
    if (!envJwt.isEmpty())
        cfg.jwtSecret = envJwt;
    const QByteArray envPublisher = qgetenv("FORGEWIRE_PUBLISHER_SECRET");
    if (!envPublisher.isEmpty())
        cfg.publisherSecret = envPublisher;

    auto flag = [&](const QCommandLineOption& option, auto&& apply) {
        if (error.isEmpty() && parser.isSet(option))
            error = apply(parser.value(option));
    };
    flag(listen, [&](const QString& v) { return parseAddress(v, &cfg.listenAddress); });
    flag(port, [&](const QString& v) { return parsePort(v, &cfg.port); });
    flag(prefix, [&](const QString& v) {
        cfg.pathPrefix = v.endsWith(u'/') ? v.chopped(1) : v;
        return (cfg.pathPrefix.isEmpty() || cfg.pathPrefix.startsWith(u'/'))
                   ? QString()
                   : u"--path-prefix must start with '/'"_s;
    });
    flag(adminListen, [&](const QString& v) { return parseAddress(v, &cfg.adminAddress); });
    flag(adminPort, [&](const QString& v) { return parsePort(v, &cfg.adminPort); });
    flag(workers, [&](const QString& v) { return parsePositive(u"--workers"_s, v, &cfg.workers, 0); });
    flag(jwtSecret, [&](const QString& v) {
        cfg.jwtSecret = v.toUtf8();
        return QString();
    });
    flag(publisherSecret, [&](const QString& v) {
        cfg.publisherSecret = v.toUtf8();
        return QString();
    });
    flag(revokedSessionTtl, [&](const QString& v) {
        return parseRevokedSessionTtl(u"--revoked-session-ttl"_s, v, &cfg.revokedSessionTtlSeconds);
    });
    flag(state, [&](const QString& v) {
        cfg.statePath = v;
        return QString();
    });
    flag(engine, [&](const QString& v) {
        cfg.engine = v;
        return QString();
    });
    flag(logLevel, [&](const QString& v) {
        cfg.logLevel = v;
        return QString();
    });
    flag(maxConnections,
         [&](const QString& v) { return parsePositive(u"--max-connections"_s, v, &cfg.maxConnections); });
    flag(pingInterval,
         [&](const QString& v) { return parsePositive(u"--ping-interval"_s, v, &cfg.pingIntervalMs); });
    flag(pongDeadline,
         [&](const QString& v) { return parsePositive(u"--pong-deadline"_s, v, &cfg.pongDeadlineMs); });
    flag(handshakeTimeout, [&](const QString& v) {
        return parsePositive(u"--handshake-timeout"_s, v, &cfg.handshakeTimeoutMs);
    });
    flag(maxMessage,
         [&](const QString& v) { return parsePositive(u"--max-message-bytes"_s, v, &cfg.maxMessageBytes); });
    flag(maxSendQueue, [&](const QString& v) {
        return parsePositive(u"--max-send-queue-bytes"_s, v, &cfg.maxSendQueueBytes);
    });
    flag(maxQueued,
         [&](const QString& v) { return parsePositive(u"--max-queued-bytes"_s, v, &cfg.maxQueuedBytes); });
    flag(maxPerAddress, [&](const QString& v) {
        return parsePositive(u"--max-connections-per-address"_s, v, &cfg.maxConnectionsPerAddress);
    });
    flag(maxPending, [&](const QString& v) {
        return parsePositive(u"--max-pending-handshakes"_s, v, &cfg.maxPendingHandshakes);
    });
    flag(forgeUrl, [&](const QString& v) { return parseForgeUrl(v, &cfg.forgeUrl); });
    if (error.isEmpty() &&
        !QStringList{u"debug"_s, u"info"_s, u"warning"_s, u"critical"_s}.contains(cfg.logLevel))
        error = u"unknown log level '%1' (debug, info, warning, critical)"_s.arg(cfg.logLevel);
    if (cfg.engine == "memory"_L1) // the embedded engine's name before 1.1; existing configs use it
        cfg.engine = u"embedded"_s;
    if (error.isEmpty() && cfg.engine != "embedded"_L1 && !cfg.engine.startsWith("redis://"_L1))
        error = u"unknown engine '%1' (embedded or redis://host:port/db)"_s.arg(cfg.engine);
    if (!error.isEmpty()) {
        result.error = error;
        return result;
    }
    result.config = cfg;
    return result;
}

} // namespace forgewire
