#include "engine/redis/RedisClusterEngine.h"

#include "broker/BoardModel.h"
#include "config/ServerLogging.h"
#include "engine/redis/ClusterCommands.h"
#include "engine/redis/ClusterStateCheck.h"
#include "engine/redis/ClusterSubscriptions.h"
#include "engine/redis/ClusterTopology.h"
#include "engine/redis/RedisBoardScripts.h"
#include "engine/redis/RedisConnection.h"
#include "metrics/PrometheusWriter.h"
#include "protocol/Topic.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QTimer>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <memory>
#include <numeric>
#include <utility>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

constexpr auto kLayout = redisboard::Layout::Cluster; // the board scripts' keys are these
constexpr auto kTopicChannelPrefix = "fw:topic:{";
constexpr auto kBoardKeyPrefix = "fw:board:{";
// Node-wide state shares the tag {fw}: one slot, so its script touches one shard.
constexpr auto kRevokedKey = "fw:revoked-sessions:{fw}";
constexpr auto kRevokedChannel = "fw:revoked:{fw}";
constexpr auto kNewBoardChannel = "fw:new-board:{fw}";
// Boards listed per SCAN step of one primary.
constexpr auto kScanCount = "1000";

// KEYS[i]: the retained key of publication i, all in one slot. ARGV, 5 per publication: its
// channel, "1" to retain it, its type, its payload, the serialized publication. The retained write
// and the SPUBLISH happen together or not at all.
constexpr char kPublishScript[] = R"LUA(
for i = 1, #KEYS do
  local b = 5 * (i - 1)
  if ARGV[b + 2] == '1' then redis.call('HSET', KEYS[i], ARGV[b + 3], ARGV[b + 4]) end
  redis.call('SPUBLISH', ARGV[b + 1], ARGV[b + 5])
end
return #KEYS
)LUA";

// The same for several slots of one shard in one script (Redis 7's allow-cross-slot-keys): KEYS[1]
// routes it; ARGV[1] = n, then 6 per publication: its retained key, channel, "1" to retain it, type,
// payload, the serialized publication. Every key is touched before anything is written: one the shard
// no longer serves (its slot moved) fails the script with nothing done.
constexpr char kPublishOnShardScript[] = R"LUA(#!lua flags=allow-cross-slot-keys
local n = tonumber(ARGV[1])
for i = 0, n - 1 do redis.call('EXISTS', ARGV[2 + 6 * i]) end
for i = 0, n - 1 do
  local b = 2 + 6 * i
  if ARGV[b + 2] == '1' then redis.call('HSET', ARGV[b], ARGV[b + 3], ARGV[b + 4]) end
  redis.call('SPUBLISH', ARGV[b + 1], ARGV[b + 5])
end
return n
)LUA";

// KEYS[1]: the revoked sessions. ARGV: the announcement channel, now (ms), then per revocation its
// session, its end and its announcement.
constexpr char kRevokeScript[] = R"LUA(
for i = 3, #ARGV, 3 do
  redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
  redis.call('SPUBLISH', ARGV[1], ARGV[i + 2])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
return 1
)LUA";

// KEYS: a board's hash and its ACL. ARGV: the hash fields wanted. The fields, then the ACL, read
// as of one moment.
constexpr char kReadBoardScript[] = R"LUA(
local v = redis.call('HMGET', KEYS[1], unpack(ARGV))
table.insert(v, redis.call('GET', KEYS[2]))
return v
)LUA";

// Parts of one publish sent in parallel: `done` once, when the last answered, with the first error.
struct Progress
{
    qsizetype left = 0;
    QString error;
    Engine::Done done;

    static std::shared_ptr<Progress> start(qsizetype parts, Engine::Done done)
    {
        return std::make_shared<Progress>(Progress{parts, {}, std::move(done)});
    }
    void answer(const QString& partError)
    {
        if (error.isEmpty())
            error = partError;
        if (--left == 0)
            done(error);
    }
};

constexpr auto bytes = &RedisConnection::replyBytes;

// The topic of a topic channel (fw:topic:{T}); empty for any other channel.
QString topicOf(const QByteArray& channel)
{
    const qsizetype prefix = qsizetype(qstrlen(kTopicChannelPrefix));
    if (!channel.startsWith(kTopicChannelPrefix) || !channel.endsWith('}') || channel.size() <= prefix + 1)
        return {};
    return QString::fromUtf8(channel.mid(prefix, channel.size() - prefix - 1));
}

