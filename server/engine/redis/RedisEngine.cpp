#include "engine/redis/RedisEngine.h"

#include "broker/BoardModel.h"
#include "config/ServerLogging.h"
#include "engine/redis/RedisBoardScripts.h"
#include "engine/redis/RedisConnection.h"
#include "engine/redis/SentinelLocator.h"
#include "metrics/PrometheusWriter.h"
#include "protocol/Topic.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUuid>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <utility>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

constexpr auto kTopicChannelPrefix = "fw:topic:";
constexpr auto kRetainedKeyPrefix = "fw:retained:";
constexpr auto kAclKey = "fw:acl";
constexpr auto kRevokedKey = "fw:revoked-sessions";
constexpr auto kRevokedChannel = "fw:revoked";
constexpr auto kLayout = redisboard::Layout::SingleRedis; // the board scripts' keys are these
constexpr auto kBoardKeyPrefix = "fw:board:";
constexpr auto kBoardSummariesKey = "fw:boards";
// Each node's own channel, for the heartbeat that proves its subscriber connection alive.
constexpr auto kNodeChannelPrefix = "fw:node:";

} // namespace

QByteArray RedisEngine::topicChannel(const QString& topic)
{
    return kTopicChannelPrefix + topic.toUtf8();
}

QByteArray RedisEngine::retainedKey(const QString& topic)
{
    return kRetainedKeyPrefix + topic.toUtf8();
}

QByteArray RedisEngine::aclKey()
{
    return kAclKey;
}

QByteArray RedisEngine::revokedKey()
{
    return kRevokedKey;
}

QByteArray RedisEngine::revokedChannel()
{
    return kRevokedChannel;
}

QByteArray RedisEngine::boardKey(qint64 projectId)
{
    return kBoardKeyPrefix + QByteArray::number(projectId);
}

QByteArray RedisEngine::boardSummariesKey()
{
    return kBoardSummariesKey;
}

RedisEngine::RedisEngine(Address address, QObject* parent)
    : Engine(parent), m_address(std::move(address)),
      m_nodeChannel(kNodeChannelPrefix + QUuid::createUuid().toByteArray(QUuid::WithoutBraces)),
      m_redelivery(
          this, [this](const QString& topic) { return m_watched.contains(topic); },
          [this](const Publication& p) { Q_EMIT delivered(p); })
{
    m_clock.start();
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &RedisEngine::connectToRedis);
    m_healthTimer.setInterval(kHealthCheckIntervalMs);
    connect(&m_healthTimer, &QTimer::timeout, this, &RedisEngine::healthCheck);
}

RedisEngine::RedisEngine(const SentinelSettings& sentinel, QObject* parent)
    : RedisEngine(Address{QString(), 0, sentinel.db, sentinel.user, sentinel.password}, parent)
{
    m_locator = new SentinelLocator(sentinel, this);
    m_replicaWait = ReplicaWait(sentinel.waitReplicas);
    connect(m_locator, &SentinelLocator::primaryChanged, this, &RedisEngine::onPrimaryChanged);
}

RedisEngine::~RedisEngine()
{
    // Before the timers and sets go: the connections drop their pending handlers unrun.
    delete m_commands;
    delete m_subscriber;
}

QString RedisEngine::where() const
{
    if (!m_locator)
        return m_address.toString();
    if (!m_address.host.isEmpty())
        return u"the primary of '%1' at %2"_s.arg(m_locator->settings().masterName, m_address.toString());
    QStringList sentinels;
    for (const SentinelSettings::Endpoint& s : m_locator->settings().sentinels)
        sentinels.append(s.toString());
    return u"the primary of '%1' (sentinels %2)"_s.arg(m_locator->settings().masterName,
                                                       sentinels.join(u','));
}

bool RedisEngine::commandsUp() const
{
    return m_commands && m_commands->isConnected();
}

void RedisEngine::start()
{
    qCInfo(lcRedis).noquote() << "connecting to" << where();
    m_healthTimer.start();
    if (m_locator)
        m_locator->start();
    connectToRedis();
}

void RedisEngine::connectToRedis()
{
    if (!m_locator) {
        openConnections();
        return;
    }
    if (m_locating)
        return;
    // Asked at every attempt: a primary that stopped answering may have been replaced.
    m_locating = true;
    m_locator->locate([this](std::optional<SentinelSettings::Endpoint> primary, const QString& error) {
        m_locating = false;
        if (m_commands)
            return; // a connection attempt started meanwhile
        if (!primary) {
            m_noPrimaryReason = error;
            retryLater(error, false);
            return;
        }
        m_address.host = primary->host;
        m_address.port = primary->port;
        openConnections();
    });
}

