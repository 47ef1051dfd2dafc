#pragma once

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
