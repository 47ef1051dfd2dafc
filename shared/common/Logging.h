#pragma once

#include <QByteArrayView>
#include <QString>
#include <QStringView>

namespace forgewire {

// Applies a level name (debug, info, warning, critical) to every forgewire.* category.
// Returns false for an unknown name.
bool applyLogLevel(const QString& level);

// Longest client-controlled value a log line carries; a request path or a forge error body can be
// kilobytes, and one log line should stay one readable line.
inline constexpr qsizetype kLogValueMaxChars = 256;

// Makes a value that a client, a publisher or the forge controls safe to put in a log line: a raw
// newline (or CR, U+2028...) in a JWT `alg` or a request path would otherwise forge whole log lines
// for whoever reads the log. C0/C1 controls and DEL become \n, \r, \t or \xNN, the Unicode
// line/paragraph separators and bidi overrides \uNNNN, and a backslash \\ so an escape in the
// output is never ambiguous. Values longer than maxChars are cut with a "...(N chars)" marker.
QString logSafe(QStringView value, qsizetype maxChars = kLogValueMaxChars);
// Bytes are read as UTF-8 (invalid sequences become U+FFFD) and then escaped like a string.
QString logSafe(QByteArrayView value, qsizetype maxChars = kLogValueMaxChars);
inline QString logSafe(const QString& value, qsizetype maxChars = kLogValueMaxChars)
{
    return logSafe(QStringView(value), maxChars);
}
inline QString logSafe(const QByteArray& value, qsizetype maxChars = kLogValueMaxChars)
{
    return logSafe(QByteArrayView(value), maxChars);
}

} // namespace forgewire