std::optional<ProjectAccess> accessFrom(const redisReply* reply, qint64 projectId)
{
    if (!reply || reply->type != REDIS_REPLY_STRING)
        return std::nullopt;
    QString error;
    std::optional<ProjectAccess> access =
        ProjectAccess::fromJson(QJsonDocument::fromJson(bytes(reply)).object(), &error);
    if (!access)
        qCWarning(lcRedis).noquote() << "bad ACL of project" << projectId << "in Redis:" << logSafe(error);
    return access;
}

} // namespace

QByteArray RedisClusterEngine::topicChannel(const QString& topic)
{
    return kTopicChannelPrefix + topic.toUtf8() + '}';
}

QByteArray RedisClusterEngine::retainedKey(const QString& topic)
{
    return "fw:retained:{" + topic.toUtf8() + '}';
}

QByteArray RedisClusterEngine::boardKey(qint64 projectId)
{
    return kBoardKeyPrefix + Topic::projectBoard(projectId).toUtf8() + '}';
}

QByteArray RedisClusterEngine::aclKey(qint64 projectId)
{
    return "fw:acl:{" + Topic::projectBoard(projectId).toUtf8() + '}';
}

QByteArray RedisClusterEngine::revokedKey()
{
    return kRevokedKey;
}

QByteArray RedisClusterEngine::revokedChannel()
{
    return kRevokedChannel;
}

QByteArray RedisClusterEngine::newBoardChannel()
{
    return kNewBoardChannel;
}

RedisClusterEngine::RedisClusterEngine(ClusterSettings settings, QObject* parent)
    : Engine(parent), m_settings(std::move(settings)),
      m_topology(new ClusterTopology(m_settings.seeds, m_settings.user.toUtf8(), m_settings.password.toUtf8(),
                                     this)),
      m_commands(new ClusterCommands(m_topology, m_settings.user.toUtf8(), m_settings.password.toUtf8(),
                                     kCommandTimeoutMs, this)),
      m_subscriptions(new ClusterSubscriptions(m_topology, m_settings.user.toUtf8(),
                                               m_settings.password.toUtf8(), kCommandTimeoutMs, this)),
      m_stateCheck(new ClusterStateCheck(m_topology, m_commands, this)),
      m_redelivery(
          this,
          [this](const QString& topic) { return m_watched.contains(topic) || m_everyBoard.contains(topic); },
          [this](const Publication& p) { Q_EMIT delivered(p); })
{
    m_clock.start();
    connect(m_subscriptions, &ClusterSubscriptions::subscribed, this, &RedisClusterEngine::onSubscribed);
    connect(m_subscriptions, &ClusterSubscriptions::interrupted, this, &RedisClusterEngine::onInterrupted);
    connect(m_subscriptions, &ClusterSubscriptions::message, this, &RedisClusterEngine::onMessage);
    connect(m_subscriptions, &ClusterSubscriptions::shardsChanged, this, &RedisClusterEngine::updateReady);
    connect(m_stateCheck, &ClusterStateCheck::changed, this, &RedisClusterEngine::updateReady);
    connect(m_topology, &ClusterTopology::unavailable, this, [this](const QString& reason) {
        qCWarning(lcRedis).noquote() << "no node of" << m_settings.toString()
                                     << "told the cluster map:" << logSafe(reason);
        updateReady();
    });
}

RedisClusterEngine::~RedisClusterEngine()
{
    // Before the sets go: the connections drop their pending handlers unrun (the state check's too).
    delete m_commands;
    delete m_subscriptions;
}

void RedisClusterEngine::start()
{
    qCInfo(lcRedis).noquote() << "connecting to" << m_settings.toString();
    m_subscriptions->want(revokedChannel());
    m_subscriptions->start();
    m_stateCheck->start();
    m_topology->start();
}

