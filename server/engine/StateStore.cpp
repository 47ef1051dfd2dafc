#include "engine/StateStore.h"

#include "broker/BoardModel.h"
#include "config/ServerLogging.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>

#include <sqlite3.h>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

void insertRetained(QList<RetainedMessage>& list, const RetainedMessage& message)
{
    for (RetainedMessage& existing : list) {
        if (existing.type == message.type) {
            existing.payload = message.payload;
            return;
        }
    }
    auto it = list.begin();
    while (it != list.end() && !RetainedMessage::sendsBefore(message, *it))
        ++it;
    list.insert(it, message);
}

// A QString bound without a copy: SQLite converts UTF-16 to the file's encoding itself, as the Qt
// driver does. The string outlives the statement's step (SQLITE_STATIC).
int bindText(sqlite3_stmt* statement, int index, const QString& text)
{
    return sqlite3_bind_text16(statement, index, text.utf16(), int(text.size() * sizeof(char16_t)),
                               SQLITE_STATIC);
}

sqlite3* handleOf(const QSqlDatabase& db)
{
    const QVariant handle = db.driver()->handle();
    if (!handle.isValid() || qstrcmp(handle.typeName(), "sqlite3*") != 0)
        return nullptr;
    return *static_cast<sqlite3* const*>(handle.constData());
}

} // namespace

void StateStore::StatementDeleter::operator()(sqlite3_stmt* statement) const
{
    sqlite3_finalize(statement);
}

QString StateStore::run(sqlite3_stmt* statement) const
{
    const int rc = sqlite3_step(statement);
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
        if (statement == m_commit.get())
            m_lastCode = SQLITE_OK;
        return {};
    }
    m_lastCode = rc;
    return QString::fromUtf8(sqlite3_errmsg(m_handle));
}

QString StateStore::rollback(const QString& error) const
{
    // Fails only when SQLite already rolled back by itself (e.g. after SQLITE_FULL): nothing to do,
    // and the write's own failure is the one to report.
    const int code = m_lastCode;
    (void)run(m_rollback.get());
    m_lastCode = code;
    return error;
}

StateStore::StateStore(QString path)
    : m_path(std::move(path)),
      m_connectionName(u"forgewire-state-"_s + QUuid::createUuid().toString(QUuid::WithoutBraces))
{}

StateStore::~StateStore()
{
    closeDatabase();
}

void StateStore::closeDatabase()
{
    // Statements before their database: SQLite cannot close a connection with live statements.
    m_begin.reset();
    m_commit.reset();
    m_rollback.reset();
    m_upsertRetained.reset();
    m_upsertRetainedChunk.reset();
    m_upsertRevoked.reset();
    m_probe.reset();
    m_handle = nullptr;
    if (QSqlDatabase::contains(m_connectionName)) {
        QSqlDatabase::database(m_connectionName).close();
        QSqlDatabase::removeDatabase(m_connectionName);
    }
}

QString StateStore::openDatabase()
{
    if (m_path != ":memory:"_L1) {
        const QFileInfo info(m_path);
        if (!QDir().mkpath(info.absolutePath()))
            return u"cannot create the state directory '%1'"_s.arg(info.absolutePath());
    }
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_connectionName);
    db.setDatabaseName(m_path);
    if (!db.open())
        return u"cannot open state file '%1': %2"_s.arg(m_path, db.lastError().text());
    QSqlQuery q(db);
    for (
        const QString& statement :
        {u"PRAGMA journal_mode=WAL"_s, u"PRAGMA synchronous=NORMAL"_s, u"PRAGMA temp_store=MEMORY"_s,
         u"CREATE TABLE IF NOT EXISTS retained (topic TEXT NOT NULL, type TEXT NOT NULL, "
         "payload BLOB NOT NULL, PRIMARY KEY (topic, type))"_s,
         u"CREATE TABLE IF NOT EXISTS project_access (project_id INTEGER PRIMARY KEY, acl TEXT NOT NULL)"_s,
         u"CREATE TABLE IF NOT EXISTS revoked_sessions (sid TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)"_s,
         u"CREATE TABLE IF NOT EXISTS boards (project_id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, "
         "model BLOB NOT NULL)"_s}) {
        if (!q.exec(statement))
            return u"cannot prepare state file '%1': %2"_s.arg(m_path, q.lastError().text());
    }
    // The probe's row (see probeWrite()); a read-only file may lack it, which the probe then reports.
    if (q.exec(u"CREATE TABLE IF NOT EXISTS health (id INTEGER PRIMARY KEY, beat INTEGER NOT NULL)"_s))
        q.exec(u"INSERT OR IGNORE INTO health (id, beat) VALUES (1, 0)"_s);
    return {};
}

