#pragma once

#include "engine/Engine.h"
#include "engine/redis/ClusterSettings.h"
#include "engine/redis/ClusterSlots.h"
#include "engine/redis/Redelivery.h"

#include <QElapsedTimer>
#include <QHash>
#include <QSet>

namespace forgewire {

class ClusterCommands;
class ClusterStateCheck;
class ClusterSubscriptions;
class ClusterTopology;

// Several nodes behind a Redis Cluster (redis-cluster://): what RedisEngine does on one Redis, with
// the topics spread over the cluster's shards. Every key and channel of a topic carries the topic as
// its hash tag (fw:retained:{T}, fw:topic:{T}, fw:board:{project-board.N}, fw:acl:{project-board.N}),
// so all of a topic is in one slot: a publish is one script on the shard that owns the topic (its
// retained write and its SPUBLISH together), and a board's apply-bump-publish stays atomic.
// Node-wide state (revoked sessions, the new-board announcements) lives under the tag {fw}.
//
// Each node subscribes a topic's channel on the primary that serves it (ClusterSubscriptions;
// sharded pub/sub, Redis 7: a publish travels only within its shard). A shard that cannot be reached fails
// only its own topics: their publishes get 503, /readyz names it, the other shards keep flowing and no client
// is disconnected. When it is back its topics are subscribed again and their retained state and boards
// delivered anew, as RedisEngine does.
//
// A batch is all or nothing per shard, not across shards (Redis Cluster has no transaction that
// spans them): each shard's part is one script, its keys checked before anything is written.
class RedisClusterEngine : public Engine
{
    Q_OBJECT
public:
    using Node = ClusterSlots::Node;

    // A command or subscription request unanswered this long fails (its shard counts as down).
    static constexpr int kCommandTimeoutMs = 2000;
    // Scripts sent for publishes and not answered yet, over all shards, beyond which publishes are
    // refused at once rather than queued behind a cluster that cannot keep up.
    static constexpr qsizetype kMaxPendingScripts = 50'000;

    explicit RedisClusterEngine(ClusterSettings settings, QObject* parent = nullptr);
    ~RedisClusterEngine() override;

    QString name() const override { return QStringLiteral("redis-cluster"); }
    void start() override;
    bool isReady() const override { return m_ready; }
    Readiness readiness() const override;

    void publish(const QList<Publication>& batch, Done done) override;
    void retained(const QString& topic, std::function<void(QList<RetainedMessage>)> reply) override;
    void projectAccess(qint64 projectId, std::function<void(std::optional<ProjectAccess>)> reply) override;
    void setProjectAccess(qint64 projectId, const ProjectAccess& access, Done done) override;
    void storeBoard(qint64 projectId, const QJsonObject& board, const ProjectAccess& access,
                    StoreBoardDone done) override;
    void board(qint64 projectId, std::function<void(std::optional<BoardState>)> reply) override;
    // From every primary (SCAN); each BoardState's board holds the summary fields only.
    void boards(std::function<void(QList<BoardState>)> reply) override;
    void watchTopic(const QString& topic) override;
    void unwatchTopic(const QString& topic) override;
    void writeMetrics(PrometheusWriter& out) const override;

    // Key and channel names, public for tests and operators.
    static QByteArray topicChannel(const QString& topic);
    static QByteArray retainedKey(const QString& topic);
    static QByteArray boardKey(qint64 projectId);
    static QByteArray aclKey(qint64 projectId);
    static QByteArray revokedKey();
    static QByteArray revokedChannel();
    // A new board's topic, for the nodes with readers of every board (sharded pub/sub has no
    // pattern that could stand for every board channel).
    static QByteArray newBoardChannel();
    static int slotOf(const QByteArray& key) { return ClusterSlots::keySlot(key); }

private:
    void onSubscribed(const QByteArray& channel, bool resumed);
    void onInterrupted(const QByteArray& channel);
    void onMessage(const QByteArray& channel, const QByteArray& payload);
    void loadRevocations();
    void readRetained(const QString& topic, std::function<void(QList<RetainedMessage>)> reply);
    void releaseRetainedReads(const QString& topic);
    void deliverLive(const Publication& publication);
    // Readers of every board: each board's channel is subscribed (sharded pub/sub has no patterns).
    void followEveryBoard();
    bool followsEveryBoard() const;
    void updateReady();
    // Runs `script` with `keys` (one slot) and `args`; the handler gets nullptr and an error when
    // the shard could not be reached or the script failed.
    void runScript(const QByteArray& script, const QByteArrayList& keys, const QByteArrayList& args,
                   std::function<void(const redisReply*, const QString& error)> handler);
    void publishPlain(const QList<Publication>& batch, Done done);
    // Why a command failed: the reply's error, or (no reply) why ClusterCommands gave none.
    QString failure(const redisReply* reply) const;
    // One shard's part of a batch, in one script (a script per slot when it is one slot).
    void publishOnShard(const QList<QList<Publication>>& slotGroups, Done done);
    void publishOnSlots(const QList<QList<Publication>>& slotGroups, Done done);

    ClusterSettings m_settings;
    ClusterTopology* m_topology;
    ClusterCommands* m_commands;
    ClusterSubscriptions* m_subscriptions;
    ClusterStateCheck* m_stateCheck;
    QSet<QString> m_watched;
    // Board topics followed for readers of every board (while Topic::everyBoard() is watched).
    QSet<QString> m_everyBoard;
    // Topics whose SSUBSCRIBE is not confirmed yet, with the retained-state reads waiting for it.
    QHash<QString, QList<std::function<void()>>> m_subscribing;
    // New boards followed for readers of every board: their first snapshot is read once subscribed.
    QSet<QString> m_redeliverOnSubscribe;
    // A topic's state is read again and delivered after its shard came back or it moved.
    Redelivery m_redelivery;
    bool m_revocationsLoaded = false;
    bool m_ready = false;
    bool m_wasReady = false;
    QElapsedTimer m_clock;
    qint64 m_pendingScripts = 0;

    qint64 m_outageSince = -1;
    qint64 m_outageTotalMs = 0;
    qint64 m_publishFailures = 0;
    qint64 m_malformed = 0;
    qint64 m_mismatched = 0;
};

} // namespace forgewire
