#pragma once

#include "engine/redis/RedisAddress.h"

#include <QList>
#include <QString>

#include <optional>

namespace forgewire {

// A Redis Cluster to use: redis-cluster://[[user]:password@]host1:port1,host2:port2,... The servers
// are seeds: any of them tells the whole map (CLUSTER SLOTS), so a few suffice and one down is
// passed over. A cluster has database 0 only, so there is no /db.
struct ClusterSettings
{
    static constexpr quint16 kDefaultPort = 6379;
    // Seeds beyond this in one URL are a mistake: the map names every node anyway.
    static constexpr int kMaxSeeds = 16;

    QList<RedisEndpoint> seeds;
    QString user;
    QString password;

    static std::optional<ClusterSettings> parseUrl(const QString& url, QString* error);
    // The URL without the password, for logs.
    QString toString() const;
};

} // namespace forgewire
