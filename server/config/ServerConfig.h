#pragma once

#include "auth/RevokedSessions.h"
#include "config/ServerLimits.h"
#include "forge/PollSchedule.h"
#include "format/PageFormat.h"
#include "http/TrustedProxies.h"

#include <QHash>
#include <QHostAddress>
#include <QString>
#include <QStringList>

#include <optional>

namespace forgewire {

// Who a static token (config `[static_tokens]`) signs in as.
struct StaticToken
{
    qint64 userId = 0;
    QString login;
    QString sessionId;
};

struct ServerConfig
{
    QHostAddress listenAddress = QHostAddress::Any;
    quint16 port = 8080;
    // Prepended to `/-/ws`, e.g. `/push` serves `/push/-/ws` (for a reverse proxy sub-path).
    QString pathPrefix;
    // Origins (`https://git.example.org`, normalised by origin::normalize) whose pages may open the
    // WebSocket; an upgrade with another Origin gets 403. Empty: any page (the check is off).
    QStringList allowedOrigins;
    // Reverse proxies whose X-Forwarded-For / X-Real-IP name the client (`trusted_proxies`): for
    // their connections the per-address cap, rate limits and logs use that client's address.
    TrustedProxies trustedProxies;
    // Serve the demo page `<prefix>/-/forgewire/demo` (the SharedWorker and client.js are always served).
    bool demoPage = false;
    QHostAddress adminAddress = QHostAddress::LocalHost;
    quint16 adminPort = 8081;
    // Threads that own client connections; 0 = one per core.
    int workers = 0;

    QByteArray jwtSecret;
    QByteArray publisherSecret;
    // Where a generated publisher secret is kept (mode 0600) when none is configured, so forges
    // keep publishing across restarts. Empty: `publisher-secret` next to the state file.
    QString publisherSecretFile;
    QHash<QByteArray, StaticToken> staticTokens;
    // Seconds a logout keeps its session (`sid`) revoked: tokens carrying it are refused meanwhile.
    qint64 revokedSessionTtlSeconds = RevokedSessions::kDefaultTtlSeconds;

    // SQLite file of the embedded engine; ":memory:" keeps nothing across restarts.
    QString statePath = QStringLiteral("forgewire-state.sqlite");
    // `embedded` (in-process fan-out + SQLite state; `memory` is read as it) or
    // `redis://[[user]:password@]host:port/db`.
    QString engine = QStringLiteral("embedded");
    QString logLevel = QStringLiteral("info");
    // The client transport (see Transport): `epoll` (Linux only, its default) or `qt`
    // (QWebSocketServer, any platform; the reference implementation).
#ifdef FORGEWIRE_HAVE_EPOLL
    QString transport = QStringLiteral("epoll");
#else
    QString transport = QStringLiteral("qt");
#endif

    qint64 maxMessageBytes = limits::kMaxMessageBytes;
    int handshakeTimeoutMs = limits::kHandshakeTimeoutMs;
    int pingIntervalMs = limits::kPingIntervalMs;
    int pongDeadlineMs = limits::kPongDeadlineMs;
    qint64 maxSendQueueBytes = limits::kMaxSendQueueBytes;
    int maxConnections = limits::kMaxConnections;
    qint64 maxQueuedBytes = limits::kMaxQueuedBytes;
    int maxConnectionsPerAddress = limits::kMaxConnectionsPerAddress;
    int maxPendingHandshakes = limits::kMaxPendingHandshakes;
    int maxHeldConnections = limits::kMaxHeldConnections;
    int drainTimeoutMs = limits::kDrainTimeoutMs;

    // Bridge mode (`[forge] url`, --forge-url): the Gitea/Forgejo base URL, e.g. https://codeberg.org.
    // Empty: no bridge, forge tokens are refused.
    QString forgeUrl;
    PollSettings forgePoll;
    // Sign-in by the forge's session cookie (`[forge] cookie_auth`, PROTOCOL.md v1.2): a request
    // without a token is identified by sending its Cookie header, and nothing else of it, to the
    // forge's cookie-authenticated web route GET /notifications/new. Needs forgeUrl and
    // allowedOrigins (see validate()): a browser sends the cookie with any site's request.
    bool cookieAuth = false;
    // The forge's session cookie (Gitea's and Forgejo's default `i_like_gitea`): its value is the
    // forge session a connection belongs to, and the session id a logout names.
    QString sessionCookie = QStringLiteral("i_like_gitea");
    // What cookie-signed-in connections on /-/ws read (`[forge] page_format`): the forge's page
    // generation. Token-authenticated clients are not affected.
    PageFormat pageFormat = PageFormat::Type;

    QString wsPath() const
    {
        return pathPrefix + QStringLiteral("/-/ws");
    }
    // Where released Gitea/Forgejo pages read their server-sent events (see EventStream).
    QString eventStreamPath() const
    {
        return pathPrefix + QStringLiteral("/user/events");
    }
    int effectiveWorkers() const;
    // Settings that are wrong together for a server to start (Server::start() refuses them); empty when
    // fine. Checked at start rather than when read, so a file may set them in any order.
    QString validate() const;
    QString effectivePublisherSecretFile() const;

    // Reads an INI file (the keys of serverSettings()) over the current values. Returns an error
    // sentence, or empty.
    QString loadIni(const QString& path);
};

struct ConfigParseResult
{
    std::optional<ServerConfig> config;
    QString error;    // set when config is empty and the process should fail
    QString exitText; // set for --help / --version: print it and exit 0
};

// The command line of forgewire-server: flags override the INI file given by --config,
// which overrides the defaults; FORGEWIRE_JWT_SECRET / FORGEWIRE_PUBLISHER_SECRET keep secrets out of ps.
ConfigParseResult parseServerArguments(const QStringList& arguments);

} // namespace forgewire
