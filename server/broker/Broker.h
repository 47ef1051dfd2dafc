#pragma once

#include "auth/RevokedSessions.h"
#include "broker/PresenceObserver.h"
#include "broker/SubscriberHost.h"
#include "broker/SubscriberHub.h"
#include "engine/Engine.h"
#include "metrics/Metrics.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>
#include <QVarLengthArray>

namespace forgewire {

// The main-thread hub between the engine and the worker threads: resolves board ACLs at publish
// time, hands each publication (encoded once) to the workers that hold subscribers, counts which
// topics have local subscribers (so a Redis engine subscribes once per topic, not per connection),
// and answers the workers' questions about topics. It knows the workers only as SubscriberHosts and
// they know it only as their SubscriberHub.
class Broker : public QObject, public SubscriberHub
{
    Q_OBJECT
public:
    Broker(Engine* engine, Metrics* metrics, QObject* parent = nullptr);

    // The hosts in index order (the index they report refs with); cleared before they are deleted.
    void setHosts(const QList<SubscriberHost*>& hosts);
    Engine* engine() const { return m_engine; }
    // How long a logout revokes its session (config `revoked_session_ttl`).
    void setRevokedSessionTtl(qint64 seconds) { m_revokedSessionTtlS = seconds; }
    // Thread-safe: workers check new connections against it.
    const RevokedSessions& revokedSessions() const override { return m_revoked; }

    // Main thread. `done` gets an empty error when the engine took the whole batch
    // (Engine::isConflict(error): a board event did not fit its board's model).
    void publish(QList<Publication> batch, Engine::Done done);
    // Main thread. Stores a snapshot (BoardModel::validateSnapshot's output) as the board's model and
    // sends it, with the ACL as it is now, to the board's subscribers on every node.
    void storeBoard(qint64 projectId, const QJsonObject& board, Engine::StoreBoardDone done);

    // SubscriberHub, thread-safe (see there).
    void resolveTopic(QObject* context, qint64 userId, bool checkAccess, const QString& topic,
                      TopicReply reply) override;
    void topicRefChanged(int workerIndex, const QString& topic, int delta) override;
    void tokenRefChanged(int workerIndex, const QByteArray& tokenKey, int delta) override;
    void boardSnapshot(QObject* context, const QString& topic, BoardsReply reply) override;
    void listBoards(QObject* context, BoardsReply reply) override;

    // Main thread. Closes every connection signed in with the forge token `tokenKey`, on every worker.
    void closeToken(const QByteArray& tokenKey, quint16 code, const QString& reason);

    // Thread-safe. Bridge mode: a client re-subscribed to its own user topic, which asks for fresh state.
    void requestRefresh(qint64 userId) override;
    void requestSessionState(const QString& topic) override;

    bool hasLocalSubscribers(const QString& topic) const { return m_topicRefs.contains(topic); }

    // Main thread. Who is told of users and forge tokens coming and going on this node (bridge mode);
    // `lifetime` is the observer as a QObject, so a gone observer is never called.
    void setPresenceObserver(PresenceObserver* observer, QObject* lifetime);

private:
    // A few worker indexes, held inline: one per user topic on a node, so a QSet (about 580 bytes
    // allocated per topic) weighed more than the idle connection that made the topic.
    class WorkerSet
    {
    public:
        void insert(int index)
        {
            if (!m_indexes.contains(index))
                m_indexes.append(index);
        }
        void remove(int index)
        {
            if (const qsizetype i = m_indexes.indexOf(index); i >= 0)
                m_indexes.remove(i);
        }
        bool isEmpty() const { return m_indexes.isEmpty(); }
        const int* begin() const { return m_indexes.cbegin(); }
        const int* end() const { return m_indexes.cend(); }

    private:
        QVarLengthArray<int, 2> m_indexes;
    };

    PresenceObserver* presence() const;
    void onDelivered(const Publication& publication);
    void onSessionsRevoked(const QHash<QString, qint64>& revocations);
    void sendToWorkers();

    Engine* m_engine;
    Metrics* m_metrics;
    QList<SubscriberHost*> m_hosts;
    PresenceObserver* m_presence = nullptr;
    QPointer<QObject> m_presenceLifetime;
    // Which workers hold subscribers of a topic: a publication goes only to those.
    QHash<QString, WorkerSet> m_topicRefs;
    // Which workers hold connections signed in with a forge token (by its key).
    QHash<QByteArray, WorkerSet> m_tokenRefs;
    // Publications gathered during one event-loop pass, one batch per worker (index as in m_hosts):
    // one cross-thread call per worker per pass instead of one per publication.
    QList<QList<Publication>> m_outgoing;
    bool m_sendPosted = false;
    RevokedSessions m_revoked;
    qint64 m_revokedSessionTtlS = RevokedSessions::kDefaultTtlSeconds;
    QTimer m_pruneTimer;
};

} // namespace forgewire
