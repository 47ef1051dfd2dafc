#include "common/Logging.h"

#include <QLoggingCategory>
#include <QStringList>

namespace forgewire {

using namespace Qt::StringLiterals;

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

namespace {

bool needsEscape(char16_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 // controls, separators
           || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e)      // bidi marks, embeddings
           || (c >= 0x2066 && c <= 0x2069);                                   // bidi isolates
}

} // namespace

QString logSafe(QStringView value, qsizetype maxChars)
{
    QStringView kept = value.left(qMax<qsizetype>(maxChars, 0));
    if (kept.size() < value.size() && !kept.isEmpty() && kept.back().isHighSurrogate())
        kept.chop(1); // do not cut a character in half
    QString out;
    out.reserve(kept.size() + 16);
    for (const QChar qc : kept) {
        const char16_t c = qc.unicode();
        if (c == u'\\')
            out += "\\\\"_L1;
        else if (c == u'\n')
            out += "\\n"_L1;
        else if (c == u'\r')
            out += "\\r"_L1;
        else if (c == u'\t')
            out += "\\t"_L1;
        else if (!needsEscape(c))
            out += qc;
        else if (c <= 0xff)
            out += u"\\x%1"_s.arg(uint(c), 2, 16, QLatin1Char('0'));
        else
            out += u"\\u%1"_s.arg(uint(c), 4, 16, QLatin1Char('0'));
    }
    if (kept.size() < value.size())
        out += u"...(%1 chars)"_s.arg(value.size());
    return out;
}

QString logSafe(QByteArrayView value, qsizetype maxChars)
{
    // Decode only what can be kept (4 bytes per char at most) so a megabyte body costs nothing,
    // but report the full length in the marker.
    const qsizetype limit = qMax<qsizetype>(maxChars, 0);
    if (value.size() <= limit * 4)
        return logSafe(QString::fromUtf8(value), limit);
    const QString head = QString::fromUtf8(value.first(limit * 4));
    QStringView kept = QStringView(head).left(limit);
    if (kept.size() < head.size() && !kept.isEmpty() && kept.back().isHighSurrogate())
        kept.chop(1);
    return logSafe(kept, limit) + u"...(%1 bytes)"_s.arg(value.size());
}

} // namespace forgewire
