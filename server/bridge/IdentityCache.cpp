#include "bridge/IdentityCache.h"

#include "config/ServerLimits.h"

#include <QCryptographicHash>

namespace forgewire {

IdentityCache::IdentityCache(const Clock& clock) : m_clock(clock)
{}

QByteArray IdentityCache::keyOf(const QByteArray& token)
{
    return QCryptographicHash::hash(token, QCryptographicHash::Sha256);
}

const IdentityCache::Identity* IdentityCache::fresh(const QByteArray& key) const
{
    const auto it = m_identities.constFind(key);
    if (it == m_identities.cend() || nowMs() - it->verifiedAtMs >= kTtlMs)
        return nullptr;
    return &*it;
}

const IdentityCache::Identity* IdentityCache::fallback(const QByteArray& key) const
{
    const auto it = m_identities.constFind(key);
    if (it == m_identities.cend() || nowMs() - it->verifiedAtMs >= kFallbackMs)
        return nullptr;
    return &*it;
}

const IdentityCache::Refusal* IdentityCache::refusal(const QByteArray& key) const
{
    const auto it = m_refusals.constFind(key);
    if (it == m_refusals.cend() || nowMs() - it->atMs >= limits::kForgeRefusalCacheMs)
        return nullptr;
    return &*it;
}

const IdentityCache::Identity& IdentityCache::remember(const QByteArray& key, qint64 userId,
                                                       const QString& login)
{
    m_refusals.remove(key);
    return *m_identities.insert(key, Identity{userId, login, nowMs()});
}

void IdentityCache::confirm(const QByteArray& key)
{
    const auto it = m_identities.find(key);
    if (it != m_identities.end())
        it->verifiedAtMs = nowMs();
}

void IdentityCache::refuse(const QByteArray& key, const QString& error, const QString& reason)
{
    m_identities.remove(key);
    if (m_refusals.size() >= kMaxRefusals && !m_refusals.contains(key))
        prune();
    if (m_refusals.size() < kMaxRefusals || m_refusals.contains(key))
        m_refusals.insert(key, Refusal{nowMs(), error, reason});
}

void IdentityCache::prune()
{
    const qint64 now = nowMs();
    for (auto it = m_identities.begin(); it != m_identities.end();) {
        if (now - it->verifiedAtMs >= kFallbackMs)
            it = m_identities.erase(it);
        else
            ++it;
    }
    for (auto it = m_refusals.begin(); it != m_refusals.end();) {
        if (now - it->atMs >= limits::kForgeRefusalCacheMs)
            it = m_refusals.erase(it);
        else
            ++it;
    }
}

} // namespace forgewire
