#pragma once

#include "engine/redis/ClusterSlots.h"

#include <QObject>
#include <QTimer>

#include <optional>

namespace forgewire {

class FirstAnswer;

// Which primary serves which slot of a Redis Cluster, learnt from the cluster: CLUSTER SLOTS asked
// of the known primaries and the seed nodes (the URL's) in turn until one answers. Asked again on
// request (a node redirected a command with MOVED) and every kRefreshIntervalMs, since a failover
// or a resharding elsewhere changes the map without telling this node.
class ClusterTopology : public QObject
{
    Q_OBJECT
public:
    using Node = ClusterSlots::Node;

    // One node's answer (connecting included) takes at most this long before the next is asked.
    static constexpr int kNodeTimeoutMs = 1000;
    static constexpr int kRefreshIntervalMs = 5000;

    ClusterTopology(QList<Node> seeds, const QByteArray& user, const QByteArray& password,
                    QObject* parent = nullptr);

    // Asks now and then every kRefreshIntervalMs.
    void start();
    // Asks again soon; requests made while a question is on its way are answered by the next one.
    void refresh();
    // The last map learnt; nullopt before the first.
    const std::optional<ClusterSlots>& map() const { return m_map; }
    // Why the last attempt failed (empty after a success).
    const QString& lastError() const { return m_lastError; }
    qint64 refreshes() const { return m_refreshes; }
    // "shard host:port (slots a-b,c-d)" for the primary `key` (Node::toString()), in logs and /readyz.
    QString shardName(const QString& key) const;

Q_SIGNALS:
    // The map is new or differs from the one before.
    void changed();
    // No node answered; the map (if any) is kept.
    void unavailable(const QString& reason);

private:
    void ask();

    QList<Node> m_seeds;
    FirstAnswer* m_asker;
    std::optional<ClusterSlots> m_map;
    QString m_lastError;
    bool m_again = false;
    qint64 m_refreshes = 0;
    QTimer m_refreshTimer;
};

} // namespace forgewire
