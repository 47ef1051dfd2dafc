#include "engine/redis/RedisAddress.h"

#include <QRegularExpression>
#include <QUrl>

namespace forgewire {

using namespace Qt::StringLiterals;

QString RedisAddress::redacted(const QString& url)
{
    // By hand rather than through QUrl: the URL may be too broken for QUrl to take apart. Without a
    // colon the user part may be a password written in the wrong place, so it goes too.
    static const QRegularExpression credentials(u"^([a-zA-Z][a-zA-Z0-9+.-]*://)([^@/]*)@"_s);
    const QRegularExpressionMatch match = credentials.match(url);
    if (!match.hasMatch())
        return url;
    const QString userInfo = match.captured(2);
    const qsizetype colon = userInfo.indexOf(u':');
    const QString kept = colon >= 0 ? userInfo.left(colon) + u":***"_s : u"***"_s;
    return match.captured(1) + kept + u'@' + url.mid(match.capturedEnd(0));
}

std::optional<RedisAddress> RedisAddress::parse(const QString& url, QString* error)
{
    const QUrl parsed(url, QUrl::StrictMode);
    RedisAddress address;
    address.host = parsed.host();
    const int port = parsed.port(6379);
    const QString path = parsed.path();
    bool dbOk = true;
    if (path.size() > 1)
        address.db = path.mid(1).toInt(&dbOk);
    if (!parsed.isValid() || parsed.scheme() != "redis"_L1 || address.host.isEmpty() || port <= 0 ||
        port > 65535 || !dbOk || address.db < 0 || (!path.isEmpty() && path != "/"_L1 && path.size() < 2)) {
        *error = u"bad Redis URL '%1' (expected redis://[[user]:password@]host:port/db)"_s.arg(redacted(url));
        return std::nullopt;
    }
    address.user = parsed.userName(QUrl::FullyDecoded);
    address.password = parsed.password(QUrl::FullyDecoded);
    if (address.password.isEmpty() && !address.user.isEmpty()) {
        // redis://secret@host would be read as a user without a password: say so rather than
        // connect unauthenticated (a password alone is written redis://:secret@host).
        *error = u"Redis URL '%1' names a user but no password (write redis://:password@host for a "
                 "password alone)"_s.arg(redacted(url));
        return std::nullopt;
    }
    address.port = quint16(port);
    return address;
}

QString RedisEndpoint::toString() const
{
    return host.contains(u':') ? u"[%1]:%2"_s.arg(host).arg(port) : u"%1:%2"_s.arg(host).arg(port);
}

QString RedisAddress::toString() const
{
    // Never the password: this goes to the logs.
    const QString who = user.isEmpty() ? QString() : user + u'@';
    return u"redis://%1%2:%3/%4"_s.arg(who, host).arg(port).arg(db);
}

} // namespace forgewire
