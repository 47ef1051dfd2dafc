#include "engine/redis/ClusterCommands.h"

#include "config/ServerLogging.h"
#include "engine/redis/ClusterTopology.h"

#include <hiredis/hiredis.h>

#include <utility>

namespace forgewire {

using namespace Qt::StringLiterals;

ClusterCommands::ClusterCommands(ClusterTopology* topology, const QByteArray& user,
                                 const QByteArray& password, int timeoutMs, QObject* parent)
    : QObject(parent), m_topology(topology), m_user(user), m_password(password), m_timeoutMs(timeoutMs)
{
    connect(m_topology, &ClusterTopology::changed, this, &ClusterCommands::onMapChanged);
}

ClusterCommands::~ClusterCommands()
{
    // Before anything else goes: the connections drop their pending handlers unrun.
    for (Link& link : m_links)
        delete link.connection;
}

bool ClusterCommands::isUp(const Node& primary) const
{
    const auto link = m_links.constFind(primary.toString());
    return link != m_links.cend() && link->connection->isConnected();
}

ClusterCommands::Link& ClusterCommands::linkTo(const Node& node)
{
    const QString key = node.toString();
    auto link = m_links.find(key);
    if (link != m_links.end())
        return *link;
    auto* connection = new RedisConnection(u"cluster %1"_s.arg(key), this);
    connection->setCredentials(m_user, m_password);
    connect(connection, &RedisConnection::connected, this, [this, node, key] {
        const auto up = m_links.find(key);
        if (up == m_links.end())
            return;
        RedisConnection* connection = up->connection;
        const auto waiting = std::exchange(up->waiting, {});
        Q_EMIT primaryUp(node);
        for (const auto& run : waiting)
            run(connection);
    });
    connect(connection, &RedisConnection::disconnected, this, [this, node, key](const QString& reason) {
        m_lastError = u"%1: %2"_s.arg(key, reason);
        drop(key, reason);
        Q_EMIT primaryDown(node, reason);
    });
    link = m_links.insert(key, Link{connection, {}});
    connection->open(node.host, node.port, 0, m_timeoutMs); // reports only from the event loop
    return *link;
}

void ClusterCommands::withConnection(const Node& node, std::function<void(RedisConnection*)> run)
{
    Link& link = linkTo(node);
    if (link.connection->isConnected()) {
        run(link.connection);
        return;
    }
    if (link.waiting.size() >= kMaxWaitingPerPrimary) {
        m_lastError =
            u"%1: %2 commands wait for the connection"_s.arg(node.toString()).arg(link.waiting.size());
        run(nullptr);
        return;
    }
    link.waiting.append(std::move(run));
}

void ClusterCommands::drop(const QString& key, const QString& reason)
{
    Link link = m_links.take(key);
    if (!link.connection)
        return;
    link.connection->discard(); // its pending commands get nullptr
    qCDebug(lcRedis).noquote() << "cluster connection to" << key << "dropped:" << logSafe(reason);
    for (const auto& run : std::as_const(link.waiting))
        run(nullptr);
}

void ClusterCommands::command(int slot, const QByteArrayList& args, ReplyHandler handler)
{
    const std::optional<ClusterSlots>& map = m_topology->map();
    const std::optional<Node> primary = map ? map->primaryFor(slot) : std::nullopt;
    if (!primary) {
        fail(handler, map ? u"no primary serves slot %1"_s.arg(slot) : u"no cluster map yet"_s);
        return;
    }
    send(*primary, slot, args, std::move(handler), 0, false);
}

void ClusterCommands::commandOn(const Node& node, const QByteArrayList& args, ReplyHandler handler)
{
    withConnection(node, [this, node, args, handler](RedisConnection* connection) mutable {
        if (!connection)
            fail(handler, u"cannot reach %1 (%2)"_s.arg(node.toString(), m_lastError));
        else if (!connection->command(args, handler))
            fail(handler, u"%1 cannot take a command"_s.arg(node.toString()));
    });
}

void ClusterCommands::fail(ReplyHandler& handler, const QString& error)
{
    m_lastError = error;
    handler(nullptr);
}

void ClusterCommands::send(const Node& node, int slot, const QByteArrayList& args, ReplyHandler handler,
                           int redirects, bool asking)
{
    withConnection(node, [this, node, slot, args, handler, redirects,
                          asking](RedisConnection* connection) mutable {
        if (!connection) {
            fail(handler, u"slot %1: cannot reach %2 (%3)"_s.arg(slot).arg(node.toString(), m_lastError));
            return;
        }
        const auto answer = [this, node, slot, args, handler, redirects](const redisReply* reply) mutable {
            const auto redirect =
                reply && reply->type == REDIS_REPLY_ERROR
                    ? ClusterSlots::parseRedirect(QByteArrayView(reply->str, qsizetype(reply->len)))
                    : std::nullopt;
            if (!redirect) {
                if (!reply)
                    m_lastError = u"slot %1: connection to %2 lost"_s.arg(slot).arg(node.toString());
                handler(reply);
                return;
            }
            ++m_redirects;
            if (!redirect->ask)
                m_topology->refresh(); // MOVED: the map changed
            if (redirects >= kMaxRedirects) {
                fail(handler, u"slot %1: more than %2 redirections"_s.arg(slot).arg(kMaxRedirects));
                return;
            }
            send(redirect->node, slot, args, std::move(handler), redirects + 1, redirect->ask);
        };
        // ASKING holds for the one command after it on the same connection: the two go back to back.
        const bool sent = (!asking || connection->command({"ASKING"})) && connection->command(args, answer);
        if (!sent)
            fail(handler, u"slot %1: %2 cannot take a command"_s.arg(slot).arg(node.toString()));
    });
}

void ClusterCommands::onMapChanged()
{
    // Connections to nodes that are no longer primaries go (their commands fail); new primaries are
    // connected to at once, so their first commands do not wait for the handshake.
    const ClusterSlots& map = *m_topology->map();
    const QStringList keys = m_links.keys();
    for (const QString& key : keys) {
        if (!map.hasPrimary(key))
            drop(key, u"no longer a primary"_s);
    }
    for (const Node& primary : map.primaries())
        linkTo(primary);
}

} // namespace forgewire