void RedisEngine::openConnections()
{
    m_nodeChannelConfirmed = false;
    m_revocationsLoaded = false;
    m_roleConfirmed = !m_locator;
    m_attemptStartedAt = m_clock.elapsed();
    m_commands = new RedisConnection(u"commands"_s, this);
    m_subscriber = new RedisConnection(u"subscriber"_s, this);
    connect(m_commands, &RedisConnection::connected, this,
            m_locator ? &RedisEngine::checkRole : &RedisEngine::updateReady);
    connect(m_subscriber, &RedisConnection::connected, this, &RedisEngine::onSubscriberConnected);
    for (RedisConnection* connection : {m_commands, m_subscriber})
        connect(connection, &RedisConnection::disconnected, this, &RedisEngine::lost);
    connect(m_subscriber, &RedisConnection::subscribed, this, &RedisEngine::onSubscribed);
    connect(m_subscriber, &RedisConnection::message, this, &RedisEngine::onMessage);
    connect(m_subscriber, &RedisConnection::patternMessage, this, &RedisEngine::onPatternMessage);
    for (RedisConnection* connection : {m_commands, m_subscriber})
        connection->setCredentials(m_address.user.toUtf8(), m_address.password.toUtf8());
    m_commands->open(m_address.host, m_address.port, m_address.db, kCommandTimeoutMs);
    m_subscriber->open(m_address.host, m_address.port, m_address.db, kCommandTimeoutMs);
}

void RedisEngine::checkRole()
{
    // A sentinel's answer can be stale (a failover under way, or an old primary back as a replica
    // before they noticed), and a primary can be made a replica while connected: writing to a
    // replica fails, and reading from it serves old state.
    const bool sent = m_commands->command({"ROLE"}, [this](const redisReply* r) {
        if (!r)
            return; // the connection reports its own loss
        const QString role = r->type == REDIS_REPLY_ARRAY && r->elements > 0
                                 ? RedisConnection::replyText(r->element[0])
                                 : RedisConnection::replyText(r);
        if (role != "master"_L1) {
            m_noPrimaryReason =
                u"%1:%2 is not the primary (ROLE: %3)"_s.arg(m_address.host).arg(m_address.port).arg(role);
            lost(m_noPrimaryReason);
            return;
        }
        // A primary's ROLE: "master", its replication offset, and one entry per connected replica.
        if (r->elements >= 3 && r->element[2]->type == REDIS_REPLY_ARRAY)
            m_replicaWait.setConnectedReplicas(int(r->element[2]->elements));
        m_noPrimaryReason.clear();
        m_roleConfirmed = true;
        updateReady();
    });
    if (!sent)
        lost(u"cannot send ROLE"_s);
}

void RedisEngine::onPrimaryChanged(const QString& host, quint16 port)
{
    if (host == m_address.host && port == m_address.port)
        return;
    // No backoff: the sentinels just said where to go.
    m_nextDelayMs = kReconnectInitialMs;
    if (m_commands)
        lost(u"the sentinels moved the primary to %1:%2"_s.arg(host).arg(port));
    else if (!m_locating)
        m_reconnectTimer.start(0);
}

void RedisEngine::onSubscriberConnected()
{
    // The node channel goes last: Redis answers in order, so its confirmation means every topic
    // before it is subscribed again and nothing published from now on can miss this node.
    for (const QString& topic : std::as_const(m_watched)) {
        m_subscribing[topic];
        subscribeTopic(topic);
    }
    m_subscriber->subscribe(revokedChannel());
    if (!m_subscriber->subscribe(m_nodeChannel))
        lost(u"cannot subscribe"_s);
}

void RedisEngine::onSubscribed(const QByteArray& channel)
{
    const QByteArray prefix = topicChannel(QString());
    if (channel == topicChannel(Topic::everyBoard()) && m_watched.contains(Topic::everyBoard()))
        m_everyBoardLive = true;
    if (channel.startsWith(prefix))
        releaseRetainedReads(QString::fromUtf8(channel.mid(prefix.size())));
    if (channel != m_nodeChannel || m_nodeChannelConfirmed)
        return;
    m_nodeChannelConfirmed = true;
    // Read only now: a revocation made from here on arrives on the channel, one made before is in
    // the set, so none falls in between.
    loadRevocations();
}

