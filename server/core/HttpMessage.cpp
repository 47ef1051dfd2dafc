#include "HttpMessage.h"

#include <QUrl>

namespace forgewire {

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
    const qsizetype end = buffer.indexOf("\r\n\r\n");
    if (end < 0)
        return buffer.size() > maxHeadBytes ? HttpParseStatus::TooLarge : HttpParseStatus::Incomplete;
    if (end + 4 > maxHeadBytes)
        return HttpParseStatus::TooLarge;
    const QList<QByteArray> lines = buffer.left(end).split('\n');
    const QList<QByteArray> requestLine = lines.first().trimmed().split(' ');
    if (requestLine.size() != 3 || !requestLine[2].startsWith("HTTP/1.") || !requestLine[1].startsWith('/'))
        return HttpParseStatus::Invalid;
    head->method = requestLine[0];
    const QByteArray target = requestLine[1];
    const qsizetype q = target.indexOf('?');
    head->path = QUrl::fromPercentEncoding(q < 0 ? target : target.left(q));
    head->query = q < 0 ? QString() : QString::fromLatin1(target.mid(q + 1));
    head->headers.clear();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return HttpParseStatus::Invalid;
        head->headers.append({line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()});
    }
    head->length = end + 4;
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
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
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
