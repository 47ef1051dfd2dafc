#include "model/StopwatchReminders.h"

#include <QSet>

namespace forgewire {

using namespace Qt::StringLiterals;

QString StopwatchReminders::keyOf(const protocol::Stopwatch& s)
{
    return u"%1/%2#%3"_s.arg(s.repoOwnerName, s.repoName).arg(s.issueIndex);
}

QList<StopwatchReminders::Running> StopwatchReminders::due(const QList<Running>& running)
{
    QList<Running> result;
    QSet<QString> seen;
    for (const Running& entry : running) {
        const QString key = keyOf(entry.stopwatch);
        seen.insert(key);
        const qint64 passed = std::max<qint64>(0, entry.elapsedSeconds) / kInterval.count();
        const auto it = m_reminded.find(key);
        if (it == m_reminded.end()) {
            m_reminded.insert(key, passed);
        } else if (passed > it.value()) {
            it.value() = passed;
            result.append(entry);
        }
    }
    m_reminded.removeIf([&seen](const auto& it) { return !seen.contains(it.key()); });
    return result;
}

} // namespace forgewire
