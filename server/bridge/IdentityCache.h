#pragma once

#include "client/Clock.h"

#include <QByteArray>
#include <QHash>
#include <QString>

namespace forgewire {

// What the bridge remembers about forge tokens it has asked the forge about: who a token belongs to
// (verified) and which tokens the forge refused. Keyed by the SHA-256 of the token (keyOf), so the
// cache never holds a token. Time comes from a Clock (monotonic), so a wall-clock step neither
// expires nor revives an entry. Main thread only.
class IdentityCache
{
public:
    // How long a verified token is trusted without asking the forge again. Live connections are
    // re-checked on their own schedule, so this only bounds how stale a new connection's identity is.
    static constexpr qint64 kTtlMs = 5 * 60'000;
    // During an outage (or while checks are backed up) an identity stays usable this long after it
    // was verified: refusing a good token would tell its client (4001) never to retry it.
    static constexpr qint64 kFallbackMs = 2 * kTtlMs;
    // Cached refusals kept at most; past it refusals are not cached (the bridge's global check
    // bounds still hold), so many distinct bad tokens cannot make the cache grow without bound.
    static constexpr int kMaxRefusals = 10'000;

    struct Identity
    {
        qint64 userId = 0;
        QString login;
        qint64 verifiedAtMs = 0;
    };
    struct Refusal
    {
        qint64 atMs = 0;
        QString error;  // for the log
        QString reason; // for the client's close frame
    };

    explicit IdentityCache(const Clock& clock = Clock::system());

    static QByteArray keyOf(const QByteArray& token);

    // Verified less than kTtlMs ago, else null.
    const Identity* fresh(const QByteArray& key) const;
    // Verified less than kFallbackMs ago, else null: for when the forge cannot be asked.
    const Identity* fallback(const QByteArray& key) const;
    // Refused less than limits::kForgeRefusalCacheMs ago, else null.
    const Refusal* refusal(const QByteArray& key) const;

    // The forge accepted the token just now; a refusal of it is forgotten.
    const Identity& remember(const QByteArray& key, qint64 userId, const QString& login);
    // The forge accepted the token again (a poll): its identity counts as verified now.
    void confirm(const QByteArray& key);
    // The forge refused the token: its identity is forgotten and the refusal cached (while there is room).
    void refuse(const QByteArray& key, const QString& error, const QString& reason);
    // Drops what no lookup would return any more.
    void prune();

    int identityCount() const { return int(m_identities.size()); }
    int refusalCount() const { return int(m_refusals.size()); }

private:
    qint64 nowMs() const { return m_clock.now().count(); }

    const Clock& m_clock;
    QHash<QByteArray, Identity> m_identities;
    QHash<QByteArray, Refusal> m_refusals;
};

} // namespace forgewire
