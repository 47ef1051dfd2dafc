#include "transport/WsHandshake.h"

#include <QCryptographicHash>

namespace forgewire {

WsHandshake WsHandshake::refusal(int status, const QByteArray& body, const QByteArray& extraHeaders)
{
    WsHandshake h;
    h.status = status;
    h.body = body;
    h.extraHeaders = extraHeaders;
    return h;
}

QByteArray WsHandshake::acceptKey(const QByteArray& clientKey)
{
    return QCryptographicHash::hash(clientKey + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
                                    QCryptographicHash::Sha1)
        .toBase64();
}

WsHandshake WsHandshake::forParseStatus(HttpParseStatus status)
{
    switch (status) {
    case HttpParseStatus::TooLarge:
        return refusal(431, R"({"error":"request head too large"})");
    case HttpParseStatus::Invalid:
        return refusal(400, R"({"error":"malformed HTTP request"})");
    case HttpParseStatus::Incomplete:
    case HttpParseStatus::Complete:
        break;
    }
    return {};
}

WsHandshake WsHandshake::evaluate(const HttpRequestHead& head, const QString& wsPath)
{
    if (head.path != wsPath)
        return refusal(404, R"({"error":"not found; the WebSocket endpoint is )" + wsPath.toUtf8() + "\"}");
    if (head.method != "GET")
        return refusal(405, R"({"error":"use GET with Upgrade: websocket"})", "Allow: GET\r\n");
    if (head.minorVersion < 1) {
        // RFC 6455 4.1: the opening handshake is HTTP/1.1 or later.
        return refusal(400, R"({"error":"WebSocket needs HTTP/1.1; this request is HTTP/1.0"})");
    }
    if (!head.isWebSocketUpgrade()) {
        return refusal(426, R"x({"error":"this endpoint speaks WebSocket only (Upgrade: websocket)"})x",
                       "Upgrade: websocket\r\n");
    }
    if (head.header("sec-websocket-version").trimmed() != "13") {
        return refusal(426, R"({"error":"unsupported WebSocket version; this server speaks 13"})",
                       "Sec-WebSocket-Version: 13\r\n");
    }
    const QByteArray key = head.header("sec-websocket-key").trimmed();
    if (QByteArray::fromBase64(key).size() != 16)
        return refusal(400, R"({"error":"missing or malformed Sec-WebSocket-Key"})");
    WsHandshake h;
    h.status = 101;
    h.key = key;
    // No subprotocol and no extension is selected: frames are plain JSON text.
    h.response = "HTTP/1.1 101 Switching Protocols\r\n"
                 "Upgrade: websocket\r\n"
                 "Connection: Upgrade\r\n"
                 "Sec-WebSocket-Accept: " +
                 acceptKey(key) + "\r\n\r\n";
    return h;
}

QByteArray WsHandshake::refusalBytes() const
{
    return fullResponse.isEmpty() ? httpResponse(status, body, contentType, extraHeaders) : fullResponse;
}

WsHandshake WsHandshake::answer(QByteArray response)
{
    WsHandshake h;
    // "HTTP/1.1 200 OK": the status is for logs and metrics; the bytes go out as they are.
    h.status = response.mid(9, 3).toInt();
    h.fullResponse = std::move(response);
    return h;
}

} // namespace forgewire