QString StateStore::open()
{
    if (const QString error = openDatabase(); !error.isEmpty())
        return error;
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    if (!q.exec(u"SELECT topic, type, payload FROM retained"_s))
        return u"cannot read retained state: %1"_s.arg(q.lastError().text());
    while (q.next())
        insertRetained(m_retained[q.value(0).toString()], {q.value(1).toString(), q.value(2).toByteArray()});
    if (!q.exec(u"SELECT project_id, acl FROM project_access"_s))
        return u"cannot read project ACLs: %1"_s.arg(q.lastError().text());
    while (q.next()) {
        QString error;
        const auto access =
            ProjectAccess::fromJson(QJsonDocument::fromJson(q.value(1).toByteArray()).object(), &error);
        if (access)
            m_access.insert(q.value(0).toLongLong(), *access);
        else
            qCWarning(lcState) << "ignoring a corrupt ACL of project" << q.value(0).toLongLong() << error;
    }
    if (!q.exec(u"SELECT project_id, seq, model FROM boards"_s))
        return u"cannot read board models: %1"_s.arg(q.lastError().text());
    while (q.next()) {
        const qint64 id = q.value(0).toLongLong();
        m_boards.insert(id, BoardState{id, q.value(1).toLongLong(),
                                       BoardModel::fromStored(q.value(2).toByteArray()), std::nullopt});
    }
    if (const QString error = pruneRevoked(QDateTime::currentMSecsSinceEpoch()); !error.isEmpty()) {
        // A file that cannot be written is still read, and served: /readyz says what is wrong.
        sqlite3* handle = handleOf(QSqlDatabase::database(m_connectionName));
        if (!handle || sqlite3_db_readonly(handle, "main") != 1)
            return error;
        qCWarning(lcState).noquote() << "the state file" << m_path << "is read-only:" << error;
    }
    if (!q.exec(u"SELECT sid, expires_at FROM revoked_sessions"_s))
        return u"cannot read revoked sessions: %1"_s.arg(q.lastError().text());
    while (q.next())
        m_revoked.insert(q.value(0).toString(), q.value(1).toLongLong());
    if (const QString error = prepareStatements(); !error.isEmpty())
        return error;
    qCInfo(lcState).noquote() << "state" << m_path << "loaded:" << m_retained.size()
                              << "topics with retained state," << m_access.size() << "project ACLs,"
                              << m_revoked.size() << "revoked sessions," << m_boards.size() << "board models";
    return {};
}

QString StateStore::prepareStatements()
{
    m_handle = handleOf(QSqlDatabase::database(m_connectionName));
    if (!m_handle)
        return u"cannot prepare state file '%1': the SQLite driver gives no handle"_s.arg(m_path);
    const auto prepare = [this](Statement& statement, const char* sql) {
        sqlite3_stmt* prepared = nullptr;
        const int rc = sqlite3_prepare_v3(m_handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &prepared, nullptr);
        statement.reset(prepared);
        return rc == SQLITE_OK ? QString()
                               : u"cannot prepare state file '%1': %2"_s.arg(
                                     m_path, QString::fromUtf8(sqlite3_errmsg(m_handle)));
    };
    // An upsert updates the row in place; INSERT OR REPLACE would delete it and insert a new one,
    // rewriting the primary-key index too.
    const auto upsertRetained = [](int rows) {
        QByteArray sql = "INSERT INTO retained (topic, type, payload) VALUES (?, ?, ?)";
        for (int i = 1; i < rows; ++i)
            sql += ", (?, ?, ?)";
        return sql + " ON CONFLICT (topic, type) DO UPDATE SET payload = excluded.payload";
    };
    const QByteArray upsertOne = upsertRetained(1);
    const QByteArray upsertChunk = upsertRetained(kUpsertChunk);
    for (const auto& [statement, sql] : std::initializer_list<std::pair<Statement*, const char*>>{
             {&m_begin, "BEGIN"},
             {&m_commit, "COMMIT"},
             {&m_rollback, "ROLLBACK"},
             {&m_upsertRetained, upsertOne.constData()},
             {&m_upsertRetainedChunk, upsertChunk.constData()},
             // A second logout of the same session never shortens its revocation.
             {&m_upsertRevoked, "INSERT INTO revoked_sessions (sid, expires_at) VALUES (?, ?) ON CONFLICT "
                                "(sid) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)"}}) {
        if (const QString error = prepare(*statement, sql); !error.isEmpty())
            return error;
    }
    return {};
}

