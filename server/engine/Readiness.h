#pragma once

#include <QList>
#include <QString>

namespace forgewire {

// One dependency a publish needs, as /readyz and /metrics report it: `part` names it ("server",
// "state", "redis"), `reason` says why it fails now ("disk full"); empty when it is fine.
struct ReadinessPart
{
    QString part;
    QString reason;

    bool ok() const { return reason.isEmpty(); }
};

using Readiness = QList<ReadinessPart>;

} // namespace forgewire
