#pragma once

#include "engine/Engine.h"

#include <QHash>
#include <QString>

namespace forgewire {

// The embedded engine's durable state: retained messages, project ACLs and revoked sessions in one
// SQLite file,
// mirrored in memory so reads never touch the disk.
class StateStore
{
public:
    explicit StateStore(QString path);
    ~StateStore();
    StateStore(const StateStore&) = delete;
    StateStore& operator=(const StateStore&) = delete;

    // Opens (creating if needed) and loads everything. Returns an error sentence, or empty.
    QString open();

    QList<RetainedMessage> retained(const QString& topic) const;
    std::optional<ProjectAccess> projectAccess(qint64 projectId) const;

    // Unexpired revoked sessions: `sid` -> end (ms since the epoch).
    QHash<QString, qint64> revokedSessions() const { return m_revoked; }

    // One transaction for the whole batch: all are stored, or none. Stores the revocations of its
    // logouts (revokeUntilMs) too.
    QString storeRetained(const QList<Publication>& batch);
    // Deletes the revocations ended by `nowMs`, on disk and in memory.
    QString pruneRevoked(qint64 nowMs);
    QString storeProjectAccess(qint64 projectId, const ProjectAccess& access);

private:
    QString m_path;
    QString m_connectionName;
    QHash<QString, QList<RetainedMessage>> m_retained;
    QHash<qint64, ProjectAccess> m_access;
    QHash<QString, qint64> m_revoked;
};

} // namespace forgewire
