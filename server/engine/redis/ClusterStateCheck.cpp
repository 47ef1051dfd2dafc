#include "engine/redis/ClusterStateCheck.h"

#include "config/ServerLogging.h"
#include "engine/redis/ClusterCommands.h"
#include "engine/redis/ClusterTopology.h"
#include "engine/redis/RedisConnection.h"

#include <QPointer>

#include <hiredis/hiredis.h>

#include <algorithm>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

// The value of `field` in CLUSTER INFO's "field:value" lines; empty when it has none.
QByteArray infoField(const QByteArray& info, QByteArrayView field)
{
    for (const QByteArray& line : info.split('\n')) {
        const QByteArray trimmed = line.trimmed();
        if (trimmed.startsWith(field) && trimmed.size() > field.size() && trimmed.at(field.size()) == ':')
            return trimmed.mid(field.size() + 1);
    }
    return {};
}

} // namespace

ClusterStateCheck::ClusterStateCheck(ClusterTopology* topology, ClusterCommands* commands, QObject* parent)
    : QObject(parent), m_topology(topology), m_commands(commands)
{
    m_timer.setInterval(kIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &ClusterStateCheck::checkAll);
    // A primary whose connection went may come back before the next question, restarted and not
    // rejoined yet: what it said before no longer holds, and it is asked as soon as it is back.
    connect(m_commands, &ClusterCommands::primaryDown, this,
            [this](const Node& primary, const QString& reason) { record(primary.toString(), reason); });
    connect(m_commands, &ClusterCommands::primaryUp, this, &ClusterStateCheck::ask);
    connect(m_topology, &ClusterTopology::changed, this, [this] {
        // Primaries gone from the map are forgotten; new ones are not serving until they answer.
        const QStringList known = m_why.keys();
        for (const QString& key : known) {
            if (!m_topology->map()->hasPrimary(key))
                m_why.remove(key);
        }
        Q_EMIT changed();
        checkAll();
    });
}

void ClusterStateCheck::start()
{
    m_timer.start();
    checkAll();
}

bool ClusterStateCheck::allServing() const
{
    return notServingCount() == 0;
}

bool ClusterStateCheck::serves(const QString& key) const
{
    const auto why = m_why.constFind(key);
    return why != m_why.cend() && why->isEmpty();
}

QStringList ClusterStateCheck::notServing() const
{
    QStringList out;
    if (const auto& map = m_topology->map()) {
        for (const Node& primary : map->primaries()) {
            const QString key = primary.toString();
            if (!serves(key))
                out.append(u"%1 not serving: %2"_s.arg(m_topology->shardName(key),
                                                       m_why.value(key, u"not asked yet"_s)));
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

qsizetype ClusterStateCheck::notServingCount() const
{
    const auto& map = m_topology->map();
    if (!map)
        return 0;
    const QList<Node> primaries = map->primaries();
    return std::count_if(primaries.cbegin(), primaries.cend(),
                         [this](const Node& primary) { return !serves(primary.toString()); });
}

void ClusterStateCheck::checkAll()
{
    if (const auto& map = m_topology->map()) {
        for (const Node& primary : map->primaries())
            ask(primary);
    }
}

void ClusterStateCheck::ask(const Node& primary)
{
    const QString key = primary.toString();
    if (m_asking.contains(key))
        return;
    m_asking.insert(key);
    // Guarded: the commands (and their pending handlers) may outlive this check.
    m_commands->commandOn(primary, {"CLUSTER", "INFO"},
                          [self = QPointer(this), key](const redisReply* reply) {
                              if (self)
                                  self->onAnswer(key, reply);
                          });
}

void ClusterStateCheck::onAnswer(const QString& key, const redisReply* reply)
{
    m_asking.remove(key);
    QString why;
    if (!reply) {
        why = u"cannot ask: %1"_s.arg(m_commands->lastError());
    } else if (reply->type == REDIS_REPLY_ERROR) {
        why = RedisConnection::replyText(reply);
    } else if (const QByteArray state = infoField(RedisConnection::replyBytes(reply), "cluster_state");
               state != "ok") {
        why = u"its cluster_state is %1 (a node restarted answers CLUSTERDOWN until it has rejoined)"_s.arg(
            state.isEmpty() ? u"missing"_s : QString::fromLatin1(state.left(32)));
    }
    record(key, why);
}

void ClusterStateCheck::record(const QString& key, const QString& why)
{
    const auto& map = m_topology->map();
    if (!map || !map->hasPrimary(key))
        return; // answered after it left the map
    const bool wasServing = serves(key);
    m_why.insert(key, why);
    if (wasServing == why.isEmpty())
        return;
    if (why.isEmpty())
        qCInfo(lcRedis).noquote() << m_topology->shardName(key) << "serves commands";
    else if (wasServing)
        qCWarning(lcRedis).noquote() << m_topology->shardName(key)
                                     << "does not serve commands:" << logSafe(why);
    Q_EMIT changed();
}

} // namespace forgewire
