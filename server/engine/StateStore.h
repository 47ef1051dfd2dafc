#pragma once

#include "engine/Engine.h"

#include <QHash>
#include <QSet>
#include <QString>

#include <memory>

struct sqlite3;
struct sqlite3_stmt;

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

    // For StateHealth: a write that changes nothing in size (one row rewritten in place, committed),
    // so a store that cannot write says so before a publish finds out; its SQLite result code
    // (SQLITE_OK when it wrote). Never waits for a lock another process holds.
    int probeWrite();
    // The SQLite result code of the last failed write (SQLITE_OK after a good one).
    int lastWriteCode() const { return m_lastCode; }
    // Opened read-only (the file or its directory was not writable when opened).
    bool isReadOnly() const;
    // Closes the file and opens it again (a file that was read-only may be writable now), with
    // what memory holds unchanged. Returns an error sentence, or empty.
    QString reopen();
    // The state file was deleted under the open database: writes the open database to a new file
    // at the path, then reopens it there, so nothing stored is lost. Returns an error sentence, or empty.
    QString rewriteDeletedFile();
    const QString& path() const { return m_path; }

private:
    // The payload stored for (topic, type), or null when there is none.
    const QByteArray* storedPayload(const QString& topic, const QString& type) const;

    struct StatementDeleter
    {
        void operator()(sqlite3_stmt* statement) const;
    };
    using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

    // Runs a prepared statement that returns no rows; returns SQLite's error sentence, or empty.
    QString run(sqlite3_stmt* statement) const;
    QString storeBoards(const QHash<qint64, std::optional<BoardState>>& boards,
                        const QSet<qint64>& removedAccess);
    QString rollback(const QString& error) const;
    // Opens the file and makes sure its tables exist (without loading them).
    QString openDatabase();
    // Prepares the statements on m_handle (after open() or reopen()).
    QString prepareStatements();
    void closeDatabase();

    QString m_path;
    QString m_connectionName;
    // Every publish batch goes through these, on SQLite's own handle (the Qt driver's): binding
    // through QSqlQuery cost more than SQLite's work on the row (a QVariant and a formatted
    // placeholder name per value). Prepared once in open(): preparing costs as much as a short write.
    sqlite3* m_handle = nullptr;
    Statement m_begin;
    Statement m_commit;
    Statement m_rollback;
    Statement m_upsertRetained;
    // The same for kUpsertChunk rows in one statement: a statement's own cost (step, reset, its
    // journal) was about a third of SQLite's time per row.
    static constexpr int kUpsertChunk = 64;
    Statement m_upsertRetainedChunk;
    Statement m_upsertRevoked;
    Statement m_probe;
    // The Qt SQLite driver's default (QSQLITE_BUSY_TIMEOUT), restored after a probe.
    static constexpr int kBusyTimeoutMs = 5000;
    mutable int m_lastCode = 0;
    QHash<QString, QList<RetainedMessage>> m_retained;
    QHash<qint64, ProjectAccess> m_access;
    QHash<qint64, BoardState> m_boards;
    QHash<QString, qint64> m_revoked;
};

} // namespace forgewire
