#include "platform/NotificationGate.h"

#include "app/TrayLogging.h"

namespace forgewire {

NotificationGate::NotificationGate(DesktopNotifier& notifier, QObject* parent)
    : QObject(parent), m_notifier(notifier)
{}

void NotificationGate::setRules(const DoNotDisturb& rules)
{
    if (rules == m_rules)
        return;
    m_rules = rules;
    Q_EMIT rulesChanged();
}

NotificationGate::Result NotificationGate::show(DoNotDisturb::Kind kind, const QString& key,
                                                const QString& title, const QString& body,
                                                const QUrl& openUrl)
{
    if (!m_rules.allows(kind, m_localTime())) {
        ++m_silenced;
        qCDebug(lcTray) << "notification silenced:" << title;
        return Result::Silenced;
    }
    return m_notifier.show(key, title, body, openUrl) ? Result::Shown : Result::Unavailable;
}

} // namespace forgewire
