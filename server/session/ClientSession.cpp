#include "session/ClientSession.h"

#include "config/ServerLimits.h"
#include "protocol/Topic.h"

namespace forgewire {

ClientSession::ClientSession(ClientConnection* connection, quint64 serial, QString id, qint64 nowMs)
    : m_connection(connection), m_serial(serial), m_id(std::move(id)), m_createdAtMs(nowMs),
      m_tokens(limits::kClientMessageBurst), m_tokensAtMs(nowMs)
{}

bool ClientSession::tokenGrants(const QString& topic) const
{
    for (const QString& pattern : m_identity.extraTopics) {
        if (Topic::matchesPattern(pattern, topic))
            return true;
    }
    return false;
}

bool ClientSession::mayRead(const QString& topic, const std::optional<ProjectAccess>& access) const
{
    if (!access)
        return true; // not a board publication: topic membership is the whole check
    if (m_identity.isAnonymous()) {
        // A forge session signed in by cookie has no user id: it reads public boards only.
        return !m_identity.forgeSessionTopic.isEmpty() && access->isPublic;
    }
    return access->allows(m_identity.userId) || tokenGrants(topic);
}

bool ClientSession::takeMessageToken(qint64 nowMs)
{
    const double refill = (nowMs - m_tokensAtMs) * limits::kClientMessagesPerSecond / 1000.0;
    m_tokens = qMin<double>(limits::kClientMessageBurst, m_tokens + refill);
    m_tokensAtMs = nowMs;
    if (m_tokens < 1.0)
        return false;
    m_tokens -= 1.0;
    return true;
}

bool ClientSession::hold(HeldFrame frame, qint64 maxBytes)
{
    if (m_heldBytes + frame.frame.size() > maxBytes)
        return false;
    m_heldBytes += frame.frame.size();
    m_held.append(std::move(frame));
    return true;
}

QList<ClientSession::HeldFrame> ClientSession::takeHeld()
{
    m_heldBytes = 0;
    return std::exchange(m_held, {});
}

} // namespace forgewire
