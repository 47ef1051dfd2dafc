#include "engine/redis/ReplicaWait.h"

#include "config/ServerLogging.h"
#include "engine/redis/RedisConnection.h"
#include "metrics/PrometheusWriter.h"

#include <QElapsedTimer>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <utility>

namespace forgewire {

using namespace Qt::StringLiterals;

void ReplicaWait::confirm(RedisConnection* connection, Done done)
{
    if (m_replicas <= 0) {
        done({});
        return;
    }
    if (m_connected == 0) {
        ++m_unprotected;
        done({});
        return;
    }
    if (m_queued.size() >= kMaxQueued) {
        ++m_unconfirmed;
        done(u"Redis has the write, but %1 more wait for replicas to confirm theirs"_s.arg(m_queued.size()));
        return;
    }
    m_queued.append(std::move(done));
    if (!m_inFlight)
        send(connection);
}

void ReplicaWait::setConnectedReplicas(int connected)
{
    if (m_replicas > 0 && connected < m_replicas && connected != m_connected)
        qCWarning(lcRedis).noquote() << "the primary has" << connected << "replicas connected of the"
                                     << m_replicas << "state writes wait for (wait_replicas); waiting for"
                                     << (connected == 0 ? u"none"_s : u"those"_s);
    m_connected = connected;
}

void ReplicaWait::send(RedisConnection* connection)
{
    QList<Done> writes = std::exchange(m_queued, {});
    const int replicas = m_connected < 0 ? m_replicas : std::min(m_replicas, m_connected);
    QElapsedTimer clock;
    clock.start();
    const auto answer = [this, connection, writes, clock, replicas](const redisReply* reply) {
        m_inFlight = false;
        m_lastWaitMs = clock.elapsed();
        if (!reply || reply->type != REDIS_REPLY_INTEGER) {
            // The connection is gone (or WAIT refused): what was queued behind this went through it
            // too, so none of it can be confirmed any more.
            const QString why =
                reply ? QString::fromUtf8(reply->str, qsizetype(reply->len)) : u"connection to Redis lost"_s;
            failAll(writes + std::exchange(m_queued, {}), u"Redis has the write, but it cannot say whether "
                                                          "replicas have it: "_s +
                                                              why);
            return;
        }
        if (reply->integer >= replicas) {
            for (const Done& done : writes)
                done({});
        } else {
            if (m_unconfirmed == 0)
                qCWarning(lcRedis).noquote()
                    << reply->integer << "of" << replicas << "replicas confirmed a write within" << kWaitMs
                    << "ms; state writes get 503 until enough replicas are back (wait_replicas)";
            failAll(writes,
                    u"Redis has the write, but %1 of %2 replicas confirmed it within %3 ms: a failover "
                    "could lose it"_s.arg(reply->integer)
                        .arg(replicas)
                        .arg(kWaitMs));
        }
        if (!m_queued.isEmpty())
            send(connection);
    };
    m_inFlight = true;
    if (!connection->command({"WAIT", QByteArray::number(replicas), QByteArray::number(kWaitMs)}, answer)) {
        m_inFlight = false;
        failAll(writes, u"Redis has the write, but WAIT could not be sent"_s);
    }
}

void ReplicaWait::failAll(QList<Done> writes, const QString& error)
{
    m_unconfirmed += writes.size();
    for (const Done& done : writes)
        done(error);
}

void ReplicaWait::writeMetrics(PrometheusWriter& out) const
{
    out.gauge("forgewire_redis_wait_replicas", "Replicas that must confirm a state write (wait_replicas).",
              m_replicas);
    out.counter("forgewire_redis_unreplicated_writes_total",
                "State writes answered 503 because fewer than wait_replicas replicas confirmed them in time.",
                m_unconfirmed);
    out.counter(
        "forgewire_redis_unprotected_writes_total",
        "State writes acknowledged without a replica to confirm them: none was connected to the primary.",
        m_unprotected);
    out.gaugeSeconds("forgewire_redis_last_wait_seconds",
                     "How long the latest WAIT for replicas took (0 before the first).",
                     std::max<qint64>(m_lastWaitMs, 0));
}

} // namespace forgewire