Readiness RedisClusterEngine::readiness() const
{
    QString reason;
    const auto& map = m_topology->map();
    if (!map) {
        reason = u"no cluster map: "_s +
                 (m_topology->lastError().isEmpty() ? u"asking the seeds"_s : m_topology->lastError());
    } else if (!map->coversEverySlot()) {
        reason = u"the cluster does not serve every slot"_s;
    } else if (const QStringList down = m_subscriptions->shardsDown(); !down.isEmpty()) {
        reason = down.join(u"; "_s);
    } else if (const QStringList notServing = m_stateCheck->notServing(); !notServing.isEmpty()) {
        reason = notServing.join(u"; "_s);
    } else if (!m_revocationsLoaded) {
        reason = u"loading revoked sessions"_s;
    }
    return {{u"redis"_s, reason}};
}

void RedisClusterEngine::updateReady()
{
    const auto& map = m_topology->map();
    const bool ready = map && map->coversEverySlot() && m_revocationsLoaded && m_subscriptions->allUp() &&
                       m_stateCheck->allServing();
    if (ready == m_ready)
        return;
    m_ready = ready;
    if (ready) {
        if (m_outageSince >= 0) {
            m_outageTotalMs += m_clock.elapsed() - m_outageSince;
            m_outageSince = -1;
        }
        qCInfo(lcRedis).noquote() << u"connected to %1: %2 primaries, %3 topics subscribed"_s
                                         .arg(m_settings.toString())
                                         .arg(m_subscriptions->shardCount())
                                         .arg(m_watched.size());
        m_wasReady = true;
    } else if (m_wasReady) {
        m_outageSince = m_clock.elapsed();
    }
    Q_EMIT readyChanged(ready);
}

void RedisClusterEngine::onSubscribed(const QByteArray& channel, bool resumed)
{
    if (channel == revokedChannel()) {
        // Read only now: a revocation made from here on arrives on the channel, one made before is in
        // the set, so none falls in between.
        loadRevocations();
        return;
    }
    if (channel == newBoardChannel()) {
        followEveryBoard(); // boards made while this was not subscribed
        return;
    }
    const QString topic = topicOf(channel);
    releaseRetainedReads(topic);
    if (m_redeliverOnSubscribe.remove(topic) || resumed)
        m_redelivery.start(topic);
}

void RedisClusterEngine::onInterrupted(const QByteArray& channel)
{
    if (channel == revokedChannel())
        m_revocationsLoaded = false; // read again once back: revocations made meanwhile
    else
        releaseRetainedReads(topicOf(channel));
    updateReady();
}

void RedisClusterEngine::loadRevocations()
{
    const QByteArray now = QByteArray::number(QDateTime::currentMSecsSinceEpoch());
    m_commands->command(
        slotOf(revokedKey()), {"ZRANGEBYSCORE", revokedKey(), "(" + now, "+inf", "WITHSCORES"},
        [this](const redisReply* r) {
            if (!r || r->type != REDIS_REPLY_ARRAY) {
                const QString why = failure(r);
                qCWarning(lcRedis).noquote() << "cannot read revoked sessions:" << logSafe(why);
                // Not ready until they are read: asked again (and at the next confirmation of the
                // subscription, should the shard be down).
                QTimer::singleShot(ClusterSubscriptions::kHealthCheckIntervalMs, this, [this] {
                    if (!m_revocationsLoaded)
                        loadRevocations();
                });
                return;
            }
            QHash<QString, qint64> revoked;
            for (size_t i = 0; i + 1 < r->elements; i += 2)
                revoked.insert(QString::fromUtf8(bytes(r->element[i])),
                               qint64(bytes(r->element[i + 1]).toDouble()));
            if (!revoked.isEmpty())
                Q_EMIT sessionsRevoked(revoked);
            m_revocationsLoaded = true;
            updateReady();
        });
}