void RedisEngine::loadRevocations()
{
    const QByteArray now = QByteArray::number(QDateTime::currentMSecsSinceEpoch());
    const bool sent =
        commandsUp() && m_commands->command({"ZREMRANGEBYSCORE", revokedKey(), "-inf", now}) &&
        m_commands->command(
            {"ZRANGEBYSCORE", revokedKey(), "(" + now, "+inf", "WITHSCORES"}, [this](const redisReply* r) {
                if (!r)
                    return; // the connection reports its own loss
                if (r->type != REDIS_REPLY_ARRAY) {
                    lost(u"cannot read revoked sessions: "_s + RedisConnection::replyText(r));
                    return;
                }
                QHash<QString, qint64> revoked;
                for (size_t i = 0; i + 1 < r->elements; i += 2) {
                    const QByteArray until(r->element[i + 1]->str, qsizetype(r->element[i + 1]->len));
                    revoked.insert(QString::fromUtf8(r->element[i]->str, qsizetype(r->element[i]->len)),
                                   qint64(until.toDouble()));
                }
                if (!revoked.isEmpty())
                    Q_EMIT sessionsRevoked(revoked);
                m_revocationsLoaded = true;
                updateReady();
            });
    if (!sent)
        lost(u"cannot read revoked sessions"_s);
}

Readiness RedisEngine::readiness() const
{
    QString reason;
    if (!m_noPrimaryReason.isEmpty() && !commandsUp())
        reason = u"no primary: "_s + m_noPrimaryReason;
    else if (!commandsUp())
        reason = m_wasReady ? u"connection lost"_s : u"not connected"_s;
    else if (!m_roleConfirmed)
        reason = u"checking that %1:%2 is the primary"_s.arg(m_address.host).arg(m_address.port);
    else if (!m_subscriber || !m_subscriber->isConnected() || !m_nodeChannelConfirmed)
        reason = m_wasReady ? u"subscription lost"_s : u"not subscribed"_s;
    else if (!m_revocationsLoaded)
        reason = u"loading revoked sessions"_s;
    return {{u"redis"_s, reason}};
}

void RedisEngine::updateReady()
{
    const bool ready = commandsUp() && m_roleConfirmed && m_subscriber && m_subscriber->isConnected() &&
                       m_nodeChannelConfirmed && m_revocationsLoaded;
    if (ready == m_ready)
        return;
    m_ready = ready;
    if (ready) {
        if (m_outageSince >= 0) {
            m_lastOutageMs = m_clock.elapsed() - m_outageSince;
            m_outageTotalMs += m_lastOutageMs;
            m_outageSince = -1;
        }
        m_lastHeartbeatAt = m_clock.elapsed();
        m_nextDelayMs = kReconnectInitialMs;
        if (m_wasReady || m_failedAttempts > 0)
            ++m_reconnects;
        // Other nodes may have accepted publishes while this one was away: bring every local
        // subscriber up to date with the state Redis holds now.
        if (m_wasReady)
            redeliverRetained();
        const QString retries =
            m_failedAttempts > 0 ? u" after %1 failed attempts"_s.arg(m_failedAttempts) : QString();
        qCInfo(lcRedis).noquote()
            << u"connected to %1%2; %3 topics subscribed"_s.arg(where(), retries).arg(m_watched.size());
        m_failedAttempts = 0;
        m_wasReady = true;
    }
    Q_EMIT readyChanged(ready);
}

void RedisEngine::lost(const QString& reason)
{
    if (!m_commands)
        return; // already torn down; this is an echo from the other connection
    // Members first: closing runs pending handlers, which may land here again.
    RedisConnection* commands = std::exchange(m_commands, nullptr);
    RedisConnection* subscriber = std::exchange(m_subscriber, nullptr);
    for (RedisConnection* connection : {commands, subscriber})
        connection->discard();
    const bool wasReady = m_ready;
    m_ready = false;
    m_roleConfirmed = false;
    m_nodeChannelConfirmed = false;
    m_everyBoardLive = false;
    m_revocationsLoaded = false;
    m_redelivery.clear(); // read again after the next connect
    // Waiting reads are answered now (with nothing, as Redis is gone) rather than left hanging.
    const QList<QString> subscribing = m_subscribing.keys();
    for (const QString& topic : subscribing)
        releaseRetainedReads(topic);
    retryLater(reason, wasReady);
}

