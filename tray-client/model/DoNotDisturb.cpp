#include "model/DoNotDisturb.h"

#include <QSettings>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

const QString kEnabled = u"quiet/enabled"_s;
const QString kScheduled = u"quiet/scheduled"_s;
const QString kFrom = u"quiet/from"_s;
const QString kTo = u"quiet/to"_s;
const QString kBoardEvents = u"notify/board_events"_s;
const QString kNewNotifications = u"notify/new_notifications"_s;
const QString kStopwatchReminders = u"notify/stopwatch_reminders"_s;
const QString kTimeFormat = u"HH:mm"_s;

QTime readTime(QSettings& settings, const QString& key, const QTime& fallback)
{
    const QTime time = QTime::fromString(settings.value(key).toString(), kTimeFormat);
    return time.isValid() ? time : fallback;
}

} // namespace

bool DoNotDisturb::inSchedule(const QTime& now) const
{
    if (!scheduled || from == to)
        return false;
    if (from < to)
        return now >= from && now < to;
    return now >= from || now < to; // over midnight
}

bool DoNotDisturb::isQuiet(const QTime& now) const
{
    return enabled || inSchedule(now);
}

bool DoNotDisturb::allows(Kind kind, const QTime& now) const
{
    switch (kind) {
    case Kind::ActionFailure:
        return true; // the user is looking: they just clicked
    case Kind::BoardEvent:
        if (!boardEvents)
            return false;
        break;
    case Kind::NewNotification:
        if (!newNotifications)
            return false;
        break;
    case Kind::StopwatchReminder:
        if (!stopwatchReminders)
            return false;
        break;
    }
    return !isQuiet(now);
}

DoNotDisturb DoNotDisturb::load(QSettings& settings)
{
    DoNotDisturb d;
    d.enabled = settings.value(kEnabled, false).toBool();
    d.scheduled = settings.value(kScheduled, false).toBool();
    d.from = readTime(settings, kFrom, d.from);
    d.to = readTime(settings, kTo, d.to);
    d.boardEvents = settings.value(kBoardEvents, true).toBool();
    d.newNotifications = settings.value(kNewNotifications, true).toBool();
    d.stopwatchReminders = settings.value(kStopwatchReminders, true).toBool();
    return d;
}

void DoNotDisturb::save(QSettings& settings) const
{
    settings.setValue(kEnabled, enabled);
    settings.setValue(kScheduled, scheduled);
    settings.setValue(kFrom, from.toString(kTimeFormat));
    settings.setValue(kTo, to.toString(kTimeFormat));
    settings.setValue(kBoardEvents, boardEvents);
    settings.setValue(kNewNotifications, newNotifications);
    settings.setValue(kStopwatchReminders, stopwatchReminders);
}

} // namespace forgewire
