#include "engine/redis/ClusterSlots.h"

#include <hiredis/hiredis.h>

#include <algorithm>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

// CRC16-CCITT as Redis Cluster uses it (XMODEM: polynomial 0x1021, initial value 0, no reflection).
quint16 crc16(QByteArrayView bytes)
{
    quint16 crc = 0;
    for (const char c : bytes) {
        crc ^= quint16(quint8(c)) << 8;
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc & 0x8000) ? quint16((crc << 1) ^ 0x1021) : quint16(crc << 1);
    }
    return crc;
}

QString text(const redisReply* reply)
{
    return reply && reply->str ? QString::fromUtf8(reply->str, qsizetype(reply->len)) : QString();
}

} // namespace

QByteArrayView ClusterSlots::hashTag(QByteArrayView key)
{
    const qsizetype open = key.indexOf('{');
    if (open < 0)
        return key;
    const qsizetype close = key.sliced(open + 1).indexOf('}');
    if (close <= 0) // no '}', or "{}": the whole key
        return key;
    return key.sliced(open + 1, close);
}

quint16 ClusterSlots::keySlot(QByteArrayView key)
{
    return crc16(hashTag(key)) % kSlotCount;
}

std::optional<ClusterSlots::Redirect> ClusterSlots::parseRedirect(QByteArrayView error)
{
    const QList<QByteArray> parts = error.toByteArray().split(' ');
    if (parts.size() != 3 || (parts[0] != "MOVED" && parts[0] != "ASK"))
        return std::nullopt;
    bool ok = false;
    const int slot = parts[1].toInt(&ok);
    const qsizetype colon = parts[2].lastIndexOf(':');
    if (!ok || slot < 0 || slot >= kSlotCount || colon <= 0)
        return std::nullopt;
    const uint port = parts[2].mid(colon + 1).toUInt(&ok);
    if (!ok || port == 0 || port > 65535)
        return std::nullopt;
    QByteArray host = parts[2].left(colon);
    if (host.startsWith('[') && host.endsWith(']'))
        host = host.mid(1, host.size() - 2);
    return Redirect{parts[0] == "ASK", slot, {QString::fromUtf8(host), quint16(port)}};
}

std::optional<ClusterSlots> ClusterSlots::fromClusterSlots(const redisReply* reply, const QString& askedHost,
                                                           QString* error)
{
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        *error =
            reply && reply->type == REDIS_REPLY_ERROR ? text(reply) : u"CLUSTER SLOTS gave no slot list"_s;
        return std::nullopt;
    }
    ClusterSlots map;
    for (size_t i = 0; i < reply->elements; ++i) {
        // [first, last, [host, port, id, ...], replicas...]
        const redisReply* range = reply->element[i];
        if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 ||
            range->element[0]->type != REDIS_REPLY_INTEGER ||
            range->element[1]->type != REDIS_REPLY_INTEGER || range->element[2]->type != REDIS_REPLY_ARRAY ||
            range->element[2]->elements < 2 || range->element[2]->element[1]->type != REDIS_REPLY_INTEGER) {
            *error = u"CLUSTER SLOTS entry %1 is not [first, last, [host, port, ...], ...]"_s.arg(i);
            return std::nullopt;
        }
        const long long first = range->element[0]->integer;
        const long long last = range->element[1]->integer;
        const long long port = range->element[2]->element[1]->integer;
        if (first < 0 || last < first || last >= kSlotCount || port <= 0 || port > 65535) {
            *error = u"CLUSTER SLOTS entry %1 names slots %2-%3 on port %4"_s.arg(i).arg(first).arg(last).arg(
                port);
            return std::nullopt;
        }
        QString host = text(range->element[2]->element[0]);
        if (host.isEmpty() || host == "?"_L1)
            host = askedHost;
        map.m_ranges.append({int(first), int(last), {host, quint16(port)}});
    }
    std::sort(map.m_ranges.begin(), map.m_ranges.end(),
              [](const Range& a, const Range& b) { return a.first < b.first; });
    for (qsizetype i = 1; i < map.m_ranges.size(); ++i) {
        if (map.m_ranges[i].first <= map.m_ranges[i - 1].last) {
            *error = u"CLUSTER SLOTS ranges overlap at slot %1"_s.arg(map.m_ranges[i].first);
            return std::nullopt;
        }
    }
    return map;
}

std::optional<ClusterSlots::Node> ClusterSlots::primaryFor(int slot) const
{
    const auto it = std::upper_bound(m_ranges.cbegin(), m_ranges.cend(), slot,
                                     [](int s, const Range& range) { return s < range.first; });
    if (it == m_ranges.cbegin())
        return std::nullopt;
    const Range& range = *std::prev(it);
    if (slot > range.last)
        return std::nullopt;
    return range.primary;
}

QList<ClusterSlots::Node> ClusterSlots::primaries() const
{
    QList<Node> nodes;
    for (const Range& range : m_ranges) {
        if (!nodes.contains(range.primary))
            nodes.append(range.primary);
    }
    return nodes;
}

bool ClusterSlots::hasPrimary(const QString& key) const
{
    return std::any_of(m_ranges.cbegin(), m_ranges.cend(),
                       [&](const Range& range) { return range.primary.toString() == key; });
}

bool ClusterSlots::coversEverySlot() const
{
    int next = 0;
    for (const Range& range : m_ranges) {
        if (range.first != next)
            return false;
        next = range.last + 1;
    }
    return next == kSlotCount;
}

} // namespace forgewire
