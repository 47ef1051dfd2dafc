#pragma once

#include <QString>

namespace forgewire {

class StateStore;

// Whether the embedded engine's state file can take a write now, for /readyz: asked every
// kCheckIntervalMs on the main thread (see EmbeddedEngine). Cheap on purpose, so that it never slows
// publishes: a stat() of the file (deleted or replaced under the server), a statvfs() of its file
// system (full, or mounted read-only), and, only when no publish wrote since the last check, one
// probe write of a row rewritten in place (the file never grows; SQLite's lock, a read-only file or
// an I/O error show there). What it can repair it repairs: a deleted file is written again from the
// open database, and a file opened read-only is reopened once it is writable.
class StateHealth
{
public:
    static constexpr int kCheckIntervalMs = 1000;
    // Free space below which the file system counts as full: SQLite needs a few pages for a
    // transaction (its log grows by a page per page written), so a write fails well before zero.
    static constexpr qint64 kMinFreeBytes = 64 * 1024;
    // Checks in a row that found another process holding the write lock before it counts as locked
    // (a checkpoint of another reader takes it briefly).
    static constexpr int kLockedChecks = 2;

    explicit StateHealth(StateStore* store);

    // The store opened its file: remembers which file that is.
    void opened();
    // Why the store cannot write now, or empty. `probe`: also try a write (no publish wrote since
    // the last check).
    QString check(bool probe);
    // A short reason for an SQLite result code ("disk full", "database locked", ...).
    static QString reasonFor(int sqliteCode);

private:
    QString checkFile();

    StateStore* m_store;
    quint64 m_device = 0;
    quint64 m_inode = 0;
    int m_busyChecks = 0;
    bool m_deletedSeen = false;
};

} // namespace forgewire
