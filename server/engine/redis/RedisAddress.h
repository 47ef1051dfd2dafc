#pragma once

#include <QList>
#include <QString>

#include <optional>

namespace forgewire {

// Where a Redis server (or sentinel) listens.
struct RedisEndpoint
{
    QString host;
    quint16 port = 0;
    bool operator==(const RedisEndpoint& other) const { return host == other.host && port == other.port; }
    bool operator!=(const RedisEndpoint& other) const { return !(*this == other); }
    // host:port, [host]:port for IPv6.
    QString toString() const;
    // host[:port] or [v6]:port; `defaultPort` when none is written. Nullopt when it is not one.
    static std::optional<RedisEndpoint> parse(const QString& text, quint16 defaultPort);
};

// The part of a URL that lists several servers (redis-sentinel://, redis-cluster://):
// [[user]:password@]host1:port1,host2:port2,... Percent-decoded credentials; each server once.
struct RedisServerList
{
    QList<RedisEndpoint> servers;
    QString user;
    QString password;

    // Nullopt with `why` (which part is wrong, never a password) when `authority` is not one.
    static std::optional<RedisServerList> parse(const QString& authority, quint16 defaultPort, QString* why);
};

// One Redis server and how to sign in to it: redis://[[user]:password@]host[:port][/db].
struct RedisAddress
{
    QString host;
    quint16 port = 6379;
    int db = 0;
    // Percent-decoded. A password without a user is `AUTH password` (requirepass); with one,
    // `AUTH user password` (Redis 6 ACL).
    QString user;
    QString password;

    static std::optional<RedisAddress> parse(const QString& url, QString* error);
    // `url` with any password replaced by `***`, for logs and error messages.
    static QString redacted(const QString& url);
    // redis://user@host:port/db, without the password.
    QString toString() const;
};

} // namespace forgewire
