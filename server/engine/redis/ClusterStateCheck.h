#pragma once

#include "engine/redis/ClusterSlots.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

struct redisReply;

namespace forgewire {

class ClusterCommands;
class ClusterTopology;

// Whether each primary of the map serves commands. A primary can be reachable, take subscriptions
// and answer PING, and still refuse every command on a key with CLUSTERDOWN: one restarted does so
// until it has heard from the others again (cluster_state:fail in CLUSTER INFO). A node that counted
// only its connections would say it is ready while that shard's publishes fail; so each primary is
// asked for its cluster_state every kIntervalMs, at once when the map changes or its connection
// opens, and counts as not serving from the moment its connection is lost.
class ClusterStateCheck : public QObject
{
    Q_OBJECT
public:
    using Node = ClusterSlots::Node;

    static constexpr int kIntervalMs = 1000;

    ClusterStateCheck(ClusterTopology* topology, ClusterCommands* commands, QObject* parent = nullptr);

    // Asks every primary now and every kIntervalMs; the primaries come with the map.
    void start();
    // Every primary of the map answered its last question with cluster_state:ok.
    bool allServing() const;
    // "shard host:port (slots a-b) not serving: why" for each primary of the map not known to serve,
    // sorted.
    QStringList notServing() const;
    qsizetype notServingCount() const;

Q_SIGNALS:
    // A primary started or stopped serving, or the map changed which primaries there are.
    void changed();

private:
    // Whether the primary `key` answered its last question with cluster_state:ok.
    bool serves(const QString& key) const;
    void checkAll();
    void ask(const Node& primary);
    void onAnswer(const QString& key, const redisReply* reply);
    void record(const QString& key, const QString& why);

    ClusterTopology* m_topology;
    ClusterCommands* m_commands;
    QTimer m_timer;
    // By Node::toString(), for the primaries of the map that answered: empty when serving, else why
    // not. A primary not in it has not answered yet: not serving either.
    QHash<QString, QString> m_why;
    // Primaries with a question on its way: one at a time each, so a slow one gathers no queue.
    QSet<QString> m_asking;
};

} // namespace forgewire
