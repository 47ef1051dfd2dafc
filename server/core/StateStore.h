#pragma once

#include "Engine.h"

#include <QHash>
#include <QString>

namespace forgewire {

// The embedded engine's durable state: retained messages and project ACLs in one SQLite file,
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

    // One transaction for the whole batch: all are stored, or none.
    QString storeRetained(const QList<Publication>& batch);
    QString storeProjectAccess(qint64 projectId, const ProjectAccess& access);

private:
    QString m_path;
    QString m_connectionName;
    QHash<QString, QList<RetainedMessage>> m_retained;
    QHash<qint64, ProjectAccess> m_access;
};

} // namespace forgewire
