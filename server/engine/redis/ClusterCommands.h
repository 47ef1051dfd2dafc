#pragma once

#include "engine/redis/ClusterSlots.h"
#include "engine/redis/RedisConnection.h"

#include <QHash>
#include <QObject>

#include <functional>

namespace forgewire {

class ClusterTopology;

// Commands to a Redis Cluster, each to the primary that serves its slot: one connection per primary,
// opened as the map names them (and again after a loss, when a command needs it). A MOVED answer is
// followed (and the map asked for again: it changed) and an ASK answer too (ASKING, then the command
// once more on the node the slot is moving to), up to kMaxRedirects times, so callers see the cluster
// as one Redis that fails a command only when its shard cannot be reached.
class ClusterCommands : public QObject
{
    Q_OBJECT
public:
    using Node = ClusterSlots::Node;
    using ReplyHandler = RedisConnection::ReplyHandler;

    // Redirections one command follows before it fails (a map that keeps changing under it).
    static constexpr int kMaxRedirects = 5;
    // Commands waiting for one primary's connection to open; more fail at once.
    static constexpr qsizetype kMaxWaitingPerPrimary = 10'000;

    ClusterCommands(ClusterTopology* topology, const QByteArray& user, const QByteArray& password,
                    int timeoutMs = RedisConnection::kDefaultTimeoutMs, QObject* parent = nullptr);
    ~ClusterCommands() override;

    // Runs `args` (whose keys all hash to `slot`) on the slot's primary; `handler` runs exactly once,
    // with the reply or with nullptr when the command could not complete (no map yet, no primary for
    // the slot, its shard down, too many redirections: lastError() says which).
    void command(int slot, const QByteArrayList& args, ReplyHandler handler);
    // Runs `args` (a command without keys, such as CLUSTER INFO) on `node` itself, no redirection
    // followed; `handler` as for command().
    void commandOn(const Node& node, const QByteArrayList& args, ReplyHandler handler);
    bool isUp(const Node& primary) const;
    QString lastError() const { return m_lastError; }
    qint64 redirects() const { return m_redirects; }

Q_SIGNALS:
    void primaryUp(const Node& primary);
    void primaryDown(const Node& primary, const QString& reason);

private:
    struct Link
    {
        RedisConnection* connection = nullptr;
        // Run with the connection once it is up, or with nullptr if it fails first.
        QList<std::function<void(RedisConnection*)>> waiting;
    };

    // The node's link, opened now if there is none; opening queues nothing, so it never counts
    // against kMaxWaitingPerPrimary.
    Link& linkTo(const Node& node);
    void withConnection(const Node& node, std::function<void(RedisConnection*)> run);
    void send(const Node& node, int slot, const QByteArrayList& args, ReplyHandler handler, int redirects,
              bool asking);
    void fail(ReplyHandler& handler, const QString& error);
    void onMapChanged();
    void drop(const QString& key, const QString& reason);

    ClusterTopology* m_topology;
    QByteArray m_user;
    QByteArray m_password;
    int m_timeoutMs;
    QHash<QString, Link> m_links; // by Node::toString()
    QString m_lastError;
    qint64 m_redirects = 0;
};

} // namespace forgewire
