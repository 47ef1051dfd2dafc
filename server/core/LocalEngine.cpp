#include "LocalEngine.h"

#include "ServerLogging.h"

namespace forgewire {

using namespace Qt::StringLiterals;

LocalEngine::LocalEngine(const QString& statePath, QObject* parent) : Engine(parent), m_store(statePath)
{}

void LocalEngine::start()
{
    m_startError = m_store.open();
    m_ready = m_startError.isEmpty();
    if (!m_ready)
        qCCritical(lcState).noquote() << m_startError;
    Q_EMIT readyChanged(m_ready);
}

void LocalEngine::publish(const QList<Publication>& batch, Done done)
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
    for (const Publication& p : batch)
        Q_EMIT delivered(p);
    done({});
}

void LocalEngine::retained(const QString& topic, std::function<void(QList<RetainedMessage>)> reply)
{
    reply(m_store.retained(topic));
}

void LocalEngine::projectAccess(qint64 projectId, std::function<void(std::optional<ProjectAccess>)> reply)
{
    reply(m_store.projectAccess(projectId));
}

void LocalEngine::setProjectAccess(qint64 projectId, const ProjectAccess& access, Done done)
{
    done(m_store.storeProjectAccess(projectId, access));
}

} // namespace forgewire
