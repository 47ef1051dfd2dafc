#include "model/NotificationList.h"

#include "app/TrayLogging.h"

namespace forgewire {

NotificationList::NotificationList(QObject* parent) : QObject(parent)
{}

void NotificationList::configure(const QUrl& forgeUrl, const QByteArray& token)
{
    // A new instance: answers for the old account are dropped with it (their replies are aborted).
    delete m_actions.data();
    m_actions = nullptr;
    if (forgeUrl.isValid() && !forgeUrl.isEmpty() && ForgeActions::looksLikeForgeToken(token))
        m_actions = new ForgeActions(forgeUrl, token, this);
    m_entries.clear();
    m_seen.clear();
    m_fetchedOnce = false;
    m_inFlight = false;
    m_again = false;
    m_lastError.clear();
    Q_EMIT changed();
}

bool NotificationList::isAvailable() const
{
    return m_actions != nullptr;
}

void NotificationList::refresh()
{
    if (!m_actions)
        return;
    if (m_inFlight) {
        m_again = true;
        return;
    }
    fetch();
}

void NotificationList::fetch()
{
    m_inFlight = true;
    ForgeActions* actions = m_actions;
    actions->unreadNotifications(
        kMaxEntries, [this, actions](const ForgeActionResult& result, const QList<ForgeNotification>& list) {
            if (actions != m_actions)
                return;
            m_inFlight = false;
            if (!result.ok) {
                m_lastError = result.error;
                qCWarning(lcTray) << "could not list notifications:" << result.error;
            } else {
                m_lastError.clear();
                QList<ForgeNotification> fresh;
                for (const ForgeNotification& n : list) {
                    if (!m_seen.contains(n.id))
                        fresh.append(n);
                    m_seen.insert(n.id);
                }
                m_entries = list;
                const bool first = !m_fetchedOnce;
                m_fetchedOnce = true;
                Q_EMIT changed();
                if (!first && !fresh.isEmpty())
                    Q_EMIT arrived(fresh);
            }
            if (std::exchange(m_again, false))
                fetch();
        });
}

void NotificationList::markRead(qint64 threadId)
{
    if (!m_actions)
        return;
    const auto it = std::find_if(m_entries.begin(), m_entries.end(),
                                 [threadId](const ForgeNotification& n) { return n.id == threadId; });
    if (it == m_entries.end())
        return;
    const qsizetype position = it - m_entries.begin();
    const ForgeNotification entry = *it;
    m_entries.erase(it);
    Q_EMIT changed();
    ForgeActions* actions = m_actions;
    actions->markThreadRead(threadId, [this, actions, entry, position](const ForgeActionResult& result) {
        if (actions != m_actions)
            return;
        if (result.ok) {
            Q_EMIT markedRead(entry.id);
            return;
        }
        qCWarning(lcTray) << "could not mark a notification read:" << result.error;
        const bool stillThere =
            std::any_of(m_entries.cbegin(), m_entries.cend(),
                        [&entry](const ForgeNotification& n) { return n.id == entry.id; });
        if (!stillThere) {
            m_entries.insert(std::min(position, m_entries.size()), entry);
            Q_EMIT changed();
        }
        Q_EMIT markReadFailed(result.error);
    });
}

void NotificationList::clear()
{
    if (m_entries.isEmpty())
        return;
    m_entries.clear();
    Q_EMIT changed();
}

} // namespace forgewire