void RedisClusterEngine::onMessage(const QByteArray& channel, const QByteArray& payload)
{
    if (channel == revokedChannel()) {
        const QJsonObject o = QJsonDocument::fromJson(payload).object();
        const QString sid = o.value("sid"_L1).toString();
        const qint64 until = qint64(o.value("until"_L1).toDouble());
        if (sid.isEmpty() || until <= 0) {
            if (m_malformed++ == 0)
                qCWarning(lcRedis).noquote() << "dropping malformed message on" << QString::fromUtf8(channel);
            return;
        }
        Q_EMIT sessionsRevoked({{sid, until}});
        return;
    }
    if (channel == newBoardChannel()) {
        const QString topic = QString::fromUtf8(payload);
        if (Topic::parse(topic).kind() != Topic::Kind::ProjectBoard) {
            if (m_malformed++ == 0)
                qCWarning(lcRedis).noquote() << "dropping malformed message on" << QString::fromUtf8(channel);
            return;
        }
        if (followsEveryBoard() && !m_everyBoard.contains(topic)) {
            // Its first snapshot went out before this node listened: sent once subscribed.
            m_everyBoard.insert(topic);
            m_redeliverOnSubscribe.insert(topic);
            m_subscriptions->want(topicChannel(topic));
        }
        return;
    }
    std::optional<Publication> publication = Publication::deserialize(payload);
    const QString topic = topicOf(channel);
    if (!publication || topic.isEmpty()) {
        if (m_malformed++ == 0)
            qCWarning(lcRedis).noquote() << "dropping malformed message on" << logSafe(channel);
        return;
    }
    // The channel is what this node subscribed to; a topic inside the payload is only a claim.
    if (publication->topic != topic) {
        if (m_mismatched++ == 0)
            qCWarning(lcRedis).noquote() << "dropping a message on" << QString::fromUtf8(channel)
                                         << "that claims topic" << publication->topic.left(200);
        return;
    }
    deliverLive(*publication);
}

void RedisClusterEngine::deliverLive(const Publication& publication)
{
    m_redelivery.noteLive(publication);
    Q_EMIT delivered(publication);
    // A deleted board is no longer followed for readers of every board.
    if (publication.endsTopic && m_everyBoard.remove(publication.topic) &&
        !m_watched.contains(publication.topic))
        m_subscriptions->unwant(topicChannel(publication.topic));
}

bool RedisClusterEngine::followsEveryBoard() const
{
    return m_watched.contains(Topic::everyBoard());
}

void RedisClusterEngine::followEveryBoard()
{
    boards([this](const QList<BoardState>& all) {
        if (!followsEveryBoard())
            return;
        for (const BoardState& state : all) {
            const QString topic = Topic::projectBoard(state.projectId);
            if (!m_everyBoard.contains(topic)) {
                m_everyBoard.insert(topic);
                m_subscriptions->want(topicChannel(topic));
            }
        }
    });
}

QString RedisClusterEngine::failure(const redisReply* reply) const
{
    if (reply)
        return RedisConnection::replyText(reply);
    // Never empty: an empty error reads as success to the callers.
    return m_commands->lastError().isEmpty() ? u"no answer from Redis"_s : m_commands->lastError();
}

void RedisClusterEngine::runScript(const QByteArray& script, const QByteArrayList& keys,
                                   const QByteArrayList& args,
                                   std::function<void(const redisReply*, const QString& error)> handler)
{
    QByteArrayList command{"EVAL", script, QByteArray::number(keys.size())};
    command += keys;
    command += args;
    ++m_pendingScripts;
    m_commands->command(slotOf(keys.first()), command, [this, handler](const redisReply* r) {
        --m_pendingScripts;
        if (!r) // the handlers read the reply only when the error is empty
            handler(nullptr, failure(nullptr));
        else if (r->type == REDIS_REPLY_ERROR)
            handler(nullptr, u"Redis: "_s + RedisConnection::replyText(r));
        else
            handler(r, QString());
    });
}