void RedisEngine::retryLater(const QString& reason, bool wasReady)
{
    if (wasReady)
        m_outageSince = m_clock.elapsed();
    const int delay = m_nextDelayMs;
    m_nextDelayMs = std::min(m_nextDelayMs * 2, kReconnectMaxMs);
    ++m_failedAttempts;
    if (wasReady) {
        qCWarning(lcRedis).noquote() << "lost" << where() << "-" << logSafe(reason)
                                     << "- not ready, publishes fail with 503; reconnecting in" << delay
                                     << "ms";
        Q_EMIT readyChanged(false);
    } else {
        qCWarning(lcRedis).noquote() << "cannot reach" << where() << "-" << logSafe(reason) << "- attempt"
                                     << m_failedAttempts << "failed, retrying in" << delay << "ms";
    }
    m_reconnectTimer.start(delay);
}

void RedisEngine::healthCheck()
{
    if (!m_commands)
        return;
    const qint64 now = m_clock.elapsed();
    if (!m_ready) {
        // Each connection times out its own steps; this catches a subscription never confirmed.
        if (now - m_attemptStartedAt > kHeartbeatTimeoutMs)
            lost(u"not ready after %1 ms"_s.arg(now - m_attemptStartedAt));
        return;
    }
    if (now - m_lastHeartbeatAt > kHeartbeatTimeoutMs) {
        lost(u"subscriber connection silent for %1 ms"_s.arg(now - m_lastHeartbeatAt));
        return;
    }
    const bool sent =
        m_commands->command({"PUBLISH", m_nodeChannel, "heartbeat"}, [this](const redisReply* reply) {
            if (!reply)
                return; // the connection reports its own loss
            if (reply->type == REDIS_REPLY_ERROR)
                lost(u"heartbeat failed: "_s + RedisConnection::replyText(reply));
            else if (reply->type == REDIS_REPLY_INTEGER && reply->integer == 0 && m_ready)
                lost(u"Redis no longer knows this node's subscriptions"_s);
        });
    if (!sent)
        lost(u"cannot send heartbeat"_s);
    else if (m_locator)
        checkRole(); // a primary demoted behind the sentinels' back still takes PUBLISH
}

void RedisEngine::onMessage(const QByteArray& channel, const QByteArray& payload)
{
    m_lastHeartbeatAt = m_clock.elapsed();
    if (channel == m_nodeChannel)
        return;
    if (channel == revokedChannel()) {
        onRevokedMessage(payload);
        return;
    }
    std::optional<Publication> publication = publicationOn(channel, payload);
    if (!publication)
        return;
    // Delivered through the every-board pattern instead (see m_everyBoardLive).
    if (m_everyBoardLive && Topic::parse(publication->topic).kind() == Topic::Kind::ProjectBoard)
        return;
    deliverLive(*publication);
}

void RedisEngine::deliverLive(const Publication& publication)
{
    m_redelivery.noteLive(publication);
    Q_EMIT delivered(publication);
}

void RedisEngine::onPatternMessage(const QByteArray& pattern, const QByteArray& channel,
                                   const QByteArray& payload)
{
    m_lastHeartbeatAt = m_clock.elapsed();
    if (!m_everyBoardLive || pattern != topicChannel(Topic::everyBoard()))
        return;
    std::optional<Publication> publication = publicationOn(channel, payload);
    if (publication && Topic::parse(publication->topic).kind() == Topic::Kind::ProjectBoard)
        deliverLive(*publication);
}

std::optional<Publication> RedisEngine::publicationOn(const QByteArray& channel, const QByteArray& payload)
{
    const QByteArray prefix = topicChannel(QString());
    std::optional<Publication> publication = Publication::deserialize(payload);
    if (!publication || !channel.startsWith(prefix)) {
        // Another program on the same Redis, or a node of an incompatible version.
        if (m_malformed++ == 0)
            qCWarning(lcRedis).noquote() << "dropping malformed message on" << logSafe(channel);
        return std::nullopt;
    }
    // The channel is what this node subscribed to for its subscribers; a topic inside the payload is
    // only a claim. A client allowed to publish on one user's channel must not reach another user's
    // subscribers by naming them in the payload.
    const QString topic = QString::fromUtf8(channel.mid(prefix.size()));
    if (publication->topic != topic) {
        if (m_mismatched++ == 0)
            qCWarning(lcRedis).noquote() << "dropping a message on" << QString::fromUtf8(channel)
                                         << "that claims topic" << publication->topic.left(200);
        return std::nullopt;
    }
    return publication;
}

