#include "http/HttpMessage.h"

#include <QUrl>

#include <limits>

namespace forgewire {

namespace {

// RFC 9110 5.6.2 tchar: the characters of a method and a header name.
bool isTchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    }
    return false;
}

bool isHexDigit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// origin-form (RFC 9112 3.2.1): an absolute path and an optional query. Visible ASCII only, no
// fragment, and every '%' starts a valid escape. The characters RFC 3986 reserves but WHATWG URL
// leaves unescaped in a query ([ ] { } | \ ^ `) are let through: browsers open WebSockets with them.
bool isOriginForm(QByteArrayView target)
{
    if (!target.startsWith('/'))
        return false;
    for (qsizetype i = 0; i < target.size(); ++i) {
        const char c = target[i];
        if (c <= 0x20 || c >= 0x7f || c == '#')
            return false;
        if (c == '%' && (i + 2 >= target.size() || !isHexDigit(target[i + 1]) || !isHexDigit(target[i + 2])))
            return false;
    }
    return true;
}

// field-value (RFC 9110 5.5): visible characters, obs-text, SP and HTAB; any other control
// character (CR, NUL, DEL...) is refused rather than passed on.
bool isFieldValue(QByteArrayView value)
{
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && u != '\t') || u == 0x7f)
            return false;
    }
    return true;
}

QByteArrayView trimmedOws(QByteArrayView value)
{
    while (!value.isEmpty() && (value.front() == ' ' || value.front() == '\t'))
        value = value.sliced(1);
    while (!value.isEmpty() && (value.back() == ' ' || value.back() == '\t'))
        value.chop(1);
    return value;
}

} // namespace

bool isHttpToken(QByteArrayView text)
{
    if (text.isEmpty())
        return false;
    for (const char c : text) {
        if (!isTchar(c))
            return false;
    }
    return true;
}

namespace {

bool parseRequestLine(QByteArrayView line, HttpRequestHead* head)
{
    // Exactly METHOD SP request-target SP HTTP-version: no leading, trailing or doubled spaces.
    const qsizetype sp1 = line.indexOf(' ');
    if (sp1 < 0)
        return false;
    const qsizetype sp2 = line.indexOf(' ', sp1 + 1);
    if (sp2 < 0)
        return false;
    const QByteArrayView method = line.first(sp1);
    const QByteArrayView target = line.sliced(sp1 + 1, sp2 - sp1 - 1);
    const QByteArrayView version = line.sliced(sp2 + 1);
    if (!isHttpToken(method) || !isOriginForm(target))
        return false;
    if (version == "HTTP/1.1")
        head->minorVersion = 1;
    else if (version == "HTTP/1.0")
        head->minorVersion = 0;
    else
        return false;
    head->method = method.toByteArray();
    const qsizetype q = target.indexOf('?');
    head->path = QUrl::fromPercentEncoding(target.first(q < 0 ? target.size() : q).toByteArray());
    head->query = q < 0 ? QString() : QString::fromLatin1(target.sliced(q + 1));
    return true;
}

// The whole of Content-Length must be digits (RFC 9110 8.6); a value past qint64 saturates so the
// caller refuses it as too large rather than as malformed.
bool parseContentLength(QByteArrayView value, qint64* length)
{
    if (value.isEmpty())
        return false;
    qint64 n = 0;
    for (const char c : value) {
        if (c < '0' || c > '9')
            return false;
        const int digit = c - '0';
        n = n > (std::numeric_limits<qint64>::max() - digit) / 10 ? std::numeric_limits<qint64>::max()
                                                                  : n * 10 + digit;
    }
    *length = n;
    return true;
}

} // namespace

QByteArray HttpRequestHead::header(const QByteArray& lowerName) const
{
    for (const auto& [name, value] : headers) {
        if (name == lowerName)
            return value;
    }
    return {};
}

bool HttpRequestHead::hasToken(const QByteArray& lowerName, const QByteArray& lowerToken) const
{
    for (const auto& [name, value] : headers) {
        if (name != lowerName)
            continue;
        for (const QByteArray& token : value.split(',')) {
            if (token.trimmed().toLower() == lowerToken)
                return true;
        }
    }
    return false;
}

bool HttpRequestHead::isWebSocketUpgrade() const
{
    return hasToken("upgrade", "websocket") && hasToken("connection", "upgrade");
}

HttpParseStatus parseHttpHead(const QByteArray& buffer, qint64 maxHeadBytes, HttpRequestHead* head)
{
    // Strict RFC 9112 framing on both listeners: anything a proxy in front could read differently
    // (bare LF, obs-fold, space before the colon, two Content-Lengths) is refused, not repaired.
    HttpRequestHead parsed;
    bool requestLineSeen = false;
    int hosts = 0;
    qsizetype pos = 0;
    for (;;) {
        const qsizetype lf = buffer.indexOf('\n', pos);
        if (lf < 0)
            return buffer.size() > maxHeadBytes ? HttpParseStatus::TooLarge : HttpParseStatus::Incomplete;
        if (lf + 1 > maxHeadBytes)
            return HttpParseStatus::TooLarge;
        if (lf == pos || buffer.at(lf - 1) != '\r')
            return HttpParseStatus::Invalid; // a bare LF
        const QByteArrayView line(buffer.constData() + pos, lf - 1 - pos);
        pos = lf + 1;
        if (!requestLineSeen) {
            // RFC 9112 2.2: empty lines before the request line (a client's stray CRLF after a
            // body) are skipped; they count toward the head limit.
            if (line.isEmpty())
                continue;
            if (!parseRequestLine(line, &parsed))
                return HttpParseStatus::Invalid;
            requestLineSeen = true;
            continue;
        }
        if (line.isEmpty())
            break;
        if (line.front() == ' ' || line.front() == '\t')
            return HttpParseStatus::Invalid; // obs-fold, or whitespace before the first field
        const qsizetype colon = line.indexOf(':');
        if (colon < 0 || !isHttpToken(line.first(colon)) || !isFieldValue(line.sliced(colon + 1)))
            return HttpParseStatus::Invalid;
        const QByteArray name = line.first(colon).toByteArray().toLower();
        const QByteArrayView value = trimmedOws(line.sliced(colon + 1));
        if (name == "content-length") {
            // Two of them, even equal, is how request smuggling starts.
            if (parsed.contentLength >= 0 || !parseContentLength(value, &parsed.contentLength))
                return HttpParseStatus::Invalid;
        } else if (name == "host") {
            ++hosts;
        }
        parsed.headers.append({name, value.toByteArray()});
    }
    // RFC 9112 3.2: exactly one Host in HTTP/1.1, at most one in 1.0.
    if (hosts > 1 || (parsed.minorVersion == 1 && hosts == 0))
        return HttpParseStatus::Invalid;
    parsed.length = pos;
    *head = std::move(parsed);
    return HttpParseStatus::Complete;
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 426:
        return "Upgrade Required";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    }
    return "Status";
}

QByteArray httpResponse(int status, const QByteArray& body, const QByteArray& contentType,
                        const QByteArray& extraHeaders, bool keepAlive)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    if (!body.isEmpty() || status != 204)
        out += "Content-Type: " + contentType + "\r\n";
    out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    out += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    out += extraHeaders;
    out += "\r\n";
    out += body;
    return out;
}

} // namespace forgewire