void RedisClusterEngine::publish(const QList<Publication>& batch, Done done)
{
    // Board events go through the board script (per slot: applied to the model, seq, SPUBLISH in
    // one step), the rest once every board part took its events: a conflict rejects what follows.
    QMap<int, QList<Publication>> boardGroups;
    QList<Publication> rest;
    for (const Publication& p : batch) {
        const bool isBoard = p.type == protocol::MessageType::Board &&
                             Topic::parse(p.topic).kind() == Topic::Kind::ProjectBoard;
        if (isBoard)
            boardGroups[slotOf(topicChannel(p.topic))].append(p);
        else
            rest.append(p);
    }
    if (boardGroups.isEmpty()) {
        publishPlain(rest, std::move(done));
        return;
    }
    if (m_pendingScripts + boardGroups.size() > kMaxPendingScripts) {
        ++m_publishFailures;
        done(u"Redis Cluster is too slow: %1 scripts waiting"_s.arg(m_pendingScripts));
        return;
    }
    const auto all = Progress::start(boardGroups.size(), [this, rest, done](const QString& error) {
        if (error.isEmpty())
            publishPlain(rest, done);
        else
            done(error);
    });
    for (const QList<Publication>& group : std::as_const(boardGroups)) {
        QByteArrayList args{QByteArray::number(group.size())};
        for (const Publication& p : group)
            args << QByteArray::number(Topic::parse(p.topic).id()) << p.payload << p.serialize()
                 << (p.endsTopic ? "1" : "0");
        const QByteArray key = boardKey(Topic::parse(group.first().topic).id());
        runScript(redisboard::applyEventsScript(kLayout), {key}, args,
                  [this, all](const redisReply* r, const QString& error) {
                      if (!error.isEmpty()) {
                          ++m_publishFailures;
                          all->answer(error);
                      } else if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
                                 r->element[0]->type != REDIS_REPLY_INTEGER || r->element[0]->integer != 1) {
                          all->answer(conflictError(r->type == REDIS_REPLY_ARRAY && r->elements > 1
                                                        ? RedisConnection::replyText(r->element[1])
                                                        : u"does not fit the board"_s));
                      } else {
                          all->answer({});
                      }
                  });
    }
}

void RedisClusterEngine::publishPlain(const QList<Publication>& batch, Done done)
{
    if (batch.isEmpty()) {
        done({});
        return;
    }
    // Revocations first, and the rest only once they are stored: a session logged out must not be
    // able to sign in again on a node that heard the logout before the revocation.
    QByteArrayList revocations;
    QMap<int, QList<Publication>> slots;
    for (const Publication& p : batch) {
        slots[slotOf(topicChannel(p.topic))].append(p);
        if (!p.logoutSession.isEmpty() && p.revokeUntilMs > 0) {
            const QByteArray announcement =
                QJsonDocument(QJsonObject{{u"sid"_s, p.logoutSession}, {u"until"_s, double(p.revokeUntilMs)}})
                    .toJson(QJsonDocument::Compact);
            revocations << p.logoutSession.toUtf8() << QByteArray::number(p.revokeUntilMs) << announcement;
        }
    }
    // One script per shard rather than per slot: a batch to random users touches a slot per user.
    QMap<QString, QList<QList<Publication>>> shards;
    const auto& map = m_topology->map();
    for (auto slot = slots.cbegin(); slot != slots.cend(); ++slot) {
        const std::optional<Node> primary = map ? map->primaryFor(slot.key()) : std::nullopt;
        shards[primary ? primary->toString() : QString()].append(*slot);
    }
    if (m_pendingScripts + shards.size() + (revocations.isEmpty() ? 0 : 1) > kMaxPendingScripts) {
        ++m_publishFailures;
        done(u"Redis Cluster is too slow: %1 scripts waiting"_s.arg(m_pendingScripts));
        return;
    }
    auto publishShards = [this, shards, done] {
        const auto all = Progress::start(shards.size(), done);
        for (const QList<QList<Publication>>& slotGroups : shards)
            publishOnShard(slotGroups, [all](const QString& error) { all->answer(error); });
    };
    if (revocations.isEmpty()) {
        publishShards();
        return;
    }
    revocations.prepend(QByteArray::number(QDateTime::currentMSecsSinceEpoch()));
    revocations.prepend(revokedChannel());
    runScript(kRevokeScript, {revokedKey()}, revocations,
              [this, done, publishShards](const redisReply*, const QString& error) {
                  if (!error.isEmpty()) {
                      ++m_publishFailures;
                      done(error);
                      return;
                  }
                  publishShards();
              });
}

