#pragma once

#include "forge/ForgeActions.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QUrl>

namespace forgewire {

// The latest unread notifications of one account, fetched from the forge with the user's token
// whenever the pushed count changes, for the tray's menu. Clicking one marks it read on the forge.
class NotificationList : public QObject
{
    Q_OBJECT
public:
    // Entries in the menu; the rest is one click away on the forge's notifications page.
    static constexpr int kMaxEntries = 8;

    explicit NotificationList(QObject* parent = nullptr);

    // Forgets the list; refresh() fetches with these. Without a forge URL or forge token the list
    // stays empty.
    void configure(const QUrl& forgeUrl, const QByteArray& token);
    bool isAvailable() const;
    // Fetches the list. While a fetch is on its way, further calls are folded into one more fetch
    // after it, so a burst of count changes costs two requests, not one per change.
    void refresh();
    // Marks a thread read on the forge; it leaves the list at once and comes back if that fails.
    void markRead(qint64 threadId);
    // Empties the list (after "Mark all as read").
    void clear();

    const QList<ForgeNotification>& entries() const { return m_entries; }
    bool isLoading() const { return m_inFlight; }
    QString lastError() const { return m_lastError; }

Q_SIGNALS:
    void changed();
    // Threads not seen in an earlier fetch; not emitted for the first fetch after configure() (that
    // is the backlog, not news).
    void arrived(const QList<forgewire::ForgeNotification>& fresh);
    void markReadFailed(const QString& message);
    // The forge confirmed a thread read: the unread count changed on the forge.
    void markedRead(qint64 threadId);

private:
    void fetch();

    QPointer<ForgeActions> m_actions;
    QList<ForgeNotification> m_entries;
    QSet<qint64> m_seen;
    bool m_fetchedOnce = false;
    bool m_inFlight = false;
    bool m_again = false;
    QString m_lastError;
};

} // namespace forgewire
