#pragma once

#include "model/DoNotDisturb.h"
#include "platform/DesktopNotifier.h"

#include <QObject>
#include <QTime>

#include <functional>

namespace forgewire {

// Every desktop notification of the tray goes through here: Do not disturb decides whether it is
// shown at all, DesktopNotifier shows it, and when no notification server runs the caller falls back
// (the tray's balloon).
class NotificationGate : public QObject
{
    Q_OBJECT
public:
    enum class Result
    {
        Shown,
        Silenced,   // Do not disturb, or the kind is switched off
        Unavailable // no notification server: the caller may fall back
    };
    using LocalTime = std::function<QTime()>;

    explicit NotificationGate(DesktopNotifier& notifier, QObject* parent = nullptr);

    const DoNotDisturb& rules() const { return m_rules; }
    void setRules(const DoNotDisturb& rules);
    // Tests fix the time of day for the schedule.
    void setLocalTime(LocalTime localTime) { m_localTime = std::move(localTime); }
    bool isQuietNow() const { return m_rules.isQuiet(m_localTime()); }

    Result show(DoNotDisturb::Kind kind, const QString& key, const QString& title, const QString& body,
                const QUrl& openUrl);
    int silencedCount() const { return m_silenced; }

Q_SIGNALS:
    void rulesChanged();

private:
    DesktopNotifier& m_notifier;
    DoNotDisturb m_rules;
    LocalTime m_localTime = [] {
        return QTime::currentTime();
    };
    int m_silenced = 0;
};

} // namespace forgewire