void RedisClusterEngine::publishOnShard(const QList<QList<Publication>>& slotGroups, Done done)
{
    if (slotGroups.size() == 1) {
        publishOnSlots(slotGroups, std::move(done));
        return;
    }
    QByteArrayList args{QByteArray::number(
        std::accumulate(slotGroups.cbegin(), slotGroups.cend(), qsizetype(0),
                        [](qsizetype n, const QList<Publication>& group) { return n + group.size(); }))};
    for (const QList<Publication>& group : slotGroups) {
        for (const Publication& p : group)
            args << retainedKey(p.topic) << topicChannel(p.topic) << (p.retain ? "1" : "0") << p.type.toUtf8()
                 << p.payload << p.serialize();
    }
    runScript(kPublishOnShardScript, {args.at(1)}, args,
              [this, slotGroups, done](const redisReply*, const QString& error) {
                  if (error.contains("non local key"_L1)) {
                      // A slot moved since the map was read: nothing was written; each slot's own
                      // script follows its MOVED or ASK.
                      m_topology->refresh();
                      publishOnSlots(slotGroups, done);
                      return;
                  }
                  if (!error.isEmpty())
                      ++m_publishFailures;
                  done(error);
              });
}

void RedisClusterEngine::publishOnSlots(const QList<QList<Publication>>& slotGroups, Done done)
{
    const auto all = Progress::start(slotGroups.size(), std::move(done));
    for (const QList<Publication>& group : slotGroups) {
        QByteArrayList keys;
        QByteArrayList args;
        for (const Publication& p : group) {
            keys << retainedKey(p.topic);
            args << topicChannel(p.topic) << (p.retain ? "1" : "0") << p.type.toUtf8() << p.payload
                 << p.serialize();
        }
        runScript(kPublishScript, keys, args, [this, all](const redisReply*, const QString& error) {
            if (!error.isEmpty())
                ++m_publishFailures;
            all->answer(error);
        });
    }
}

void RedisClusterEngine::retained(const QString& topic, std::function<void(QList<RetainedMessage>)> reply)
{
    // A read answered before the subscription is live could miss a publish that lands in between.
    if (m_subscriptions->isPending(topicChannel(topic))) {
        m_subscribing[topic].append([this, topic, reply] { readRetained(topic, reply); });
        return;
    }
    readRetained(topic, std::move(reply));
}

void RedisClusterEngine::releaseRetainedReads(const QString& topic)
{
    const QList<std::function<void()>> reads = m_subscribing.take(topic);
    for (const auto& read : reads)
        read();
}

void RedisClusterEngine::readRetained(const QString& topic, std::function<void(QList<RetainedMessage>)> reply)
{
    const QByteArray key = retainedKey(topic);
    m_commands->command(slotOf(key), {"HGETALL", key}, [this, reply, topic](const redisReply* r) {
        QList<RetainedMessage> messages;
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            qCWarning(lcRedis).noquote()
                << "no retained state for" << logSafe(topic) << "-" << logSafe(failure(r));
        } else {
            for (size_t i = 0; i + 1 < r->elements; i += 2)
                messages.append({QString::fromUtf8(bytes(r->element[i])), bytes(r->element[i + 1])});
        }
        std::stable_sort(messages.begin(), messages.end(), RetainedMessage::sendsBefore);
        reply(messages);
    });
}

void RedisClusterEngine::projectAccess(qint64 projectId,
                                       std::function<void(std::optional<ProjectAccess>)> reply)
{
    const QByteArray key = aclKey(projectId);
    m_commands->command(slotOf(key), {"GET", key}, [this, reply, projectId](const redisReply* r) {
        if (!r || r->type == REDIS_REPLY_ERROR) {
            // Unknown reads as "no ACL": access is denied rather than granted by accident.
            qCWarning(lcRedis).noquote() << "no ACL for project" << projectId << "-" << logSafe(failure(r));
            reply(std::nullopt);
            return;
        }
        reply(accessFrom(r, projectId));
    });
}

void RedisClusterEngine::setProjectAccess(qint64 projectId, const ProjectAccess& access, Done done)
{
    const QByteArray key = aclKey(projectId);
    const QByteArray json = QJsonDocument(access.toJson()).toJson(QJsonDocument::Compact);
    m_commands->command(slotOf(key), {"SET", key, json}, [this, done](const redisReply* r) {
        if (r && r->type != REDIS_REPLY_ERROR)
            done({});
        else
            done(failure(r));
    });
}

