#include "engine/redis/ClusterTopology.h"

#include "config/ServerLogging.h"
#include "engine/redis/FirstAnswer.h"

#include <memory>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

bool sameMap(const ClusterSlots& a, const ClusterSlots& b)
{
    if (a.ranges().size() != b.ranges().size())
        return false;
    for (qsizetype i = 0; i < a.ranges().size(); ++i) {
        const ClusterSlots::Range& x = a.ranges().at(i);
        const ClusterSlots::Range& y = b.ranges().at(i);
        if (x.first != y.first || x.last != y.last || x.primary != y.primary)
            return false;
    }
    return true;
}

} // namespace

ClusterTopology::ClusterTopology(QList<Node> seeds, const QByteArray& user, const QByteArray& password,
                                 QObject* parent)
    : QObject(parent), m_seeds(seeds),
      m_asker(new FirstAnswer(u"cluster"_s, std::move(seeds), kNodeTimeoutMs, this))
{
    m_asker->setCredentials(user, password);
    m_refreshTimer.setInterval(kRefreshIntervalMs);
    connect(&m_refreshTimer, &QTimer::timeout, this, &ClusterTopology::refresh);
}

void ClusterTopology::start()
{
    m_refreshTimer.start();
    refresh();
}

QString ClusterTopology::shardName(const QString& key) const
{
    QStringList slots;
    if (m_map) {
        for (const ClusterSlots::Range& range : m_map->ranges()) {
            if (range.primary.toString() == key)
                slots.append(range.first == range.last ? QString::number(range.first)
                                                       : u"%1-%2"_s.arg(range.first).arg(range.last));
        }
    }
    return u"shard %1 (slots %2)"_s.arg(key, slots.join(u','));
}

void ClusterTopology::refresh()
{
    if (m_asker->isAsking()) {
        m_again = true; // the map may have changed after that question was answered
        return;
    }
    ask();
}

void ClusterTopology::ask()
{
    m_again = false;
    auto learnt = std::make_shared<std::optional<ClusterSlots>>();
    const auto check = [learnt](const redisReply* reply, const Node& from) {
        QString error;
        *learnt = ClusterSlots::fromClusterSlots(reply, from.host, &error);
        if (*learnt && !(*learnt)->coversEverySlot())
            return u"serves only part of the slots (a node that left the cluster, or one not set up yet)"_s;
        return error;
    };
    m_asker->ask(
        {"CLUSTER", "SLOTS"}, check, [this, learnt](std::optional<Node> answered, const QString& error) {
            ++m_refreshes;
            if (!answered) {
                m_lastError = u"no cluster node answered (%1)"_s.arg(error);
                qCWarning(lcRedis).noquote() << logSafe(m_lastError);
                Q_EMIT unavailable(m_lastError);
            } else {
                m_lastError.clear();
                const bool changes = !m_map || !sameMap(*m_map, **learnt);
                m_map = **learnt;
                // The primaries first (they hold the map), then the seeds for a cluster whose primaries
                // all moved.
                QList<Node> servers = m_map->primaries();
                for (const Node& seed : std::as_const(m_seeds)) {
                    if (!servers.contains(seed))
                        servers.append(seed);
                }
                m_asker->setServers(servers);
                if (changes) {
                    qCInfo(lcRedis).noquote() << "cluster map:" << m_map->ranges().size() << "slot ranges on"
                                              << m_map->primaries().size() << "primaries";
                    Q_EMIT changed();
                }
            }
            if (m_again)
                ask();
        });
}

} // namespace forgewire
