#include "config/ServerSettings.h"

#include "config/ServerConfig.h"
#include "http/OriginCheck.h"
#include "transport/TransportNames.h"

#include <QRegularExpression>
#include <QUrl>

#include <limits>
#include <type_traits>
#include <utility>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

struct Codec
{
    ServerSetting::Setter set;
    ServerSetting::Getter get;
};

// Each codec below reaches its field through `field`, a generic lambda `[](auto& c) -> auto& {...}`
// that serves the setter (mutable config) and the getter (const config) alike, nested fields too.
template<typename Field>
using FieldType = std::remove_reference_t<decltype(std::declval<Field>()(std::declval<ServerConfig&>()))>;

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

template<typename Field>
Codec address(Field field)
{
    return {[field](ServerConfig& c, const QString&, const QString& v) { return parseAddress(v, &field(c)); },
            [field](const ServerConfig& c) {
                const QHostAddress& a = field(c);
                return a == QHostAddress(QHostAddress::Any) ? u"*"_s : a.toString();
            }};
}

template<typename Field>
Codec port(Field field)
{
    return {[field](ServerConfig& c, const QString&, const QString& v) {
                bool ok = false;
                const uint value = v.toUInt(&ok);
                if (!ok || value > 65535)
                    return u"'%1' is not a port number (0-65535)"_s.arg(v);
                field(c) = static_cast<quint16>(value);
                return QString();
            },
            [field](const ServerConfig& c) {
                return QString::number(field(c));
            }};
}

template<typename T>
QString parseWhole(const QString& name, const QString& text, T* target, T minimum)
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

template<typename Field>
Codec wholeNumber(Field field, FieldType<Field> minimum = 1)
{
    return {[field, minimum](ServerConfig& c, const QString& name, const QString& v) {
                return parseWhole(name, v, &field(c), minimum);
            },
            [field](const ServerConfig& c) {
                return QString::number(field(c));
            }};
}

template<typename Field>
Codec text(Field field)
{
    return {[field](ServerConfig& c, const QString&, const QString& v) {
                field(c) = v;
                return QString();
            },
            [field](const ServerConfig& c) {
                return field(c);
            }};
}

template<typename Field>
Codec secret(Field field)
{
    return {[field](ServerConfig& c, const QString&, const QString& v) {
                field(c) = v.toUtf8();
                return QString();
            },
            [field](const ServerConfig& c) {
                return QString::fromUtf8(field(c));
            }};
}

// A text setting that must be one of a few forms; `check` returns the error for a bad value.
template<typename Field, typename Check>
Codec checkedText(Field field, Check check)
{
    return {[field, check](ServerConfig& c, const QString& name, const QString& v) {
                const QString error = check(name, v);
                if (error.isEmpty())
                    field(c) = v;
                return error;
            },
            [field](const ServerConfig& c) {
                return field(c);
            }};
}

// The embedded engine was called `memory` before 1.1: configs written for it keep working, and the
// config then says `embedded`, the one name logs and metrics use.
Codec engineName()
{
    return {[](ServerConfig& c, const QString&, const QString& v) {
                if (v != "embedded"_L1 && v != "memory"_L1 && !v.startsWith("redis://"_L1) &&
                    !v.startsWith("redis-sentinel://"_L1) && !v.startsWith("redis-cluster://"_L1))
                    return u"unknown engine '%1' (embedded, redis://host:port/db, "
                           "redis-sentinel://host:port,.../master or redis-cluster://host:port,...)"_s.arg(v);
                c.engine = v == "memory"_L1 ? u"embedded"_s : v;
                return QString();
            },
            [](const ServerConfig& c) {
                return c.engine;
            }};
}

Codec pathPrefix()
{
    // The one place the prefix is normalised: `/push/` serves the same `/push/-/ws` as `/push`.
    return {[](ServerConfig& c, const QString& name, const QString& v) {
                const QString prefix = v.endsWith(u'/') ? v.chopped(1) : v;
                if (!prefix.isEmpty() && !prefix.startsWith(u'/'))
                    return u"%1 must start with '/'"_s.arg(name);
                c.pathPrefix = prefix;
                return QString();
            },
            [](const ServerConfig& c) {
                return c.pathPrefix;
            }};
}