void RedisClusterEngine::storeBoard(qint64 projectId, const QJsonObject& board, const ProjectAccess& access,
                                    StoreBoardDone done)
{
    Publication p;
    p.topic = Topic::projectBoard(projectId);
    p.type = protocol::MessageType::BoardSnapshot;
    p.payload = BoardModel::snapshotMessage(p.topic, 0, board); // the script appends the seq
    p.access = access;
    const QByteArray model = QJsonDocument(board).toJson(QJsonDocument::Compact);
    const QString topic = p.topic;
    runScript(redisboard::storeSnapshotScript(kLayout), {boardKey(projectId)},
              {QByteArray::number(projectId), model, p.serialize()},
              [this, done, topic](const redisReply* r, const QString& error) {
                  if (!error.isEmpty() || r->type != REDIS_REPLY_INTEGER) {
                      ++m_publishFailures;
                      done(0, error.isEmpty() ? u"Redis: "_s + RedisConnection::replyText(r) : error);
                      return;
                  }
                  // Nodes with readers of every board start following it (they follow the boards
                  // they listed, and listen here for new ones).
                  m_commands->command(
                      slotOf(newBoardChannel()), {"SPUBLISH", newBoardChannel(), topic.toUtf8()},
                      [topic](const redisReply* r) {
                          if (!r || r->type == REDIS_REPLY_ERROR)
                              qCWarning(lcRedis).noquote() << "cannot announce the new board" << topic;
                      });
                  done(r->integer, {});
              });
}

void RedisClusterEngine::board(qint64 projectId, std::function<void(std::optional<BoardState>)> reply)
{
    runScript(kReadBoardScript, {boardKey(projectId), aclKey(projectId)}, {"model", "seq"},
              [reply, projectId](const redisReply* r, const QString& error) {
                  if (!error.isEmpty() || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
                      r->element[0]->type != REDIS_REPLY_STRING) {
                      if (!error.isEmpty())
                          qCWarning(lcRedis).noquote()
                              << "cannot read the board of project" << projectId << "-" << logSafe(error);
                      reply(std::nullopt);
                      return;
                  }
                  BoardState state;
                  state.projectId = projectId;
                  state.board = QJsonDocument::fromJson(bytes(r->element[0])).object();
                  state.seq = bytes(r->element[1]).toLongLong();
                  state.access = accessFrom(r->element[2], projectId);
                  reply(state);
              });
}

void RedisClusterEngine::boards(std::function<void(QList<BoardState>)> reply)
{
    const auto& map = m_topology->map();
    if (!map) {
        reply({});
        return;
    }
    // One SCAN walk per primary (any slot it serves routes there), each board read as it is found;
    // the answer once every walk and read is done.
    struct Gathering
    {
        int pending = 1;
        QList<BoardState> all;
        std::function<void(QList<BoardState>)> reply;
        std::function<void(int slot, const QByteArray& cursor)> scan;
    };
    using Shared = std::shared_ptr<Gathering>;
    const auto finished = [](const Shared& gathering) {
        if (--gathering->pending > 0)
            return;
        std::sort(gathering->all.begin(), gathering->all.end(),
                  [](const BoardState& a, const BoardState& b) { return a.projectId < b.projectId; });
        gathering->reply(gathering->all);
    };
    const QByteArray boardPrefix = boardKey(0).chopped(2); // fw:board:{project-board.
    const auto readBoard = [this, finished, boardPrefix](const Shared& gathering, const QByteArray& key) {
        const qint64 id = key.mid(boardPrefix.size(), key.size() - boardPrefix.size() - 1).toLongLong();
        if (!key.startsWith(boardPrefix) || id <= 0)
            return;
        ++gathering->pending;
        runScript(kReadBoardScript, {key, aclKey(id)}, {"summary"},
                  [gathering, finished, id](const redisReply* r, const QString& error) {
                      if (error.isEmpty() && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
                          r->element[0]->type == REDIS_REPLY_STRING) {
                          BoardState state;
                          state.projectId = id;
                          state.board = QJsonDocument::fromJson(bytes(r->element[0])).object();
                          state.access = accessFrom(r->element[1], id);
                          gathering->all.append(state);
                      }
                      finished(gathering);
                  });
    };
    auto gathering = std::make_shared<Gathering>();
    gathering->reply = std::move(reply);
    // The walk holds its gathering weakly (the gathering holds the walk); each page in flight holds
    // it strongly.
    gathering->scan = [this, weak = std::weak_ptr<Gathering>(gathering), finished, readBoard,
                       pattern = boardPrefix + "*}"](int slot, const QByteArray& cursor) {
        const Shared gathering = weak.lock();
        if (!gathering)
            return;
        m_commands->command(slot, {"SCAN", cursor, "MATCH", pattern, "COUNT", kScanCount},
                            [this, gathering, finished, readBoard, slot](const redisReply* r) {
                                if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
                                    qCWarning(lcRedis).noquote() << "cannot list the boards of slot" << slot
                                                                 << "-" << logSafe(failure(r));
                                    finished(gathering);
                                    return;
                                }
                                for (size_t i = 0; i < r->element[1]->elements; ++i)
                                    readBoard(gathering, bytes(r->element[1]->element[i]));
                                const QByteArray next = bytes(r->element[0]);
                                if (next == "0")
                                    finished(gathering);
                                else
                                    gathering->scan(slot, next);
                            });
    };
    QSet<QString> seen;
    for (const ClusterSlots::Range& range : map->ranges()) {
        if (seen.contains(range.primary.toString()))
            continue;
        seen.insert(range.primary.toString());
        ++gathering->pending;
        gathering->scan(range.first, "0");
    }
    finished(gathering);
}

