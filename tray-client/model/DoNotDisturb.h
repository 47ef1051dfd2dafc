#pragma once

#include <QTime>

class QSettings;

namespace forgewire {

// When the tray keeps quiet: a toggle in the menu, a daily schedule, and a switch per kind of desktop
// notification. Only desktop notifications are silenced; the badge and the menu keep updating.
struct DoNotDisturb
{
    enum class Kind
    {
        BoardEvent,        // changes on a watched board
        NewNotification,   // new unread notifications on the forge
        StopwatchReminder, // a stopwatch has been running for a long time
        ActionFailure      // a forge action the user just asked for failed: never silenced
    };

    bool enabled = false;   // "Do not disturb" in the menu
    bool scheduled = false; // quiet every day from `from` to `to`
    QTime from{22, 0};
    QTime to{7, 0}; // before `from`: the quiet time runs over midnight; equal: never quiet
    bool boardEvents = true;
    bool newNotifications = true;
    bool stopwatchReminders = true;

    // True while the toggle is on or `now` is inside the schedule.
    bool isQuiet(const QTime& now) const;
    bool inSchedule(const QTime& now) const;
    // Whether a notification of `kind` may be shown at `now`.
    bool allows(Kind kind, const QTime& now) const;

    static DoNotDisturb load(QSettings& settings);
    void save(QSettings& settings) const;
    bool operator==(const DoNotDisturb& o) const
    {
        return enabled == o.enabled && scheduled == o.scheduled && from == o.from && to == o.to &&
               boardEvents == o.boardEvents && newNotifications == o.newNotifications &&
               stopwatchReminders == o.stopwatchReminders;
    }
};

} // namespace forgewire
