#include "Logging.h"

#include <QStringList>

namespace forgewire {

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcProtocol, "forgewire.protocol", QtInfoMsg)
Q_LOGGING_CATEGORY(lcAuth, "forgewire.auth", QtInfoMsg)

bool applyLogLevel(const QString& level)
{
    const QStringList levels{u"debug"_s, u"info"_s, u"warning"_s, u"critical"_s};
    const int index = levels.indexOf(level.toLower());
    if (index < 0)
        return false;
    QStringList rules;
    for (int i = 0; i < levels.size(); ++i)
        rules.append(u"forgewire.*.%1=%2"_s.arg(levels[i], i >= index ? u"true"_s : u"false"_s));
    QLoggingCategory::setFilterRules(rules.join(u'\n'));
    return true;
}

} // namespace forgewire
