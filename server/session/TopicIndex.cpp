#include "session/TopicIndex.h"

#include "metrics/Metrics.h"
#include "protocol/Topic.h"
#include "session/ClientSession.h"

namespace forgewire {

TopicIndex::TopicIndex(Metrics* metrics, RefChanged refChanged)
    : m_metrics(metrics), m_refChanged(std::move(refChanged))
{}

void TopicIndex::add(ClientSession* session, const QString& topic)
{
    if (session->subscriptions().contains(topic))
        return;
    session->subscriptions().append(topic);
    if (m_metrics)
        ++m_metrics->subscriptions(Topic::parse(topic).kind());
    TopicMembers& members = m_members[topic];
    members.insert(session);
    if (members.size() == 1 && m_refChanged)
        m_refChanged(topic, +1);
}

void TopicIndex::remove(ClientSession* session, const QString& topic)
{
    if (!session->subscriptions().removeOne(topic))
        return;
    if (m_metrics)
        --m_metrics->subscriptions(Topic::parse(topic).kind());
    auto it = m_members.find(topic);
    if (it == m_members.end())
        return;
    it->remove(session);
    if (it->isEmpty()) {
        m_members.erase(it);
        if (m_refChanged)
            m_refChanged(topic, -1);
    }
}

void TopicIndex::removeAll(ClientSession* session)
{
    const QList<QString> topics = session->subscriptions();
    for (const QString& topic : topics)
        remove(session, topic);
}

void TopicIndex::removeAllAfterDelivery(ClientSession* session)
{
    if (m_delivering)
        m_removeAfterDelivery.append(session);
    else
        removeAll(session);
}

const TopicMembers* TopicIndex::members(const QString& topic) const
{
    const auto it = m_members.constFind(topic);
    return it == m_members.cend() ? nullptr : &*it;
}

void TopicIndex::endDelivery()
{
    m_delivering = false;
    for (ClientSession* session : std::exchange(m_removeAfterDelivery, {}))
        removeAll(session);
}

} // namespace forgewire