void RedisEngine::onRevokedMessage(const QByteArray& payload)
{
    const QJsonObject o = QJsonDocument::fromJson(payload).object();
    const QString sid = o.value("sid"_L1).toString();
    const qint64 until = qint64(o.value("until"_L1).toDouble());
    if (sid.isEmpty() || until <= 0) {
        if (m_malformed++ == 0)
            qCWarning(lcRedis).noquote()
                << "dropping malformed message on" << QString::fromUtf8(revokedChannel());
        return;
    }
    Q_EMIT sessionsRevoked({{sid, until}});
}

void RedisEngine::publish(const QList<Publication>& batch, Done done)
{
    // Board events go through the script (applied to a model if their board has one, seq and PUBLISH
    // in one atomic step), the rest through MULTI/EXEC once the script took them: a conflict rejects
    // the whole batch before anything is published. (Only a Redis lost between the two steps can
    // leave the board part published without the rest.)
    QList<Publication> boardEvents;
    QList<Publication> rest;
    for (const Publication& p : batch) {
        const bool isBoard = p.type == protocol::MessageType::Board &&
                             Topic::parse(p.topic).kind() == Topic::Kind::ProjectBoard;
        (isBoard ? boardEvents : rest).append(p);
    }
    if (boardEvents.isEmpty()) {
        publishPlain(rest, std::move(done));
        return;
    }
    if (!m_ready) {
        ++m_publishFailures;
        done(u"Redis at %1 is not connected"_s.arg(where()));
        return;
    }
    if (m_commands->pendingCount() + 1 + rest.size() > kMaxPendingCommands) {
        ++m_publishFailures;
        done(u"Redis is too slow: %1 commands waiting"_s.arg(m_commands->pendingCount()));
        return;
    }
    QByteArrayList args{"EVAL", redisboard::applyEventsScript(kLayout), "0"};
    args << QByteArray::number(boardEvents.size());
    for (const Publication& p : std::as_const(boardEvents))
        args << QByteArray::number(Topic::parse(p.topic).id()) << p.payload << p.serialize()
             << (p.endsTopic ? "1" : "0");
    const bool sent = m_commands->command(args, [this, rest, done](const redisReply* r) {
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
            r->element[0]->type != REDIS_REPLY_INTEGER) {
            ++m_publishFailures;
            done(u"Redis: "_s + RedisConnection::replyText(r));
            return;
        }
        if (r->element[0]->integer != 1) {
            done(conflictError(r->elements > 1 ? RedisConnection::replyText(r->element[1])
                                               : u"does not fit the board"_s));
            return;
        }
        if (rest.isEmpty())
            m_replicaWait.confirm(m_commands, done);
        else
            publishPlain(rest, done, true);
    });
    if (!sent) {
        ++m_publishFailures;
        done(u"cannot send the board script to Redis"_s);
    }
}

void RedisEngine::storeBoard(qint64 projectId, const QJsonObject& board, const ProjectAccess& access,
                             StoreBoardDone done)
{
    Publication p;
    p.topic = Topic::projectBoard(projectId);
    p.type = protocol::MessageType::BoardSnapshot;
    p.payload = BoardModel::snapshotMessage(p.topic, 0, board); // the script appends the seq
    p.access = access;
    const QByteArray model = QJsonDocument(board).toJson(QJsonDocument::Compact);
    const bool sent =
        m_ready && m_commands->command({"EVAL", redisboard::storeSnapshotScript(kLayout), "0",
                                        QByteArray::number(projectId), model, p.serialize()},
                                       [this, done](const redisReply* r) {
                                           if (!r || r->type != REDIS_REPLY_INTEGER) {
                                               ++m_publishFailures;
                                               done(0, u"Redis: "_s + RedisConnection::replyText(r));
                                               return;
                                           }
                                           const qint64 seq = r->integer;
                                           m_replicaWait.confirm(m_commands, [done, seq](const QString& e) {
                                               done(e.isEmpty() ? seq : 0, e);
                                           });
                                       });
    if (!sent)
        done(0, u"Redis at %1 is not connected"_s.arg(where()));
}

