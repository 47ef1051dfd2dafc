#pragma once

#include "http/HttpMessage.h"

#include <QByteArray>
#include <QString>

namespace forgewire {

// The server side of the WebSocket opening handshake (RFC 6455 section 4.2) for one parsed request
// head: either the 101 response that upgrades the connection, or the HTTP error that refuses it.
struct WsHandshake
{
    // 101 when accepted, else the HTTP error status.
    int status = 0;
    // Accepted: the whole 101 response.
    QByteArray response;
    // Refused: the body of the error response (JSON unless contentType says otherwise).
    QByteArray body;
    QByteArray contentType = "application/json";
    // Refused: header lines for the error response, each ending in "\r\n" (may be empty).
    QByteArray extraHeaders;
    // Accepted: the client's Sec-WebSocket-Key, trimmed.
    QByteArray key;
    // Not an upgrade but a whole HTTP response of its own (a browser file, see BrowserAssets), sent as
    // it is instead of one made of status and body.
    QByteArray fullResponse;

    // Accepted as a server-sent event stream (`GET <prefix>/user/events`, see EventStream): the
    // transport keeps the connection and sends the response head once the session signs it in.
    bool eventStream = false;
    // Event stream: the request's allowed Origin to echo for CORS; empty for same-origin requests.
    QByteArray allowOrigin;

    // Accepted, but the credential must be checked before the 101 goes out (a forge session cookie
    // on /-/ws: an unknown or signed-out one gets 401 before the upgrade): the transport holds the
    // request and asks ConnectionEvents::checkBeforeUpgrade().
    bool checkFirst = false;

    bool isAccepted() const { return status == 101 || eventStream; }
    // A refusal with `status`, its JSON `body` and header lines (each ending in "\r\n").
    static WsHandshake refusal(int status, const QByteArray& body, const QByteArray& extraHeaders = {});
    // The bytes a refusal sends: fullResponse, or the response made of status, body and headers.
    QByteArray refusalBytes() const;
    // A request answered with `response` (a complete HTTP/1.1 response) instead of an upgrade.
    static WsHandshake answer(QByteArray response);

    // Checks path (`wsPath`), method, HTTP version, Upgrade, Sec-WebSocket-Version and -Key, in that
    // order: the first one wrong decides the error.
    static WsHandshake evaluate(const HttpRequestHead& head, const QString& wsPath);
    // The error for a head the parser refused (TooLarge, Invalid); status 0 for the other results.
    static WsHandshake forParseStatus(HttpParseStatus status);
    // RFC 6455 section 4.2.2: the key the client sent, hashed with the protocol's GUID.
    static QByteArray acceptKey(const QByteArray& clientKey);
};

} // namespace forgewire
