#include "broker/Broker.h"

#include "broker/BoardModel.h"
#include "config/ServerLogging.h"
#include "protocol/Topic.h"
#include "transport/WsProtocol.h"

#include <QDateTime>

#include <memory>

namespace forgewire {

using namespace Qt::StringLiterals;

Broker::Broker(Engine* engine, Metrics* metrics, QObject* parent)
    : QObject(parent), m_engine(engine), m_metrics(metrics)
{
    connect(m_engine, &Engine::delivered, this, &Broker::onDelivered);
    connect(m_engine, &Engine::sessionsRevoked, this, &Broker::onSessionsRevoked);
    // The engine reports its stored revocations before it first reports ready (see Engine).
    auto loaded = [this](bool ready) {
        if (ready && !m_revoked.isLoaded()) {
            m_revoked.setLoaded();
            qCInfo(lcBroker) << m_revoked.size() << "revoked sessions loaded";
        }
    };
    connect(m_engine, &Engine::readyChanged, this, loaded);
    loaded(m_engine->isReady());
    m_pruneTimer.setInterval(RevokedSessions::kPruneIntervalMs);
    connect(&m_pruneTimer, &QTimer::timeout, this,
            [this] { m_revoked.prune(QDateTime::currentMSecsSinceEpoch()); });
    m_pruneTimer.start();
}

void Broker::onSessionsRevoked(const QHash<QString, qint64>& revocations)
{
    // The set first: a connection authenticating from now on is refused, and one that got in before
    // is found by the workers below (both run on the worker's thread, in this order).
    m_revoked.add(revocations);
    QSet<QString> sessions;
    for (auto it = revocations.cbegin(); it != revocations.cend(); ++it) {
        if (m_revoked.contains(it.key()))
            sessions.insert(it.key());
    }
    if (sessions.isEmpty())
        return;
    for (SubscriberHost* host : std::as_const(m_hosts))
        QMetaObject::invokeMethod(
            host->hostContext(), [host, sessions] { host->revokeSessions(sessions); }, Qt::QueuedConnection);
}

void Broker::publish(QList<Publication> batch, Engine::Done done)
{
    // Board publications carry the ACL as it is now, so a revoked reader stops receiving at once.
    struct Pending
    {
        QList<Publication> batch;
        int waiting = 0;
        Engine::Done done;
    };
    // A logout revokes its session (PROTOCOL.md v1.1), stored by the engine with the publication.
    const qint64 revokeUntil = QDateTime::currentMSecsSinceEpoch() + m_revokedSessionTtlS * 1000;
    for (Publication& p : batch) {
        if (!p.logoutSession.isEmpty())
            p.revokeUntilMs = revokeUntil;
    }
    auto pending = std::make_shared<Pending>(Pending{std::move(batch), 1, std::move(done)});
    auto finishOne = [this, pending] {
        if (--pending->waiting == 0) {
            const qsizetype count = pending->batch.size();
            m_engine->publish(pending->batch, [this, pending, count](const QString& error) {
                if (error.isEmpty())
                    m_metrics->published += count;
                pending->done(error);
            });
        }
    };
    for (qsizetype i = 0; i < pending->batch.size(); ++i) {
        const Topic topic = Topic::parse(std::as_const(pending->batch)[i].topic);
        if (topic.kind() != Topic::Kind::ProjectBoard)
            continue;
        ++pending->waiting;
        m_engine->projectAccess(topic.id(), [pending, i, finishOne](std::optional<ProjectAccess> access) {
            // No ACL yet: nobody but token grants may read it.
            pending->batch[i].access = access.value_or(ProjectAccess{});
            finishOne();
        });
    }
    finishOne();
}

void Broker::storeBoard(qint64 projectId, const QJsonObject& board, Engine::StoreBoardDone done)
{
    m_engine->projectAccess(projectId, [this, projectId, board, done](std::optional<ProjectAccess> access) {
        m_engine->storeBoard(projectId, board, access.value_or(ProjectAccess{}), done);
    });
}

namespace {

// Runs `reply` on `context`'s thread, if `context` still exists.
SubscriberHub::BoardsReply onThreadOf(QObject* context, SubscriberHub::BoardsReply reply)
{
    QPointer<QObject> guard(context);
    return [guard, reply](const QList<SubscriberHub::BoardEntry>& boards) {
        if (guard)
            QMetaObject::invokeMethod(
                guard, [reply, boards] { reply(boards); }, Qt::QueuedConnection);
    };
}

} // namespace

void Broker::boardSnapshot(QObject* context, const QString& topic, BoardsReply reply)
{
    BoardsReply answer = onThreadOf(context, std::move(reply));
    QMetaObject::invokeMethod(
        this,
        [this, topic, answer] {
            const Topic parsed = Topic::parse(topic);
            if (parsed.kind() != Topic::Kind::ProjectBoard) {
                answer({});
                return;
            }
            m_engine->board(parsed.id(), [topic, answer](const std::optional<BoardState>& state) {
                if (!state) {
                    answer({});
                    return;
                }
                answer({BoardEntry{
                    topic, BoardModel::snapshotMessage(topic, state->seq, state->board), {}, state->access}});
            });
        },
        Qt::QueuedConnection);
}

void Broker::listBoards(QObject* context, BoardsReply reply)
{
    BoardsReply answer = onThreadOf(context, std::move(reply));
    QMetaObject::invokeMethod(
        this,
        [this, answer] {
            m_engine->boards([answer](const QList<BoardState>& states) {
                QList<BoardEntry> entries;
                for (const BoardState& state : states) {
                    const QString topic = Topic::projectBoard(state.projectId);
                    entries.append({topic, {}, BoardModel::summary(topic, state.board), state.access});
                }
                std::sort(entries.begin(), entries.end(),
                          [](const BoardEntry& a, const BoardEntry& b) { return a.topic < b.topic; });
                answer(entries);
            });
        },
        Qt::QueuedConnection);
}

void Broker::setHosts(const QList<SubscriberHost*>& hosts)
{
    m_hosts = hosts;
    m_outgoing = QList<QList<Publication>>(hosts.size());
}

void Broker::onDelivered(const Publication& publication)
{
    // The workers with subscribers of the topic, and for a board those that read every board.
    WorkerSet workers;
    if (const auto refs = m_topicRefs.constFind(publication.topic); refs != m_topicRefs.cend()) {
        for (int index : *refs)
            workers.insert(index);
    }
    if (Topic::parse(publication.topic).kind() == Topic::Kind::ProjectBoard) {
        if (const auto every = m_topicRefs.constFind(Topic::everyBoard()); every != m_topicRefs.cend()) {
            for (int index : *every)
                workers.insert(index);
        }
    }
    if (workers.isEmpty()) {
        ++m_metrics->droppedNoSubscribers;
        return;
    }
    // Framed once here; every worker and every recipient shares these bytes.
    Publication framed = publication;
    framed.frame = ws::textFrame(framed.payload);
    for (int index : workers) {
        if (index >= 0 && index < m_outgoing.size())
            m_outgoing[index].append(framed);
    }
    if (!m_sendPosted) {
        m_sendPosted = true;
        QMetaObject::invokeMethod(this, &Broker::sendToWorkers, Qt::QueuedConnection);
    }
}

void Broker::sendToWorkers()
{
    m_sendPosted = false;
    for (qsizetype i = 0; i < m_hosts.size() && i < m_outgoing.size(); ++i) {
        if (m_outgoing[i].isEmpty())
            continue;
        SubscriberHost* host = m_hosts[i];
        QMetaObject::invokeMethod(
            host->hostContext(), [host, batch = std::exchange(m_outgoing[i], {})] { host->deliver(batch); },
            Qt::QueuedConnection);
    }
}

void Broker::resolveTopic(QObject* context, qint64 userId, bool checkAccess, const QString& topic,
                          TopicReply reply)
{
    QPointer<QObject> guard(context);
    auto answer = [guard, reply](bool allowed, const QList<QByteArray>& retained) {
        if (guard)
            QMetaObject::invokeMethod(
                guard, [reply, allowed, retained] { reply(allowed, retained); }, Qt::QueuedConnection);
    };
    QMetaObject::invokeMethod(
        this,
        [this, userId, checkAccess, topic, answer] {
            auto fetchRetained = [this, topic, answer] {
                m_engine->retained(topic, [this, topic, answer](const QList<RetainedMessage>& messages) {
                    QList<QByteArray> payloads;
                    for (const RetainedMessage& m : messages)
                        payloads.append(m.payload);
                    const Topic parsed = Topic::parse(topic);
                    if (parsed.kind() != Topic::Kind::ProjectBoard) {
                        answer(true, payloads);
                        return;
                    }
                    // A board with a live model greets its new subscriber with the snapshot, right after
                    // `subscribed`, like retained state (PROTOCOL.md v1.1).
                    m_engine->board(
                        parsed.id(), [topic, answer, payloads](const std::optional<BoardState>& state) {
                            QList<QByteArray> all = payloads;
                            if (state)
                                all.append(BoardModel::snapshotMessage(topic, state->seq, state->board));
                            answer(true, all);
                        });
                });
            };
            if (!checkAccess) {
                fetchRetained();
                return;
            }
            m_engine->projectAccess(Topic::parse(topic).id(), [userId, answer, fetchRetained](
                                                                  std::optional<ProjectAccess> access) {
                // User 0 asking: a forge session signed in by cookie
                // (anonymous clients are refused boards before), which
                // reads public boards only.
                if (access && (userId > 0 ? access->allows(userId) : access->isPublic))
                    fetchRetained();
                else
                    answer(false, {});
            });
        },
        Qt::QueuedConnection);
}

void Broker::topicRefChanged(int workerIndex, const QString& topic, int delta)
{
    QMetaObject::invokeMethod(
        this,
        [this, workerIndex, topic, delta] {
            const bool wasWatched = m_topicRefs.contains(topic);
            if (delta > 0) {
                m_topicRefs[topic].insert(workerIndex);
            } else if (wasWatched) {
                auto it = m_topicRefs.find(topic);
                it->remove(workerIndex);
                if (it->isEmpty())
                    m_topicRefs.erase(it);
            }
            const bool isWatched = m_topicRefs.contains(topic);
            if (wasWatched == isWatched)
                return;
            const Topic parsed = Topic::parse(topic);
            if (isWatched)
                m_engine->watchTopic(topic);
            else
                m_engine->unwatchTopic(topic);
            if (parsed.kind() == Topic::Kind::User) {
                if (PresenceObserver* observer = presence()) {
                    if (isWatched)
                        observer->userOnline(parsed.id());
                    else
                        observer->userOffline(parsed.id());
                }
            }
        },
        Qt::QueuedConnection);
}

void Broker::tokenRefChanged(int workerIndex, const QByteArray& tokenKey, int delta)
{
    QMetaObject::invokeMethod(
        this,
        [this, workerIndex, tokenKey, delta] {
            const bool wasLive = m_tokenRefs.contains(tokenKey);
            if (delta > 0) {
                m_tokenRefs[tokenKey].insert(workerIndex);
            } else if (wasLive) {
                auto it = m_tokenRefs.find(tokenKey);
                it->remove(workerIndex);
                if (it->isEmpty())
                    m_tokenRefs.erase(it);
            }
            const bool isLive = m_tokenRefs.contains(tokenKey);
            if (wasLive == isLive)
                return;
            if (PresenceObserver* observer = presence()) {
                if (isLive)
                    observer->tokenOnline(tokenKey);
                else
                    observer->tokenOffline(tokenKey);
            }
        },
        Qt::QueuedConnection);
}

void Broker::closeToken(const QByteArray& tokenKey, quint16 code, const QString& reason)
{
    for (SubscriberHost* host : std::as_const(m_hosts))
        QMetaObject::invokeMethod(
            host->hostContext(), [=] { host->closeToken(tokenKey, code, reason); }, Qt::QueuedConnection);
}

void Broker::requestRefresh(qint64 userId)
{
    QMetaObject::invokeMethod(
        this,
        [this, userId] {
            if (PresenceObserver* observer = presence())
                observer->refreshRequested(userId);
        },
        Qt::QueuedConnection);
}

void Broker::requestSessionState(const QString& topic)
{
    QMetaObject::invokeMethod(
        this,
        [this, topic] {
            if (PresenceObserver* observer = presence())
                observer->sessionStateWanted(topic);
        },
        Qt::QueuedConnection);
}

void Broker::setPresenceObserver(PresenceObserver* observer, QObject* lifetime)
{
    m_presence = observer;
    m_presenceLifetime = lifetime;
}

PresenceObserver* Broker::presence() const
{
    return m_presenceLifetime ? m_presence : nullptr;
}

} // namespace forgewire