void RedisEngine::board(qint64 projectId, std::function<void(std::optional<BoardState>)> reply)
{
    const bool sent =
        commandsUp() &&
        m_commands->command(
            {"HMGET", boardKey(projectId), "model", "seq"}, [this, projectId, reply](const redisReply* r) {
                if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
                    r->element[0]->type != REDIS_REPLY_STRING) {
                    reply(std::nullopt);
                    return;
                }
                BoardState state{
                    projectId, QByteArray(r->element[1]->str, qsizetype(r->element[1]->len)).toLongLong(),
                    BoardModel::fromStored(QByteArray(r->element[0]->str, qsizetype(r->element[0]->len))),
                    std::nullopt};
                projectAccess(projectId, [state, reply](std::optional<ProjectAccess> access) mutable {
                    state.access = std::move(access);
                    reply(state);
                });
            });
    if (!sent)
        reply(std::nullopt);
}

void RedisEngine::boards(std::function<void(QList<BoardState>)> reply)
{
    // Both in one transaction, so a board and its ACL are read as of the same moment.
    const bool queued =
        commandsUp() && m_commands->command({"MULTI"}) &&
        m_commands->command({"HGETALL", boardSummariesKey()}) && m_commands->command({"HGETALL", aclKey()}) &&
        m_commands->command({"EXEC"}, [reply](const redisReply* r) {
            QList<BoardState> all;
            if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
                reply(all);
                return;
            }
            const redisReply* summaries = r->element[0];
            const redisReply* acls = r->element[1];
            QHash<qint64, ProjectAccess> access;
            for (size_t i = 0; i + 1 < acls->elements; i += 2) {
                QString error;
                const auto acl = ProjectAccess::fromJson(
                    QJsonDocument::fromJson(
                        QByteArray(acls->element[i + 1]->str, qsizetype(acls->element[i + 1]->len)))
                        .object(),
                    &error);
                if (acl)
                    access.insert(
                        QByteArray(acls->element[i]->str, qsizetype(acls->element[i]->len)).toLongLong(),
                        *acl);
            }
            for (size_t i = 0; i + 1 < summaries->elements; i += 2) {
                BoardState state;
                state.projectId =
                    QByteArray(summaries->element[i]->str, qsizetype(summaries->element[i]->len))
                        .toLongLong();
                state.board = QJsonDocument::fromJson(QByteArray(summaries->element[i + 1]->str,
                                                                 qsizetype(summaries->element[i + 1]->len)))
                                  .object();
                if (access.contains(state.projectId))
                    state.access = access.value(state.projectId);
                all.append(state);
            }
            reply(all);
        });
    if (!queued) {
        reply({});
        if (commandsUp())
            lost(u"cannot queue commands"_s); // a half-queued MULTI must not swallow other commands
    }
}

