#include "http/EventStream.h"

#include "protocol/Protocol.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

// How many query items are named `name` (percent-decoded, as the token is read).
int countQueryItems(const QString& query, QStringView name)
{
    int count = 0;
    for (QStringView item : QStringView(query).split(u'&')) {
        const qsizetype equals = item.indexOf(u'=');
        const QStringView key = equals < 0 ? item : item.first(equals);
        if (QUrl::fromPercentEncoding(key.toLatin1()) == name)
            ++count;
    }
    return count;
}

bool acceptsEventStream(const QByteArray& accept)
{
    if (accept.isEmpty())
        return true;
    const QByteArray lower = accept.toLower();
    return lower.contains("text/event-stream") || lower.contains("text/*") || lower.contains("*/*");
}

bool isSaneLastEventId(const QByteArray& id)
{
    if (id.size() > EventStream::kMaxLastEventIdBytes)
        return false;
    for (const char c : id) {
        if (c < 0x20 || c > 0x7e)
            return false;
    }
    return true;
}

} // namespace

WsHandshake EventStream::evaluate(const HttpRequestHead& head, QByteArray allowOrigin, bool cookieCredential)
{
    if (head.method != "GET")
        return WsHandshake::refusal(405, R"({"error":"the event stream is read with GET"})",
                                    "Allow: GET\r\n");
    if (head.contentLength > 0 || !head.header("transfer-encoding").isEmpty())
        return WsHandshake::refusal(400, R"({"error":"a request for the event stream has no body"})");
    if (head.path.toUtf8().size() + head.query.size() > kMaxTargetBytes) {
        return WsHandshake::refusal(414, R"({"error":"request target over )" +
                                             QByteArray::number(kMaxTargetBytes) + R"( bytes"})");
    }
    const int queryTokens = countQueryItems(head.query, u"access_token");
    if (queryTokens > 1)
        return WsHandshake::refusal(400, R"({"error":"more than one access_token in the query"})");
    if (!isSaneLastEventId(head.header("last-event-id"))) {
        return WsHandshake::refusal(
            400, R"({"error":"Last-Event-ID must be at most )" + QByteArray::number(kMaxLastEventIdBytes) +
                     R"x( visible ASCII characters (this server sends no event ids)"})x");
    }
    if (!acceptsEventStream(head.header("accept")))
        return WsHandshake::refusal(406, R"({"error":"this endpoint serves text/event-stream only"})");
    if (queryTokens == 0 && head.header("authorization").isEmpty() && !cookieCredential) {
        // Nobody to stream for: an anonymous stream would carry nothing, and an EventSource would
        // reconnect to it for ever.
        return WsHandshake::refusal(
            401, R"({"error":"sign in: Authorization: Bearer <token>, or access_token in the query"})",
            "WWW-Authenticate: Bearer\r\n");
    }
    WsHandshake h;
    h.status = 200;
    h.eventStream = true;
    h.allowOrigin = std::move(allowOrigin);
    return h;
}

QByteArray EventStream::corsHeaders() const
{
    if (m_allowOrigin.isEmpty())
        return {};
    return "Access-Control-Allow-Origin: " + m_allowOrigin +
           "\r\nAccess-Control-Allow-Credentials: true\r\nVary: Origin\r\n";
}

QByteArray EventStream::head() const
{
    return "HTTP/1.1 200 OK\r\n"
           "Content-Type: text/event-stream; charset=utf-8\r\n"
           "Cache-Control: no-cache\r\n"
           // nginx buffers a proxied response unless told not to (Gitea sends the same).
           "X-Accel-Buffering: no\r\n"
           // The body ends with the connection: no length and no chunks for a proxy to wait on.
           "Connection: close\r\n" +
           corsHeaders() + "\r\n";
}

QByteArray EventStream::open()
{
    if (m_open)
        return {};
    m_open = true;
    return head();
}

const QByteArray& EventStream::keepAlive()
{
    static const QByteArray comment = ": keep-alive\n\n";
    return comment;
}

QByteArray EventStream::closing(quint16 code, const QString& reason)
{
    QByteArray comment = reason.toUtf8();
    // A comment is one line: a reason can never start a field of its own.
    for (char& c : comment) {
        if (c == '\r' || c == '\n')
            c = ' ';
    }
    if (m_open)
        return ": " + comment + "\n\n";
    m_open = true;
    if (code == protocol::CloseCode::Unauthorized) {
        const QByteArray body =
            QJsonDocument(QJsonObject{{u"error"_s, reason.isEmpty() ? u"unauthorized"_s : reason}})
                .toJson(QJsonDocument::Compact);
        return httpResponse(401, body, "application/json", "Cache-Control: no-cache\r\n" + corsHeaders());
    }
    return head() + ": " + comment + "\n\n";
}

} // namespace forgewire
