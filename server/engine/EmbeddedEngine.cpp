#include "engine/EmbeddedEngine.h"

#include "config/ServerLogging.h"

#include <QDateTime>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

// Expired revocations are deleted from the state file this often (they are ignored before that).
constexpr int kPruneRevokedIntervalMs = 60 * 60 * 1000;

} // namespace

EmbeddedEngine::EmbeddedEngine(const QString& statePath, QObject* parent) : Engine(parent), m_store(statePath)
{
    m_pruneTimer.setInterval(kPruneRevokedIntervalMs);
    connect(&m_pruneTimer, &QTimer::timeout, this, &EmbeddedEngine::pruneRevoked);
}

void EmbeddedEngine::pruneRevoked()
{
    const QString error = m_store.pruneRevoked(QDateTime::currentMSecsSinceEpoch());
    if (!error.isEmpty())
        qCWarning(lcState).noquote() << error;
}

void EmbeddedEngine::start()
{
    m_startError = m_store.open();
    m_ready = m_startError.isEmpty();
    if (!m_ready) {
        qCCritical(lcState).noquote() << m_startError;
    } else {
        m_pruneTimer.start();
        const QHash<QString, qint64> revoked = m_store.revokedSessions();
        if (!revoked.isEmpty())
            Q_EMIT sessionsRevoked(revoked);
    }
    Q_EMIT readyChanged(m_ready);
}

void EmbeddedEngine::publish(const QList<Publication>& batch, Done done)
{
    if (!m_ready) {
        done(u"state store is not open"_s);
        return;
    }
    const QString error = m_store.storeRetained(batch);
    if (!error.isEmpty()) {
        qCWarning(lcState).noquote() << logSafe(error);
        done(error);
        return;
    }
    QHash<QString, qint64> revoked;
    for (const Publication& p : batch) {
        if (!p.logoutSession.isEmpty() && p.revokeUntilMs > 0)
            revoked.insert(p.logoutSession, std::max(revoked.value(p.logoutSession), p.revokeUntilMs));
    }
    if (!revoked.isEmpty())
        Q_EMIT sessionsRevoked(revoked);
    for (const Publication& p : batch)
        Q_EMIT delivered(p);
    done({});
}

void EmbeddedEngine::retained(const QString& topic, std::function<void(QList<RetainedMessage>)> reply)
{
    reply(m_store.retained(topic));
}

void EmbeddedEngine::projectAccess(qint64 projectId, std::function<void(std::optional<ProjectAccess>)> reply)
{
    reply(m_store.projectAccess(projectId));
}

void EmbeddedEngine::setProjectAccess(qint64 projectId, const ProjectAccess& access, Done done)
{
    done(m_store.storeProjectAccess(projectId, access));
}

} // namespace forgewire