int StateStore::probeWrite()
{
    if (!m_handle)
        return SQLITE_CANTOPEN;
    if (!m_probe) {
        // Prepared on first use: a file opened read-only may lack the health table.
        sqlite3_stmt* prepared = nullptr;
        const int rc = sqlite3_prepare_v3(m_handle, "UPDATE health SET beat = 1 - beat WHERE id = 1", -1,
                                          SQLITE_PREPARE_PERSISTENT, &prepared, nullptr);
        m_probe.reset(prepared);
        if (rc != SQLITE_OK)
            return sqlite3_db_readonly(m_handle, "main") == 1 ? SQLITE_READONLY : rc;
    }
    // Another process holding the write lock is reported at once; a publish still waits for it
    // as long as the driver's busy timeout.
    sqlite3_busy_timeout(m_handle, 0);
    const int rc = sqlite3_step(m_probe.get());
    sqlite3_reset(m_probe.get());
    sqlite3_busy_timeout(m_handle, kBusyTimeoutMs);
    const int code = rc == SQLITE_DONE ? SQLITE_OK : rc;
    m_lastCode = code;
    return code;
}

bool StateStore::isReadOnly() const
{
    return m_handle && sqlite3_db_readonly(m_handle, "main") == 1;
}

QString StateStore::reopen()
{
    closeDatabase();
    if (const QString error = openDatabase(); !error.isEmpty())
        return error;
    return prepareStatements();
}

QString StateStore::rewriteDeletedFile()
{
    if (!m_handle)
        return u"state store is not open"_s;
    // Beside the path, then renamed over it: a half-written copy is never taken for the state.
    const QString copy = m_path + u".rewrite"_s;
    QFile::remove(copy);
    {
        sqlite3_stmt* vacuum = nullptr;
        sqlite3_prepare_v2(m_handle, "VACUUM INTO ?", -1, &vacuum, nullptr);
        const Statement statement(vacuum); // finalized before the database is closed below
        if (!vacuum)
            return QString::fromUtf8(sqlite3_errmsg(m_handle));
        const QByteArray target = QFile::encodeName(copy);
        sqlite3_bind_text(vacuum, 1, target.constData(), int(target.size()), SQLITE_STATIC);
        if (const QString error = run(vacuum); !error.isEmpty()) {
            QFile::remove(copy);
            return u"cannot write a new state file: %1"_s.arg(error);
        }
    }
    // Closing checkpoints the deleted file's log into it and removes the log (by its path, which is
    // still this database's), so the new file is opened without a stale one.
    closeDatabase();
    if (!QFile::rename(copy, m_path))
        return u"cannot move the new state file to '%1'"_s.arg(m_path);
    return reopen();
}

QList<RetainedMessage> StateStore::retained(const QString& topic) const
{
    return m_retained.value(topic);
}

std::optional<ProjectAccess> StateStore::projectAccess(qint64 projectId) const
{
    const auto it = m_access.constFind(projectId);
    if (it == m_access.cend())
        return std::nullopt;
    return *it;
}

std::optional<BoardState> StateStore::board(qint64 projectId) const
{
    const auto it = m_boards.constFind(projectId);
    if (it == m_boards.cend())
        return std::nullopt;
    return *it;
}

QList<BoardState> StateStore::boards() const
{
    return m_boards.values();
}

const QByteArray* StateStore::storedPayload(const QString& topic, const QString& type) const
{
    const auto it = m_retained.constFind(topic);
    if (it == m_retained.cend())
        return nullptr;
    for (const RetainedMessage& message : *it) {
        if (message.type == type)
            return &message.payload;
    }
    return nullptr;
}

