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

std::optional<RedisEndpoint> RedisEndpoint::parse(const QString& text, quint16 defaultPort)
{
    RedisEndpoint endpoint{QString(), defaultPort};
    QString portText;
    if (text.startsWith(u'[')) {
        const qsizetype close = text.indexOf(u']');
        if (close < 0)
            return std::nullopt;
        endpoint.host = text.mid(1, close - 1);
        const QString rest = text.mid(close + 1);
        if (!rest.isEmpty() && !rest.startsWith(u':'))
            return std::nullopt;
        portText = rest.mid(1);
    } else {
        const qsizetype colon = text.indexOf(u':');
        endpoint.host = colon < 0 ? text : text.left(colon);
        portText = colon < 0 ? QString() : text.mid(colon + 1);
        if (portText.contains(u':'))
            return std::nullopt;
    }
    if (endpoint.host.isEmpty() || endpoint.host.contains(u'@') || endpoint.host.contains(u'%'))
        return std::nullopt;
    if (!portText.isEmpty() || text.endsWith(u':')) {
        bool ok = false;
        const int port = portText.toInt(&ok);
        if (!ok || port <= 0 || port > 65535)
            return std::nullopt;
        endpoint.port = quint16(port);
    }
    return endpoint;
}

std::optional<RedisServerList> RedisServerList::parse(const QString& authority, quint16 defaultPort,
                                                      QString* why)
{
    // By hand: QUrl takes one host, and this form lists several.
    RedisServerList list;
    QString hosts = authority;
    if (const qsizetype at = hosts.indexOf(u'@'); at >= 0) {
        const QString userInfo = hosts.left(at);
        hosts = hosts.mid(at + 1);
        const qsizetype colon = userInfo.indexOf(u':');
        if (colon < 0) {
            *why = u"a user but no password (write :password@ for a password alone)"_s;
            return std::nullopt;
        }
        list.user = QUrl::fromPercentEncoding(userInfo.left(colon).toUtf8());
        list.password = QUrl::fromPercentEncoding(userInfo.mid(colon + 1).toUtf8());
        if (list.password.isEmpty()) {
            *why = u"an empty password"_s;
            return std::nullopt;
        }
    }
    for (const QString& part : hosts.split(u',')) {
        const std::optional<RedisEndpoint> endpoint = RedisEndpoint::parse(part, defaultPort);
        if (!endpoint) {
            *why = u"server '%1' is not host[:port]"_s.arg(part.left(100));
            return std::nullopt;
        }
        if (!list.servers.contains(*endpoint))
            list.servers.append(*endpoint);
    }
    return list;
}

QString RedisAddress::toString() const
{
    // Never the password: this goes to the logs.
    const QString who = user.isEmpty() ? QString() : user + u'@';
    return u"redis://%1%2:%3/%4"_s.arg(who, host).arg(port).arg(db);
}

} // namespace forgewire
