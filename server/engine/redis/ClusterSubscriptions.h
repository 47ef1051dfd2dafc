#pragma once

#include "engine/redis/ClusterSlots.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <deque>
#include <utility>

namespace forgewire {

class ClusterTopology;
class ShardedSubscriber;

// A node's sharded subscriptions across a Redis Cluster: a ShardedSubscriber per primary of the
// map, and each wanted channel subscribed on the primary that serves its slot. A channel moves when
// the map changes, when its shard drops it (the slot moved) or refuses it (MOVED); a shard lost is
// reconnected with backoff and its channels subscribed again. Each connection is PINGed every
// kHealthCheckIntervalMs: one unanswered within the timeout counts its shard as down.
class ClusterSubscriptions : public QObject
{
    Q_OBJECT
public:
    using Node = ClusterSlots::Node;

    static constexpr int kHealthCheckIntervalMs = 500;
    // First reconnect delay of a shard, doubled per failed attempt up to the max.
    static constexpr int kReconnectInitialMs = 100;
    static constexpr int kReconnectMaxMs = 5000;
    // SSUBSCRIBEs and SUNSUBSCRIBEs in flight on one shard's connection; more wait in its backlog,
    // sent as answers come (a node may watch more topics on one shard than a connection takes
    // requests at once, and thousands of clients may leave at once).
    static constexpr qsizetype kSubscribeWindow = 1000;

    ClusterSubscriptions(ClusterTopology* topology, const QByteArray& user, const QByteArray& password,
                         int timeoutMs, QObject* parent = nullptr);
    ~ClusterSubscriptions() override;

    // Starts the health checks; the shards come with the map (ClusterTopology::changed).
    void start();
    void want(const QByteArray& channel);
    void unwant(const QByteArray& channel);
    // SSUBSCRIBE sent and not confirmed yet: what is published from the confirmation on arrives.
    bool isPending(const QByteArray& channel) const { return m_pending.contains(channel); }
    // Every primary of the map is connected and has confirmed its subscriptions.
    bool allUp() const;
    // "shard host:port (slots a-b) down: why" for each shard down, sorted.
    QStringList shardsDown() const;
    qsizetype shardCount() const { return m_shards.size(); }
    qsizetype shardsDownCount() const;
    qint64 losses() const { return m_losses; }
    qint64 moves() const { return m_moves; }

Q_SIGNALS:
    void message(const QByteArray& channel, const QByteArray& payload);
    // Confirmed on the shard that serves it. `resumed`: it was wanted before while messages on it
    // could not reach this node (its shard was away, or it moved).
    void subscribed(const QByteArray& channel, bool resumed);
    // A subscription (or the request for one) ended without this node asking; it comes back by
    // itself, with subscribed(channel, true).
    void interrupted(const QByteArray& channel);
    // A shard came or went, or the map changed.
    void shardsChanged();

private:
    struct Shard
    {
        Node node;
        ShardedSubscriber* subscriber = nullptr;
        QTimer* retry = nullptr;
        bool up = false;     // connected: takes requests
        bool live = false;   // and answered a PING sent after its subscriptions: they are in place
        bool probed = false; // that PING is sent
        bool wasUp = false;
        // Channels to SSUBSCRIBE (true) or SUNSUBSCRIBE once the window has room.
        std::deque<std::pair<QByteArray, bool>> backlog;
        QString reason; // why it is down
        int nextDelayMs = kReconnectInitialMs;
    };

    void onMapChanged();
    void addShard(const Node& node);
    void onShardConnected(const QString& key);
    void onShardLost(const QString& key, const QString& reason);
    void onPong(const QString& key);
    void subscribeOn(const QString& key, const QByteArray& channel);
    void unsubscribeFrom(const QString& key, const QByteArray& channel);
    // Sends what the window has room for; once the backlog is empty, the PING that makes it live.
    void pump(const QString& key);
    void onSubscribed(const QString& key, const QByteArray& channel);
    // Its slot is served elsewhere now: subscribed again once the map says where.
    void onMoved(const QString& key, const QByteArray& channel);
    // Subscribes `channel` on the shard the map names for it, leaving the one it was on.
    void place(const QByteArray& channel);
    void interrupt(const QByteArray& channel);
    void healthCheck();

    ClusterTopology* m_topology;
    QByteArray m_user;
    QByteArray m_password;
    int m_timeoutMs;
    QHash<QString, Shard> m_shards; // by Node::toString()
    QSet<QByteArray> m_wanted;
    QHash<QByteArray, QString> m_placed; // channel -> the shard it is subscribed (or to be) on
    QSet<QByteArray> m_unplaced;         // wanted, waiting for a map that places it
    QSet<QByteArray> m_pending;          // SSUBSCRIBE sent, not confirmed
    QSet<QByteArray> m_resumed;          // to be confirmed as resumed
    QTimer m_healthTimer;
    qint64 m_losses = 0;
    qint64 m_moves = 0;
};

} // namespace forgewire
