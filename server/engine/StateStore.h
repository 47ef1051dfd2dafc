#pragma once

#include "engine/Engine.h"

#include <QHash>
#include <QSet>
#include <QString>

#include <memory>

class QSqlQuery;

namespace forgewire {

// The embedded engine's durable state: retained messages, project ACLs, revoked sessions and live
// board models (with their seq) in one SQLite file,
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

    // Live board models (BoardState::access is not set here: the ACL is projectAccess()).
    std::optional<BoardState> board(qint64 projectId) const;
    QList<BoardState> boards() const;

    // Unexpired revoked sessions: `sid` -> end (ms since the epoch).
    QHash<QString, qint64> revokedSessions() const { return m_revoked; }

    // One transaction for the whole batch: all are stored, or none. Stores the revocations of its
    // logouts (revokeUntilMs) too. A retained value already stored (or overwritten later in the same
    // batch) is not written again: the file ends up the same without the writes.
    // In the same transaction: the board models changed by the batch (nullopt: removed) and the
    // ACLs it removed (project.deleted).
    QString storeRetained(const QList<Publication>& batch,
                          const QHash<qint64, std::optional<BoardState>>& boards = {},
                          const QSet<qint64>& removedAccess = {});
    // Deletes the revocations ended by `nowMs`, on disk and in memory.
    QString pruneRevoked(qint64 nowMs);
    QString storeProjectAccess(qint64 projectId, const ProjectAccess& access);

private:
    // The payload stored for (topic, type), or null when there is none.
    const QByteArray* storedPayload(const QString& topic, const QString& type) const;

    QString m_path;
    QString m_connectionName;
    // Prepared once in open() and reused by every batch: preparing costs as much as a short write.
    std::unique_ptr<QSqlQuery> m_upsertRetained;
    std::unique_ptr<QSqlQuery> m_upsertRevoked;
    QHash<QString, QList<RetainedMessage>> m_retained;
    QHash<qint64, ProjectAccess> m_access;
    QHash<qint64, BoardState> m_boards;
    QHash<QString, qint64> m_revoked;
};

} // namespace forgewire
