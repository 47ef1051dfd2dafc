#include "engine/StateHealth.h"

#include "config/ServerLogging.h"
#include "engine/StateStore.h"

#include <QFile>
#include <QFileInfo>

#include <utility>

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

bool isInMemory(const QString& path)
{
    return path.isEmpty() || path == ":memory:"_L1;
}

} // namespace

StateHealth::StateHealth(StateStore* store) : m_store(store)
{}

void StateHealth::opened()
{
    struct stat info
    {
    };
    if (!isInMemory(m_store->path()) && ::stat(QFile::encodeName(m_store->path()).constData(), &info) == 0) {
        m_device = info.st_dev;
        m_inode = info.st_ino;
    }
}

QString StateHealth::reasonFor(int sqliteCode)
{
    switch (sqliteCode & 0xff) {
    case SQLITE_OK:
        return {};
    case SQLITE_FULL:
        return u"disk full"_s;
    case SQLITE_READONLY:
        return u"read-only state file"_s;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return u"database locked"_s;
    case SQLITE_IOERR:
        return u"I/O error"_s;
    case SQLITE_CANTOPEN:
        return u"cannot open the state file"_s;
    default:
        return QString::fromUtf8(sqlite3_errstr(sqliteCode));
    }
}

QString StateHealth::checkFile()
{
    const QByteArray path = QFile::encodeName(m_store->path());
    struct stat info
    {
    };
    if (::stat(path.constData(), &info) != 0) {
        // Deleted under the open database, which still holds everything. Reported at once (what is
        // on disk is not the state), then written out again from the open database at the next check.
        if (!std::exchange(m_deletedSeen, true))
            return u"state file deleted"_s;
        const QString error = m_store->rewriteDeletedFile();
        if (!error.isEmpty())
            return u"state file deleted (%1)"_s.arg(error);
        qCWarning(lcState).noquote() << "the state file" << m_store->path()
                                     << "was deleted; wrote it again from the open database";
        opened();
        m_deletedSeen = false;
        return {};
    }
    m_deletedSeen = false;
    if (info.st_dev != m_device || info.st_ino != m_inode)
        return u"state file replaced; restart the server to load the new one"_s;
    struct statvfs space
    {
    };
    if (::statvfs(path.constData(), &space) == 0) {
        // Also a read-only bind mount of the file itself.
        if (space.f_flag & ST_RDONLY)
            return u"read-only state file"_s;
        // Root may use the blocks reserved for it, and so may this process then.
        const quint64 blocks = ::geteuid() == 0 ? space.f_bfree : space.f_bavail;
        if (qint64(blocks * space.f_frsize) < kMinFreeBytes)
            return u"disk full"_s;
    }
    const QByteArray directory = QFile::encodeName(QFileInfo(m_store->path()).absolutePath());
    if (m_store->isReadOnly()) {
        // Opened read-only because it was not writable then: try again once it looks writable.
        if (::access(path.constData(), W_OK) != 0 || ::access(directory.constData(), W_OK) != 0)
            return u"read-only state file"_s;
        if (const QString error = m_store->reopen(); !error.isEmpty())
            return error;
        if (m_store->isReadOnly())
            return u"read-only state file"_s;
    }
    return {};
}

QString StateHealth::check(bool probe)
{
    if (isInMemory(m_store->path()))
        return {};
    if (const QString reason = checkFile(); !reason.isEmpty())
        return reason;
    if (!probe)
        return {};
    const int code = m_store->probeWrite();
    if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED) {
        if (++m_busyChecks < kLockedChecks)
            return {};
        return reasonFor(code);
    }
    m_busyChecks = 0;
    return reasonFor(code);
}

} // namespace forgewire