void RedisClusterEngine::watchTopic(const QString& topic)
{
    m_watched.insert(topic);
    if (topic == Topic::everyBoard()) {
        m_subscriptions->want(newBoardChannel()); // its confirmation lists the boards
        return;
    }
    m_subscriptions->want(topicChannel(topic));
}

void RedisClusterEngine::unwatchTopic(const QString& topic)
{
    m_watched.remove(topic);
    releaseRetainedReads(topic);
    if (topic == Topic::everyBoard()) {
        m_subscriptions->unwant(newBoardChannel());
        for (const QString& board : std::as_const(m_everyBoard)) {
            if (!m_watched.contains(board))
                m_subscriptions->unwant(topicChannel(board));
        }
        m_everyBoard.clear();
        return;
    }
    if (!m_everyBoard.contains(topic))
        m_subscriptions->unwant(topicChannel(topic));
}

void RedisClusterEngine::writeMetrics(PrometheusWriter& out) const
{
    out.gauge("forgewire_redis_connected",
              "1 while every primary of the cluster is connected and its topics are subscribed.",
              m_ready ? 1 : 0);
    out.counter("forgewire_redis_publish_failures_total",
                "Publish batches Redis did not take (not connected, too slow, timed out, error).",
                m_publishFailures);
    out.gauge("forgewire_redis_watched_topics", "Topics with local subscribers, each one Redis subscription.",
              m_watched.size());
    const qint64 outageNow = m_outageSince >= 0 ? m_clock.elapsed() - m_outageSince : 0;
    out.counterSeconds("forgewire_redis_unavailable_seconds_total",
                       "Time not ready (a shard or the map missing) since first ready.",
                       m_outageTotalMs + outageNow);
    out.gauge("forgewire_redis_cluster_primaries", "Primaries in the cluster map, each one shard.",
              m_subscriptions->shardCount());
    out.gauge("forgewire_redis_cluster_primaries_down", "Primaries whose subscriber connection is down.",
              m_subscriptions->shardsDownCount());
    out.gauge("forgewire_redis_cluster_primaries_not_serving",
              "Primaries whose last CLUSTER INFO did not say cluster_state:ok (or did not answer).",
              m_stateCheck->notServingCount());
    out.counter("forgewire_redis_cluster_shard_losses_total", "Times a connected shard was lost.",
                m_subscriptions->losses());
    out.counter("forgewire_redis_cluster_redirects_total", "MOVED and ASK answers followed.",
                m_commands->redirects());
    out.counter("forgewire_redis_cluster_map_refreshes_total", "Cluster maps learnt (CLUSTER SLOTS).",
                m_topology->refreshes());
    out.counter("forgewire_redis_cluster_subscription_moves_total",
                "Subscriptions moved to another shard (the slot changed hands).", m_subscriptions->moves());
    out.counter("forgewire_redis_malformed_messages_total",
                "Messages on forgewire channels that did not decode.", m_malformed);
    out.counter("forgewire_redis_mismatched_messages_total",
                "Messages dropped because the topic in them differs from the channel they came on.",
                m_mismatched);
}

} // namespace forgewire
