#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include "engine/redis/RedisAddress.h"

#include <optional>

struct redisReply;

namespace forgewire {

// Redis Cluster's key space and who serves it. A key (or sharded channel) belongs to one of 16,384
// slots: the CRC16 of its hash tag (what stands between its first '{' and the next '}', when that is
// not empty) or else of the whole key, so keys that share a tag share a slot and can be used together
// in one transaction or script. Each slot range is served by one primary.
class ClusterSlots
{
public:
    static constexpr int kSlotCount = 16384;

    using Node = RedisEndpoint;
    struct Range
    {
        int first = 0;
        int last = 0;
        Node primary;
    };
    // A redirection from a node that does not serve a slot: MOVED (the map changed: refresh it) or
    // ASK (the slot is being migrated: send this one command there, after ASKING).
    struct Redirect
    {
        bool ask = false;
        int slot = 0;
        Node node;
    };

    static quint16 keySlot(QByteArrayView key);
    // The part of `key` that is hashed.
    static QByteArrayView hashTag(QByteArrayView key);
    // "MOVED 3999 127.0.0.1:6381" or "ASK 3999 127.0.0.1:6381" (an error reply's text).
    static std::optional<Redirect> parseRedirect(QByteArrayView error);

    // The map in a CLUSTER SLOTS reply. `askedHost` stands in for a node that announces no address
    // (an empty one means "the host you asked"). Nullopt, with `error`, when the reply is not one.
    static std::optional<ClusterSlots> fromClusterSlots(const redisReply* reply, const QString& askedHost,
                                                        QString* error);

    // The primary that serves `slot`; nullopt when no node does (the cluster is not whole).
    std::optional<Node> primaryFor(int slot) const;
    // Every primary, each once, in slot order.
    QList<Node> primaries() const;
    // Whether the node `key` (Node::toString()) is a primary of this map.
    bool hasPrimary(const QString& key) const;
    // Every slot served: a cluster that is not can lose writes to the slots it misses.
    bool coversEverySlot() const;
    const QList<Range>& ranges() const { return m_ranges; }

private:
    QList<Range> m_ranges; // sorted by first slot, not overlapping
};

} // namespace forgewire
