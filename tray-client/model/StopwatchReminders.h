#pragma once

#include "protocol/Protocol.h"

#include <QHash>
#include <QList>
#include <QString>

#include <chrono>

namespace forgewire {

// When a running stopwatch deserves a reminder (a desktop notification, silenced by Do not
// disturb): every kInterval of its running time. A stopwatch seen for the first time is only noted,
// so starting the tray next to a stopwatch that has run for hours does not remind at once.
class StopwatchReminders
{
public:
    static constexpr std::chrono::seconds kInterval{2 * 60 * 60};

    struct Running
    {
        protocol::Stopwatch stopwatch;
        qint64 elapsedSeconds = 0;
    };

    // The stopwatches in `running` that passed another interval since the last call. Stopwatches no
    // longer running are forgotten.
    QList<Running> due(const QList<Running>& running);

    static QString keyOf(const protocol::Stopwatch& stopwatch);

private:
    QHash<QString, qint64> m_reminded; // key -> intervals already passed
};

} // namespace forgewire
