#pragma once

#include "session/TopicMembers.h"

#include <QHash>
#include <QList>
#include <QString>

#include <functional>

namespace forgewire {

class ClientSession;
class Metrics;

// One worker's topic -> sessions index, kept in step with each session's subscriptions() and the
// node's subscription gauges. Only a topic's first member and its last leaving are reported (the
// Broker counts workers per topic, not sessions).
class TopicIndex
{
public:
    // `delta` is +1 when `topic` got its first member here, -1 when it lost its last one.
    using RefChanged = std::function<void(const QString& topic, int delta)>;

    // `metrics` may be null (no gauges kept).
    TopicIndex(Metrics* metrics, RefChanged refChanged);

    // Subscribes `session` to `topic`; nothing if it already is.
    void add(ClientSession* session, const QString& topic);
    // Unsubscribes `session` from `topic`; nothing if it is not subscribed.
    void remove(ClientSession* session, const QString& topic);
    // Every subscription of `session`, now.
    void removeAll(ClientSession* session);
    // Every subscription of `session`, but only once the delivery in progress (if any) is over: a
    // session closed while a topic's members are iterated must not edit that member set.
    void removeAllAfterDelivery(ClientSession* session);

    // The sessions subscribed to `topic`; null when none.
    const TopicMembers* members(const QString& topic) const;
    int topicCount() const { return int(m_members.size()); }

    // Brackets the iteration of members(); endDelivery() carries out the deferred removals.
    void beginDelivery() { m_delivering = true; }
    void endDelivery();

private:
    Metrics* m_metrics;
    RefChanged m_refChanged;
    QHash<QString, TopicMembers> m_members;
    bool m_delivering = false;
    QList<ClientSession*> m_removeAfterDelivery;
};

} // namespace forgewire