void RedisEngine::publishPlain(const QList<Publication>& batch, Done done, bool wroteState)
{
    auto fail = [this, &done](const QString& error) {
        ++m_publishFailures;
        done(error);
    };
    if (!m_ready) {
        fail(u"Redis at %1 is not connected"_s.arg(where()));
        return;
    }
    qsizetype commands = 3;
    for (const Publication& p : batch) {
        commands += p.retain || p.revokeUntilMs > 0 ? 2 : 1;
        wroteState = wroteState || p.retain || p.revokeUntilMs > 0;
    }
    if (m_commands->pendingCount() + commands > kMaxPendingCommands) {
        fail(u"Redis is too slow: %1 commands waiting"_s.arg(m_commands->pendingCount()));
        return;
    }
    // One transaction: Redis applies all of it or, if the connection drops before EXEC, none.
    bool queued = m_commands->command({"MULTI"});
    bool revokes = false;
    for (const Publication& p : batch) {
        if (!queued)
            break;
        if (p.retain)
            queued = m_commands->command({"HSET", retainedKey(p.topic), p.type.toUtf8(), p.payload});
        if (!p.logoutSession.isEmpty() && p.revokeUntilMs > 0) {
            // No GT (Redis 6.2+): the end is now + TTL, so a later logout only ever extends it.
            const QByteArray until = QByteArray::number(p.revokeUntilMs);
            const QByteArray announcement =
                QJsonDocument(QJsonObject{{u"sid"_s, p.logoutSession}, {u"until"_s, double(p.revokeUntilMs)}})
                    .toJson(QJsonDocument::Compact);
            queued = queued && m_commands->command({"ZADD", revokedKey(), until, p.logoutSession.toUtf8()});
            queued = queued && m_commands->command({"PUBLISH", revokedChannel(), announcement});
            revokes = true;
        }
        queued = queued && m_commands->command({"PUBLISH", topicChannel(p.topic), p.serialize()});
    }
    if (revokes) {
        const QByteArray now = QByteArray::number(QDateTime::currentMSecsSinceEpoch());
        queued = queued && m_commands->command({"ZREMRANGEBYSCORE", revokedKey(), "-inf", now});
    }
    queued = queued && m_commands->command({"EXEC"}, [this, done, wroteState](const redisReply* reply) {
        if (reply && reply->type == REDIS_REPLY_ARRAY) {
            // Redis does not roll back a command failing inside EXEC (say, a foreign key of the wrong
            // type); the publisher must at least hear of it.
            for (size_t i = 0; i < reply->elements; ++i) {
                if (reply->element[i]->type == REDIS_REPLY_ERROR) {
                    ++m_publishFailures;
                    qCWarning(lcRedis).noquote()
                        << "publish partly failed:" << logSafe(RedisConnection::replyText(reply->element[i]));
                    done(u"Redis: "_s + RedisConnection::replyText(reply->element[i]));
                    return;
                }
            }
            if (wroteState)
                m_replicaWait.confirm(m_commands, done);
            else
                done({});
            return;
        }
        ++m_publishFailures;
        done(reply && reply->type == REDIS_REPLY_NIL ? u"transaction aborted"_s
                                                     : RedisConnection::replyText(reply));
    });
    if (!queued) {
        // A half-queued MULTI must not swallow other commands: drop the connection.
        fail(u"cannot queue commands to Redis"_s);
        lost(u"cannot queue commands"_s);
    }
}

void RedisEngine::retained(const QString& topic, std::function<void(QList<RetainedMessage>)> reply)
{
    const auto waiting = m_subscribing.find(topic);
    if (waiting != m_subscribing.end()) {
        waiting->append([this, topic, reply] { readRetained(topic, reply); });
        return;
    }
    readRetained(topic, std::move(reply));
}

void RedisEngine::releaseRetainedReads(const QString& topic)
{
    const QList<std::function<void()>> reads = m_subscribing.take(topic);
    for (const auto& read : reads)
        read();
}

void RedisEngine::redeliverRetained()
{
    for (const QString& topic : std::as_const(m_watched))
        m_redelivery.start(topic);
}

void RedisEngine::readRetained(const QString& topic, std::function<void(QList<RetainedMessage>)> reply)
{
    const bool sent =
        commandsUp() &&
        m_commands->command({"HGETALL", retainedKey(topic)}, [reply, topic](const redisReply* r) {
            QList<RetainedMessage> messages;
            if (!r || r->type != REDIS_REPLY_ARRAY) {
                qCWarning(lcRedis).noquote() << "no retained state for" << logSafe(topic) << "-"
                                             << logSafe(RedisConnection::replyText(r));
            } else {
                for (size_t i = 0; i + 1 < r->elements; i += 2)
                    messages.append({QString::fromUtf8(r->element[i]->str, qsizetype(r->element[i]->len)),
                                     QByteArray(r->element[i + 1]->str, qsizetype(r->element[i + 1]->len))});
            }
            std::stable_sort(messages.begin(), messages.end(), RetainedMessage::sendsBefore);
            reply(messages);
        });
    if (!sent) {
        qCWarning(lcRedis).noquote() << "no retained state for" << logSafe(topic)
                                     << "- Redis is not connected";
        reply({});
    }
}

void RedisEngine::projectAccess(qint64 projectId, std::function<void(std::optional<ProjectAccess>)> reply)
{
    const bool sent =
        commandsUp() &&
        m_commands->command(
            {"HGET", aclKey(), QByteArray::number(projectId)}, [reply, projectId](const redisReply* r) {
                if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL)) {
                    // Unknown reads as "no ACL": access is denied rather than granted by accident.
                    qCWarning(lcRedis).noquote()
                        << "no ACL for project" << projectId << "-" << logSafe(RedisConnection::replyText(r));
                    reply(std::nullopt);
                    return;
                }
                if (r->type == REDIS_REPLY_NIL) {
                    reply(std::nullopt);
                    return;
                }
                QString error;
                const QJsonDocument json = QJsonDocument::fromJson(QByteArray(r->str, qsizetype(r->len)));
                std::optional<ProjectAccess> access = ProjectAccess::fromJson(json.object(), &error);
                if (!access)
                    qCWarning(lcRedis).noquote()
                        << "bad ACL of project" << projectId << "in Redis:" << logSafe(error);
                reply(access);
            });
    if (!sent) {
        qCWarning(lcRedis).noquote() << "no ACL for project" << projectId << "- Redis is not connected";
        reply(std::nullopt);
    }
}