Codec allowedOrigins()
{
    // Space-separated, as a comma would make QSettings read a list (commas work inside quotes).
    return {[](ServerConfig& c, const QString& name, const QString& v) {
                QStringList origins;
                for (const QString& item : v.split(QRegularExpression(u"[\\s,]+"_s), Qt::SkipEmptyParts)) {
                    const QString normalized = origin::normalize(item);
                    if (normalized.isEmpty())
                        return u"%1: '%2' is not an origin like https://git.example.org (scheme, host, "
                               "optional port, no path)"_s.arg(name, item);
                    if (!origins.contains(normalized))
                        origins.append(normalized);
                }
                c.allowedOrigins = origins;
                return QString();
            },
            [](const ServerConfig& c) {
                return c.allowedOrigins.join(u' ');
            }};
}

template<typename Field>
Codec boolean(Field field)
{
    return {[field](ServerConfig& c, const QString& name, const QString& v) {
                const QString lower = v.toLower();
                if (lower == "true"_L1 || lower == "1"_L1 || lower == "yes"_L1 || lower == "on"_L1)
                    field(c) = true;
                else if (lower == "false"_L1 || lower == "0"_L1 || lower == "no"_L1 || lower == "off"_L1)
                    field(c) = false;
                else
                    return u"%1 must be true or false, got '%2'"_s.arg(name, v);
                return QString();
            },
            [field](const ServerConfig& c) {
                return field(c) ? u"true"_s : u"false"_s;
            }};
}

Codec revokedSessionTtl()
{
    return {[](ServerConfig& c, const QString& name, const QString& v) {
                qint64 seconds = 0;
                const QString error = parseWhole(name, v, &seconds, qint64(1));
                if (!error.isEmpty())
                    return error;
                if (seconds > RevokedSessions::kMaxTtlSeconds)
                    return u"%1 must be at most %2 seconds, got '%3'"_s.arg(name)
                        .arg(RevokedSessions::kMaxTtlSeconds)
                        .arg(v);
                c.revokedSessionTtlSeconds = seconds;
                return QString();
            },
            [](const ServerConfig& c) {
                return QString::number(c.revokedSessionTtlSeconds);
            }};
}

Codec staticTokens()
{
    // Free-form: `name` is the token, `value` who signs in with it.
    return {[](ServerConfig& c, const QString& token, const QString& value) {
                const QStringList parts = value.split(u':');
                StaticToken entry;
                bool ok = false;
                if (parts.size() >= 2 && parts.size() <= 3)
                    entry.userId = parts[0].trimmed().toLongLong(&ok);
                if (!ok || entry.userId <= 0 || parts[1].trimmed().isEmpty())
                    return u"static token '%1' must map to 'user_id:login[:session_id]'"_s.arg(token.left(4) +
                                                                                               u"…"_s);
                entry.login = parts[1].trimmed();
                entry.sessionId = parts.size() == 3 ? parts[2].trimmed() : QString();
                c.staticTokens.insert(token.toUtf8(), entry);
                return QString();
            },
            [](const ServerConfig&) {
                return QString();
            }};
}

Codec trustedProxies()
{
    return {[](ServerConfig& c, const QString& name, const QString& v) {
                TrustedProxies proxies;
                const QString error = proxies.parse(v);
                if (!error.isEmpty())
                    return u"%1: %2"_s.arg(name, error);
                c.trustedProxies = proxies;
                return QString();
            },
            [](const ServerConfig& c) {
                return c.trustedProxies.toString();
            }};
}

Codec pageFormat()
{
    return {[](ServerConfig& c, const QString& name, const QString& v) {
                const std::optional<PageFormat> format = pageformat::fromName(v);
                if (!format)
                    return u"%1 must be type or eventType, got '%2'"_s.arg(name, v);
                c.pageFormat = *format;
                return QString();
            },
            [](const ServerConfig& c) {
                return pageformat::name(c.pageFormat);
            }};
}