QString StateStore::storeRetained(const QList<Publication>& batch,
                                  const QHash<qint64, std::optional<BoardState>>& boards,
                                  const QSet<qint64>& removedAccess)
{
    // The retained values to write: the last of each (topic, type) in the batch, unless the file
    // holds it already (memory mirrors the file, see below).
    QList<const Publication*> writes;
    QList<const Publication*> revocations;
    {
        QSet<std::pair<QString, QString>> later;
        later.reserve(batch.size());
        for (auto it = batch.crbegin(); it != batch.crend(); ++it) {
            const Publication& p = *it;
            if (p.retain) {
                if (later.contains({p.topic, p.type}))
                    continue;
                later.insert({p.topic, p.type});
                const QByteArray* stored = storedPayload(p.topic, p.type);
                if (!stored || *stored != p.payload)
                    writes.append(&p);
            } else if (!p.logoutSession.isEmpty() && p.revokeUntilMs > 0) {
                revocations.append(&p);
            }
        }
    }
    if (writes.isEmpty() && revocations.isEmpty() && boards.isEmpty() && removedAccess.isEmpty())
        return {};
    if (!m_handle)
        return u"state store is not open"_s;

    if (const QString error = run(m_begin.get()); !error.isEmpty())
        return u"state store unavailable: %1"_s.arg(error);
    // Written in batch order (the list was gathered backwards); no key twice, so the rows of one
    // statement never conflict with each other. Whole chunks, then single rows.
    std::reverse(writes.begin(), writes.end());
    for (qsizetype next = 0; next < writes.size();) {
        const bool chunk = writes.size() - next >= kUpsertChunk;
        sqlite3_stmt* q = chunk ? m_upsertRetainedChunk.get() : m_upsertRetained.get();
        const int rows = chunk ? kUpsertChunk : 1;
        for (int row = 0; row < rows; ++row) {
            const Publication* p = writes[next + row];
            bindText(q, 3 * row + 1, p->topic);
            bindText(q, 3 * row + 2, p->type);
            sqlite3_bind_blob(q, 3 * row + 3, p->payload.constData(), int(p->payload.size()), SQLITE_STATIC);
        }
        if (const QString error = run(q); !error.isEmpty())
            return rollback(u"cannot store retained state: %1"_s.arg(error));
        next += rows;
    }
    for (auto it = revocations.crbegin(); it != revocations.crend(); ++it) {
        sqlite3_stmt* q = m_upsertRevoked.get();
        bindText(q, 1, (*it)->logoutSession);
        sqlite3_bind_int64(q, 2, (*it)->revokeUntilMs);
        if (const QString error = run(q); !error.isEmpty())
            return rollback(u"cannot store retained state: %1"_s.arg(error));
    }
    if (!boards.isEmpty() || !removedAccess.isEmpty()) {
        if (const QString error = storeBoards(boards, removedAccess); !error.isEmpty())
            return rollback(error);
    }
    if (const QString error = run(m_commit.get()); !error.isEmpty())
        return rollback(u"cannot store retained state: %1"_s.arg(error));
    for (auto it = boards.cbegin(); it != boards.cend(); ++it) {
        if (it.value())
            m_boards.insert(it.key(), *it.value());
        else
            m_boards.remove(it.key());
    }
    for (qint64 projectId : removedAccess)
        m_access.remove(projectId);
    // Only after the commit, so memory never holds what the disk does not.
    for (const Publication* p : std::as_const(writes))
        insertRetained(m_retained[p->topic], {p->type, p->payload});
    for (const Publication* p : std::as_const(revocations)) {
        qint64& until = m_revoked[p->logoutSession];
        until = std::max(until, p->revokeUntilMs);
    }
    return {};
}

QString StateStore::storeBoards(const QHash<qint64, std::optional<BoardState>>& boards,
                                const QSet<qint64>& removedAccess)
{
    // Rare next to retained values, so through Qt; in the caller's transaction (same connection).
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    for (auto it = boards.cbegin(); it != boards.cend(); ++it) {
        if (it.value()) {
            q.prepare(u"INSERT OR REPLACE INTO boards (project_id, seq, model) VALUES (?, ?, ?)"_s);
            q.addBindValue(it.key());
            q.addBindValue(it.value()->seq);
            q.addBindValue(QJsonDocument(it.value()->board).toJson(QJsonDocument::Compact));
        } else {
            q.prepare(u"DELETE FROM boards WHERE project_id = ?"_s);
            q.addBindValue(it.key());
        }
        if (!q.exec())
            return u"cannot store the board model: %1"_s.arg(q.lastError().text());
    }
    for (qint64 projectId : removedAccess) {
        q.prepare(u"DELETE FROM project_access WHERE project_id = ?"_s);
        q.addBindValue(projectId);
        if (!q.exec())
            return u"cannot remove the ACL: %1"_s.arg(q.lastError().text());
    }
    return {};
}

QString StateStore::pruneRevoked(qint64 nowMs)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    q.prepare(u"DELETE FROM revoked_sessions WHERE expires_at <= ?"_s);
    q.addBindValue(nowMs);
    if (!q.exec())
        return u"cannot prune revoked sessions: %1"_s.arg(q.lastError().text());
    m_revoked.removeIf([nowMs](const auto& entry) { return entry.value() <= nowMs; });
    return {};
}

QString StateStore::storeProjectAccess(qint64 projectId, const ProjectAccess& access)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    q.prepare(u"INSERT OR REPLACE INTO project_access (project_id, acl) VALUES (?, ?)"_s);
    q.addBindValue(projectId);
    q.addBindValue(QJsonDocument(access.toJson()).toJson(QJsonDocument::Compact));
    if (!q.exec()) {
        m_lastCode = q.lastError().nativeErrorCode().toInt();
        return u"cannot store the ACL: %1"_s.arg(q.lastError().text());
    }
    m_access.insert(projectId, access);
    return {};
}

} // namespace forgewire