void RedisEngine::setProjectAccess(qint64 projectId, const ProjectAccess& access, Done done)
{
    const QByteArray json = QJsonDocument(access.toJson()).toJson(QJsonDocument::Compact);
    const bool sent = m_ready && m_commands->command({"HSET", aclKey(), QByteArray::number(projectId), json},
                                                     [this, done](const redisReply* r) {
                                                         if (r && r->type != REDIS_REPLY_ERROR)
                                                             m_replicaWait.confirm(m_commands, done);
                                                         else
                                                             done(RedisConnection::replyText(r));
                                                     });
    if (!sent)
        done(u"Redis at %1 is not connected"_s.arg(where()));
}

bool RedisEngine::subscribeTopic(const QString& topic)
{
    // The pattern matches every board channel and nothing else: the prefix has no glob character.
    if (topic == Topic::everyBoard())
        return m_subscriber->psubscribe(topicChannel(topic));
    return m_subscriber->subscribe(topicChannel(topic));
}

bool RedisEngine::unsubscribeTopic(const QString& topic)
{
    if (topic == Topic::everyBoard()) {
        m_everyBoardLive = false;
        return m_subscriber->punsubscribe(topicChannel(topic));
    }
    return m_subscriber->unsubscribe(topicChannel(topic));
}

void RedisEngine::watchTopic(const QString& topic)
{
    m_watched.insert(topic);
    // Not connected: onSubscriberConnected() subscribes every watched topic.
    if (m_subscriber && m_subscriber->isConnected()) {
        m_subscribing[topic];
        if (!subscribeTopic(topic))
            lost(u"cannot subscribe"_s);
    }
}

void RedisEngine::unwatchTopic(const QString& topic)
{
    m_watched.remove(topic);
    releaseRetainedReads(topic);
    if (topic == Topic::everyBoard())
        m_everyBoardLive = false;
    if (m_subscriber && m_subscriber->isConnected() && !unsubscribeTopic(topic))
        lost(u"cannot unsubscribe"_s);
}

void RedisEngine::writeMetrics(PrometheusWriter& out) const
{
    out.gauge("forgewire_redis_connected",
              "1 while both Redis connections are up and every watched topic is subscribed.",
              m_ready ? 1 : 0);
    out.counter("forgewire_redis_reconnects_total",
                "Times Redis came back after a loss or a failed start-up attempt.", m_reconnects);
    out.counter("forgewire_redis_publish_failures_total",
                "Publish batches Redis did not take (not connected, too slow, timed out, error).",
                m_publishFailures);
    out.gauge("forgewire_redis_watched_topics", "Topics with local subscribers, each one Redis subscription.",
              m_watched.size());
    const qint64 outageNow = m_outageSince >= 0 ? m_clock.elapsed() - m_outageSince : 0;
    out.counterSeconds("forgewire_redis_unavailable_seconds_total",
                       "Time not ready (no primary, or it could not be reached) since first ready.",
                       m_outageTotalMs + outageNow);
    out.gaugeSeconds("forgewire_redis_last_unavailable_seconds",
                     "Length of the latest time not ready since first ready, or of the one going on.",
                     m_outageSince >= 0 ? outageNow : m_lastOutageMs);
    if (m_locator) {
        // The primary in use, which is not always the one the sentinels name (ROLE refused it).
        m_locator->writeMetrics(
            out, m_ready ? SentinelSettings::Endpoint{m_address.host, m_address.port}.toString() : QString());
        m_replicaWait.writeMetrics(out);
    }
    out.counter("forgewire_redis_malformed_messages_total",
                "Messages on forgewire channels that did not decode.", m_malformed);
    out.counter("forgewire_redis_mismatched_messages_total",
                "Messages dropped because the topic in them differs from the channel they came on.",
                m_mismatched);
}

} // namespace forgewire
