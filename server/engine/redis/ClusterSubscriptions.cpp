#include "engine/redis/ClusterSubscriptions.h"

#include "config/ServerLogging.h"
#include "engine/redis/ClusterTopology.h"
#include "engine/redis/ShardedSubscriber.h"

#include <algorithm>

namespace forgewire {

using namespace Qt::StringLiterals;

ClusterSubscriptions::ClusterSubscriptions(ClusterTopology* topology, const QByteArray& user,
                                           const QByteArray& password, int timeoutMs, QObject* parent)
    : QObject(parent), m_topology(topology), m_user(user), m_password(password), m_timeoutMs(timeoutMs)
{
    m_healthTimer.setInterval(kHealthCheckIntervalMs);
    connect(&m_healthTimer, &QTimer::timeout, this, &ClusterSubscriptions::healthCheck);
    connect(m_topology, &ClusterTopology::changed, this, &ClusterSubscriptions::onMapChanged);
}

ClusterSubscriptions::~ClusterSubscriptions()
{
    for (Shard& shard : m_shards)
        delete shard.subscriber; // closes without a signal
}

void ClusterSubscriptions::start()
{
    m_healthTimer.start();
}

bool ClusterSubscriptions::allUp() const
{
    return std::all_of(m_shards.cbegin(), m_shards.cend(), [](const Shard& s) { return s.live; });
}

qsizetype ClusterSubscriptions::shardsDownCount() const
{
    return std::count_if(m_shards.cbegin(), m_shards.cend(), [](const Shard& s) { return !s.live; });
}

QStringList ClusterSubscriptions::shardsDown() const
{
    QStringList down;
    for (auto shard = m_shards.cbegin(); shard != m_shards.cend(); ++shard) {
        if (!shard->live)
            down.append(u"%1 down: %2"_s.arg(m_topology->shardName(shard.key()),
                                             shard->reason.isEmpty() ? u"connecting"_s : shard->reason));
    }
    std::sort(down.begin(), down.end());
    return down;
}

void ClusterSubscriptions::onMapChanged()
{
    QSet<QString> current;
    for (const Node& node : m_topology->map()->primaries()) {
        current.insert(node.toString());
        if (!m_shards.contains(node.toString()))
            addShard(node);
    }
    // Shards no longer primaries: their channels go to whoever serves their slots now.
    QList<QByteArray> orphans;
    for (auto shard = m_shards.begin(); shard != m_shards.end();) {
        if (current.contains(shard.key())) {
            ++shard;
            continue;
        }
        qCInfo(lcRedis).noquote() << shard.key() << "is no longer a primary of the cluster";
        delete shard->subscriber;
        delete shard->retry;
        for (auto placed = m_placed.begin(); placed != m_placed.end();) {
            if (*placed == shard.key()) {
                orphans.append(placed.key());
                m_unplaced.insert(placed.key());
                placed = m_placed.erase(placed);
            } else {
                ++placed;
            }
        }
        shard = m_shards.erase(shard);
    }
    for (const QByteArray& channel : std::as_const(orphans))
        interrupt(channel);
    const QList<QByteArray> wanted(m_wanted.cbegin(), m_wanted.cend());
    for (const QByteArray& channel : wanted)
        place(channel);
    Q_EMIT shardsChanged();
}

void ClusterSubscriptions::addShard(const Node& node)
{
    const QString key = node.toString();
    Shard& shard = m_shards[key];
    shard.node = node;
    shard.subscriber = new ShardedSubscriber(u"shard %1"_s.arg(key), this);
    shard.subscriber->setCredentials(m_user, m_password);
    connect(shard.subscriber, &ShardedSubscriber::connected, this, [this, key] { onShardConnected(key); });
    connect(shard.subscriber, &ShardedSubscriber::disconnected, this,
            [this, key](const QString& reason) { onShardLost(key, reason); });
    connect(shard.subscriber, &ShardedSubscriber::subscribed, this, [this, key](const QByteArray& channel) {
        onSubscribed(key, channel);
        pump(key);
    });
    connect(shard.subscriber, &ShardedSubscriber::message, this, &ClusterSubscriptions::message);
    connect(shard.subscriber, &ShardedSubscriber::pong, this, [this, key] { onPong(key); });
    connect(shard.subscriber, &ShardedSubscriber::unsubscribed, this,
            [this, key](const QByteArray& channel, bool byServer) {
                if (byServer)
                    onMoved(key, channel);
                else
                    pump(key);
            });
    connect(shard.subscriber, &ShardedSubscriber::refused, this,
            [this, key](const QByteArray& channel, const QString& error) {
                qCDebug(lcRedis).noquote()
                    << "SSUBSCRIBE" << logSafe(channel) << "refused:" << logSafe(error);
                onMoved(key, channel);
                pump(key);
            });
    shard.retry = new QTimer(this);
    shard.retry->setSingleShot(true);
    connect(shard.retry, &QTimer::timeout, this, [this, key] {
        if (const auto shard = m_shards.constFind(key); shard != m_shards.cend())
            shard->subscriber->open(shard->node.host, shard->node.port, m_timeoutMs);
    });
    shard.subscriber->open(node.host, node.port, m_timeoutMs);
}

void ClusterSubscriptions::onShardConnected(const QString& key)
{
    Shard& shard = m_shards[key];
    shard.up = true;
    shard.probed = false;
    shard.backlog.clear();
    for (auto placed = m_placed.cbegin(); placed != m_placed.cend(); ++placed) {
        if (*placed != key)
            continue;
        // Published while it was away never reached this node: said so at the confirmation.
        if (shard.wasUp)
            m_resumed.insert(placed.key());
        m_pending.insert(placed.key());
        shard.backlog.emplace_back(placed.key(), true);
    }
    shard.wasUp = true;
    pump(key);
}

void ClusterSubscriptions::subscribeOn(const QString& key, const QByteArray& channel)
{
    m_pending.insert(channel);
    m_shards[key].backlog.emplace_back(channel, true);
    pump(key);
}

void ClusterSubscriptions::unsubscribeFrom(const QString& key, const QByteArray& channel)
{
    const auto shard = m_shards.find(key);
    if (shard == m_shards.end() || !shard->up)
        return; // a connection that is not up holds no subscription
    shard->backlog.emplace_back(channel, false);
    pump(key);
}

void ClusterSubscriptions::pump(const QString& key)
{
    const auto shard = m_shards.find(key);
    if (shard == m_shards.end() || !shard->up)
        return;
    while (!shard->backlog.empty() && shard->subscriber->pendingCount() < kSubscribeWindow) {
        const auto [channel, subscribe] = std::move(shard->backlog.front());
        shard->backlog.pop_front();
        // Decided when sent: a channel may have moved, gone or come back while it waited.
        const bool wantedHere = m_placed.value(channel) == key;
        if (subscribe ? !wantedHere || !m_pending.contains(channel) : wantedHere)
            continue;
        if (!(subscribe ? shard->subscriber->subscribe(channel) : shard->subscriber->unsubscribe(channel))) {
            onShardLost(key, u"cannot send SSUBSCRIBE or SUNSUBSCRIBE"_s);
            return;
        }
    }
    // Answered after every SSUBSCRIBE before it (Redis answers in order): then the shard is live. A
    // server that takes the connection and then refuses it (maxclients, a node still loading) never
    // counts as up.
    if (shard->backlog.empty() && !shard->probed) {
        shard->probed = true;
        if (!shard->subscriber->ping())
            onShardLost(key, u"cannot send PING"_s);
    }
}

void ClusterSubscriptions::onPong(const QString& key)
{
    const auto shard = m_shards.find(key);
    if (shard == m_shards.end() || shard->live || !shard->probed)
        return;
    shard->live = true;
    // The backoff starts over only now: a server that takes connections and drops them keeps it.
    shard->nextDelayMs = kReconnectInitialMs;
    if (!shard->reason.isEmpty())
        qCInfo(lcRedis).noquote() << m_topology->shardName(key) << "is reachable again";
    shard->reason.clear();
    Q_EMIT shardsChanged();
}

void ClusterSubscriptions::onShardLost(const QString& key, const QString& reason)
{
    const auto found = m_shards.find(key);
    if (found == m_shards.end())
        return;
    Shard& shard = *found;
    shard.subscriber->close();
    const int delay = shard.nextDelayMs;
    shard.nextDelayMs = std::min(shard.nextDelayMs * 2, kReconnectMaxMs);
    shard.reason = reason;
    if (shard.live) {
        ++m_losses;
        qCWarning(lcRedis).noquote() << "lost" << m_topology->shardName(key) << "-" << logSafe(reason)
                                     << "- its topics' publishes fail with 503; reconnecting in" << delay
                                     << "ms";
    } else {
        qCDebug(lcRedis).noquote() << "cannot reach" << m_topology->shardName(key) << "-" << logSafe(reason);
    }
    shard.up = false;
    shard.live = false;
    shard.probed = false;
    shard.backlog.clear();
    shard.retry->start(delay);
    QList<QByteArray> lost;
    for (auto placed = m_placed.cbegin(); placed != m_placed.cend(); ++placed) {
        if (*placed == key)
            lost.append(placed.key());
    }
    for (const QByteArray& channel : std::as_const(lost))
        interrupt(channel);
    // A shard that went may have been replaced (a replica promoted): ask for the map.
    m_topology->refresh();
    Q_EMIT shardsChanged();
}

void ClusterSubscriptions::interrupt(const QByteArray& channel)
{
    m_pending.remove(channel);
    m_resumed.insert(channel);
    Q_EMIT interrupted(channel);
}

void ClusterSubscriptions::onSubscribed(const QString& key, const QByteArray& channel)
{
    if (m_placed.value(channel) != key)
        return; // a confirmation from a shard it has since left
    m_pending.remove(channel);
    Q_EMIT subscribed(channel, m_resumed.remove(channel));
}

void ClusterSubscriptions::onMoved(const QString& key, const QByteArray& channel)
{
    if (m_placed.value(channel) != key)
        return;
    m_placed.remove(channel);
    m_unplaced.insert(channel);
    interrupt(channel);
    m_topology->refresh();
}

void ClusterSubscriptions::want(const QByteArray& channel)
{
    if (m_wanted.contains(channel))
        return;
    m_wanted.insert(channel);
    place(channel);
}

void ClusterSubscriptions::unwant(const QByteArray& channel)
{
    m_wanted.remove(channel);
    m_unplaced.remove(channel);
    m_pending.remove(channel);
    m_resumed.remove(channel);
    const QString key = m_placed.take(channel);
    if (!key.isEmpty())
        unsubscribeFrom(key, channel);
}

void ClusterSubscriptions::place(const QByteArray& channel)
{
    const auto& map = m_topology->map();
    const std::optional<Node> primary = map ? map->primaryFor(ClusterSlots::keySlot(channel)) : std::nullopt;
    const QString key = primary ? primary->toString() : QString();
    const auto placed = m_placed.constFind(channel);
    if (placed != m_placed.cend() && *placed == key) {
        m_unplaced.remove(channel);
        return;
    }
    if (placed != m_placed.cend()) {
        // Moving: the old shard stops sending it, and what was published in between is missed.
        ++m_moves;
        const QString from = *placed;
        m_placed.erase(placed);
        unsubscribeFrom(from, channel);
        interrupt(channel);
    }
    const auto to = m_shards.find(key);
    if (to == m_shards.end()) {
        m_unplaced.insert(channel); // no map yet, or it has no primary for the slot
        return;
    }
    m_unplaced.remove(channel);
    m_placed.insert(channel, key);
    if (!to->up) {
        if (to->wasUp)
            m_resumed.insert(channel); // wanted while its shard is away: subscribed when it is back
        return;
    }
    subscribeOn(key, channel);
}

void ClusterSubscriptions::healthCheck()
{
    QStringList failed;
    for (auto shard = m_shards.begin(); shard != m_shards.end(); ++shard) {
        // An unanswered PING fails the connection by itself (ShardedSubscriber's timeout).
        if (shard->live && !shard->subscriber->ping())
            failed.append(shard.key());
    }
    for (const QString& key : std::as_const(failed))
        onShardLost(key, u"cannot send PING"_s);
    const QList<QByteArray> unplaced(m_unplaced.cbegin(), m_unplaced.cend());
    for (const QByteArray& channel : unplaced)
        place(channel);
}

} // namespace forgewire
