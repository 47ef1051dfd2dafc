#include "auth/RevokedSessions.h"

#include <QDateTime>

namespace forgewire {

bool RevokedSessions::contains(const QString& sessionId) const
{
    if (sessionId.isEmpty())
        return false;
    QReadLocker locker(&m_lock);
    const auto it = m_until.constFind(sessionId);
    return it != m_until.cend() && *it > QDateTime::currentMSecsSinceEpoch();
}

void RevokedSessions::add(const QHash<QString, qint64>& revocations)
{
    QWriteLocker locker(&m_lock);
    for (auto it = revocations.cbegin(); it != revocations.cend(); ++it) {
        qint64& until = m_until[it.key()];
        until = std::max(until, it.value());
    }
}

void RevokedSessions::prune(qint64 nowMs)
{
    QWriteLocker locker(&m_lock);
    m_until.removeIf([nowMs](const auto& entry) { return entry.value() <= nowMs; });
}

qsizetype RevokedSessions::size() const
{
    QReadLocker locker(&m_lock);
    return m_until.size();
}

} // namespace forgewire
