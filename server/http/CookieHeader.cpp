#include "http/CookieHeader.h"

namespace forgewire::cookie {

using namespace Qt::StringLiterals;

Parsed parse(const HttpRequestHead& head, const QByteArray& sessionCookieName)
{
    Parsed result;
    QByteArray joined;
    for (const auto& [name, value] : head.headers) {
        if (name != "cookie")
            continue;
        if (!joined.isEmpty())
            joined += "; ";
        joined += value.trimmed();
        if (joined.size() > kMaxHeaderBytes)
            break;
    }
    if (joined.size() > kMaxHeaderBytes) {
        result.error = u"Cookie header over %1 bytes"_s.arg(kMaxHeaderBytes);
        return result;
    }
    int count = 0;
    for (const QByteArray& field : joined.split(';')) {
        QByteArrayView pair = QByteArrayView(field).trimmed();
        if (pair.isEmpty())
            continue; // a trailing or doubled separator, as some clients send
        if (++count > kMaxCookies) {
            result.error = u"more than %1 cookies"_s.arg(kMaxCookies);
            return result;
        }
        const qsizetype eq = pair.indexOf('=');
        if (eq <= 0) {
            result.error = u"cookie %1 is not name=value"_s.arg(count);
            return result;
        }
        const QByteArrayView name = pair.first(eq);
        QByteArrayView value = pair.sliced(eq + 1);
        if (!isHttpToken(name)) {
            result.error = u"cookie %1 has a name that is not a token"_s.arg(count);
            return result;
        }
        // Browsers send more than RFC 6265's cookie-octets (a site on the same host may set a value
        // with a comma or a space), and refusing those would cost the user their push for another
        // application's cookie; what must never pass is a control character.
        for (char c : value) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20 || byte == 0x7f) {
                result.error = u"cookie %1 has a control character in its value"_s.arg(count);
                return result;
            }
        }
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.sliced(1, value.size() - 2);
        if (!sessionCookieName.isEmpty() && name == sessionCookieName)
            result.sessionId = value.toByteArray();
    }
    result.header = joined;
    return result;
}

} // namespace forgewire::cookie
