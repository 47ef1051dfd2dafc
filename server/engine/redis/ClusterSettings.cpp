#include "engine/redis/ClusterSettings.h"

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

constexpr auto kScheme = "redis-cluster://";

} // namespace

std::optional<ClusterSettings> ClusterSettings::parseUrl(const QString& url, QString* error)
{
    const auto bad = [&](const QString& why) {
        *error = u"bad Redis Cluster URL: %1 (expected redis-cluster://[[user]:password@]host1:port1,"
                 "host2:port2,...)"_s.arg(why);
        return std::nullopt;
    };
    if (!url.startsWith(QLatin1StringView(kScheme)))
        return bad(u"it does not start with redis-cluster://"_s);
    QString authority = url.mid(qsizetype(qstrlen(kScheme)));
    if (authority.endsWith(u'/'))
        authority.chop(1);
    if (authority.contains(u'/') || authority.contains(u'?'))
        return bad(u"a path or parameters after the servers (a cluster has database 0 only)"_s);
    QString why;
    const std::optional<RedisServerList> list = RedisServerList::parse(authority, kDefaultPort, &why);
    if (!list)
        return bad(why);
    if (list->servers.size() > kMaxSeeds)
        return bad(
            u"more than %1 servers (a few seeds suffice: any node knows the whole map)"_s.arg(kMaxSeeds));
    return ClusterSettings{list->servers, list->user, list->password};
}

QString ClusterSettings::toString() const
{
    QStringList servers;
    for (const RedisEndpoint& seed : seeds)
        servers.append(seed.toString());
    const QString who = user.isEmpty() ? QString() : user + u'@';
    return u"redis-cluster://%1%2"_s.arg(who, servers.join(u','));
}

} // namespace forgewire
