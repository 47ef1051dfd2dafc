#include "ClientSession.h"

#include "ServerLimits.h"
#include "Topic.h"

#include <QWebSocket>

namespace forgewire {

ClientSession::ClientSession(QWebSocket* socket, QString id, qint64 nowMs)
    : m_socket(socket), m_id(std::move(id)), m_createdAtMs(nowMs), m_tokens(limits::kClientMessageBurst),
      m_tokensAtMs(nowMs)
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
    if (m_identity.isAnonymous())
        return false;
    return access->allows(m_identity.userId) || tokenGrants(topic);
}

bool ClientSession::send(const QString& text, qint64 maxQueuedBytes)
{
    if (m_state == State::Closing)
        return true;
    if (m_socket->bytesToWrite() > maxQueuedBytes)
        return false;
    m_socket->sendTextMessage(text);
    return true;
}

void ClientSession::sendMessage(const protocol::ServerMessage& message, qint64 maxQueuedBytes)
{
    send(QString::fromUtf8(protocol::encode(message)), maxQueuedBytes);
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

} // namespace forgewire