ServerSetting setting(QLatin1StringView iniKey, QLatin1StringView flag, QLatin1StringView valueName,
                      const QString& help, Codec codec)
{
    return {iniKey, flag, valueName, help, std::move(codec.set), std::move(codec.get)};
}

QList<ServerSetting> buildSettings()
{
    constexpr QLatin1StringView iniOnly;
    // clang-format off
    return {
        setting("server/listen"_L1, "listen"_L1, "addr"_L1,
                u"Client WebSocket address: an IP address, * (every address, IPv4 and IPv6) or localhost"_s,
                address([](auto& c) -> auto& { return c.listenAddress; })),
        setting("server/port"_L1, "port"_L1, "port"_L1, u"Client WebSocket port; 0 = any free port"_s,
                port([](auto& c) -> auto& { return c.port; })),
        setting("server/path_prefix"_L1, "path-prefix"_L1, "path"_L1,
                u"Path before /-/ws for a reverse proxy sub-path: /push serves /push/-/ws"_s, pathPrefix()),
        setting("server/allowed_origins"_L1, "allowed-origins"_L1, "origins"_L1,
                u"Space-separated origins (https://git.example.org) whose pages may open the WebSocket; another "
                "Origin gets HTTP 403, none (native clients) is always let in; empty = any"_s,
                allowedOrigins()),
        setting("server/trusted_proxies"_L1, "trusted-proxies"_L1, "cidrs"_L1,
                u"Space-separated CIDRs of reverse proxies (10.0.0.0/8 ::1/128) whose X-Forwarded-For or "
                "X-Real-IP names the client for per-address caps, rate limits and logs; ignored from any "
                "other peer"_s,
                trustedProxies()),
        setting("server/demo_page"_L1, "demo-page"_L1, "bool"_L1,
                u"Serve the demo page <path_prefix>/-/forgewire/demo (built on client.js)"_s,
                boolean([](auto& c) -> auto& { return c.demoPage; })),
        setting("server/admin_listen"_L1, "admin-listen"_L1, "addr"_L1,
                u"Admin/publish API address (publish, /healthz, /readyz, /metrics); keep it private"_s,
                address([](auto& c) -> auto& { return c.adminAddress; })),
        setting("server/admin_port"_L1, "admin-port"_L1, "port"_L1, u"Admin/publish API port; 0 = any free port"_s,
                port([](auto& c) -> auto& { return c.adminPort; })),
        setting("server/workers"_L1, "workers"_L1, "n"_L1, u"Connection worker threads; 0 = one per core"_s,
                wholeNumber([](auto& c) -> auto& { return c.workers; }, 0)),
        setting("server/state"_L1, "state"_L1, "file"_L1,
                u"SQLite file for retained state and ACLs (:memory: = none)"_s,
                text([](auto& c) -> auto& { return c.statePath; })),
        setting("server/engine"_L1, "engine"_L1, "url"_L1,
                u"'embedded' (in-process fan-out + SQLite state), redis://[[user]:password@]host:port/db "
                "(percent-encoded credentials), redis-sentinel://host:port,host:port/<master> or "
                "redis-cluster://host:port,host:port (more in README: Multi-node with Redis)"_s,
                engineName()),
        setting("server/transport"_L1, "transport"_L1, "name"_L1,
                u"Client transport: %1 (default %2)"_s.arg(TransportNames::available().join(u", "_s),
                                                          TransportNames::defaultName()),
                checkedText([](auto& c) -> auto& { return c.transport; },
                            [](const QString&, const QString& v) {
                                return TransportNames::available().contains(v)
                                    ? QString()
                                    : u"unknown transport '%1' (%2)"_s.arg(v, TransportNames::available().join(u", "_s));
                            })),
        setting("server/log_level"_L1, "log-level"_L1, "level"_L1, u"debug, info, warning or critical"_s,
                checkedText([](auto& c) -> auto& { return c.logLevel; },
                            [](const QString&, const QString& v) {
                                return QStringList{u"debug"_s, u"info"_s, u"warning"_s, u"critical"_s}.contains(v)
                                    ? QString()
                                    : u"unknown log level '%1' (debug, info, warning, critical)"_s.arg(v);
                            })),

        setting("auth/jwt_secret"_L1, "jwt-secret"_L1, "secret"_L1,
                u"HS256 secret for client JWTs (or FORGEWIRE_JWT_SECRET)"_s,
                secret([](auto& c) -> auto& { return c.jwtSecret; })),
        setting("auth/publisher_secret"_L1, "publisher-secret"_L1, "secret"_L1,
                u"Bearer secret for the publish API (or FORGEWIRE_PUBLISHER_SECRET; generated if unset)"_s,
                secret([](auto& c) -> auto& { return c.publisherSecret; })),
        setting("auth/publisher_secret_file"_L1, iniOnly, "file"_L1,
                u"Where a generated publisher secret is kept (mode 0600); empty: publisher-secret next to "
                "the state file"_s,
                text([](auto& c) -> auto& { return c.publisherSecretFile; })),
        setting("auth/revoked_session_ttl"_L1, "revoked-session-ttl"_L1, "seconds"_L1,
                u"Seconds a logout keeps its session revoked, 30 days by default, at most %1"_s.arg(
                    RevokedSessions::kMaxTtlSeconds),
                revokedSessionTtl()),

        setting("limits/max_message_bytes"_L1, "max-message-bytes"_L1, "bytes"_L1,
                u"Largest client message; larger closes with 1009"_s,
                wholeNumber([](auto& c) -> auto& { return c.maxMessageBytes; })),
        setting("limits/handshake_timeout_ms"_L1, "handshake-timeout"_L1, "ms"_L1,
                u"Milliseconds from TCP accept to a ready session"_s,
                wholeNumber([](auto& c) -> auto& { return c.handshakeTimeoutMs; })),
        setting("limits/ping_interval_ms"_L1, "ping-interval"_L1, "ms"_L1,
                u"Milliseconds between WebSocket pings"_s,
                wholeNumber([](auto& c) -> auto& { return c.pingIntervalMs; })),
        setting("limits/pong_deadline_ms"_L1, "pong-deadline"_L1, "ms"_L1,
                u"Milliseconds a pong may be late before the peer is dropped"_s,
                wholeNumber([](auto& c) -> auto& { return c.pongDeadlineMs; })),
        setting("limits/max_send_queue_bytes"_L1, "max-send-queue-bytes"_L1, "bytes"_L1,
                u"Bytes queued for one client before it is closed as a slow consumer with 4008"_s,
                wholeNumber([](auto& c) -> auto& { return c.maxSendQueueBytes; })),
        setting("limits/max_connections"_L1, "max-connections"_L1, "n"_L1, u"Open connection cap"_s,
                wholeNumber([](auto& c) -> auto& { return c.maxConnections; })),
        setting("limits/max_queued_bytes"_L1, "max-queued-bytes"_L1, "bytes"_L1,
                u"Bytes queued for all clients together; past it the largest send queues are closed with 4008 "
                "first"_s,
                wholeNumber([](auto& c) -> auto& { return c.maxQueuedBytes; })),
        setting("limits/max_connections_per_address"_L1, "max-connections-per-address"_L1, "n"_L1,
                u"Connections from one IP address (IPv6: one /64); more get HTTP 503"_s,
                wholeNumber([](auto& c) -> auto& { return c.maxConnectionsPerAddress; })),
        setting("limits/max_pending_handshakes"_L1, "max-pending-handshakes"_L1, "n"_L1,
                u"Connections whose upgrade request is not answered yet; past it the listener waits for one"_s,
                wholeNumber([](auto& c) -> auto& { return c.maxPendingHandshakes; })),
        setting("limits/max_held_connections"_L1, "max-held-connections"_L1, "n"_L1,
                u"Accepted connections held unread while max_pending_handshakes are answered; past it the "
                "listener stops accepting and the kernel's backlog keeps the rest"_s,
                wholeNumber([](auto& c) -> auto& { return c.maxHeldConnections; })),
        setting("limits/drain_timeout_ms"_L1, "drain-timeout"_L1, "ms"_L1,
                u"Milliseconds SIGTERM gives clients to take their 1001 close before the process exits"_s,
                wholeNumber([](auto& c) -> auto& { return c.drainTimeoutMs; })),

        setting("forge/url"_L1, "forge-url"_L1, "url"_L1,
                u"Bridge mode: poll this Gitea/Forgejo (e.g. https://codeberg.org) for clients signed in with "
                "their forge token"_s,
                checkedText([](auto& c) -> auto& { return c.forgeUrl; },
                            [](const QString&, const QString& v) {
                                const QUrl url(v, QUrl::StrictMode);
                                return url.isValid() && (url.scheme() == "https"_L1 || url.scheme() == "http"_L1)
                                        && !url.host().isEmpty()
                                    ? QString()
                                    : u"forge url must be an http(s) URL like https://codeberg.org, got '%1'"_s.arg(v);
                            })),
        setting("forge/cookie_auth"_L1, "cookie-auth"_L1, "bool"_L1,
                u"Bridge mode: sign browsers in with the forge's session cookie (the Cookie header goes only to "
                "the forge's /notifications/new) on /-/ws and /user/events; needs url and allowed_origins"_s,
                boolean([](auto& c) -> auto& { return c.cookieAuth; })),
        setting("forge/session_cookie"_L1, iniOnly, "name"_L1,
                u"Bridge mode: the forge's session cookie (Gitea/Forgejo [session] COOKIE_NAME), whose value a "
                "logout names"_s,
                checkedText([](auto& c) -> auto& { return c.sessionCookie; },
                            [](const QString& name, const QString& v) {
                                static const QRegularExpression token(u"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$"_s);
                                return token.match(v).hasMatch()
                                    ? QString()
                                    : u"%1 must be a cookie name (1-64 token characters), got '%2'"_s.arg(name, v);
                            })),
        setting("forge/page_format"_L1, "page-format"_L1, "format"_L1,
                u"Bridge mode: what cookie-signed-in pages read on /-/ws: type (the pages of Gitea's WebSocket "
                "PR) or eventType (the newest Gitea pages)"_s,
                pageFormat()),
        setting("forge/poll_min_ms"_L1, iniOnly, "ms"_L1,
                u"Bridge mode: a user's poll interval after a change"_s,
                wholeNumber([](auto& c) -> auto& { return c.forgePoll.minMs; })),
        setting("forge/poll_step_ms"_L1, iniOnly, "ms"_L1,
                u"Bridge mode: added to the interval per unchanged answer"_s,
                wholeNumber([](auto& c) -> auto& { return c.forgePoll.stepMs; }, 0)),
        setting("forge/poll_max_ms"_L1, iniOnly, "ms"_L1,
                u"Bridge mode: the slowest poll interval (at least poll_min_ms)"_s,
                wholeNumber([](auto& c) -> auto& { return c.forgePoll.maxMs; })),
        setting("forge/outage_max_ms"_L1, iniOnly, "ms"_L1,
                u"Bridge mode: the longest retry delay while the forge is unreachable"_s,
                wholeNumber([](auto& c) -> auto& { return c.forgePoll.outageMaxMs; })),

        setting("static_tokens/*"_L1, iniOnly, "user_id:login[:session_id]"_L1,
                u"Development tokens: each key is a token, its value who signs in with it"_s, staticTokens()),
    };
    // clang-format on
}

} // namespace

QLatin1StringView ServerSetting::section() const
{
    return iniKey.left(iniKey.indexOf(u'/'));
}

QLatin1StringView ServerSetting::key() const
{
    return iniKey.sliced(iniKey.indexOf(u'/') + 1);
}

bool ServerSetting::isFreeForm() const
{
    return key() == "*"_L1;
}

QString ServerSetting::iniName() const
{
    return section() == "forge"_L1 ? u"forge "_s + key() : QString(key());
}

QString ServerSetting::flagName() const
{
    return u"--"_s + flag;
}

QString ServerSetting::describe() const
{
    const QString shown = get(ServerConfig());
    return shown.isEmpty() ? help + u'.' : u"%1 (default %2)."_s.arg(help, shown);
}

const QList<ServerSetting>& serverSettings()
{
    static const QList<ServerSetting> settings = buildSettings();
    return settings;
}

} // namespace forgewire
