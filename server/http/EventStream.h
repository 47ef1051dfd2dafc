#pragma once

#include "http/HttpMessage.h"
#include "transport/WsHandshake.h"

#include <QByteArray>
#include <QString>

namespace forgewire {

// The HTTP side of a server-sent event stream, `GET <prefix>/user/events` (PROTOCOL.md v1.2, Forge
// drop-in), which released Gitea and Forgejo pages read with an EventSource: what its request must
// be, the response head, the keep-alive and how the stream ends. Transport-free: both transports
// write the bytes it returns. The events themselves are the connection's wire format's
// (EventStreamFormat), chosen when the session signs in like every other format.
//
// The response head waits until the session has signed the client in, so that bad credentials can
// still be answered `401` (an EventSource stops for good on any status but 200; after a 200 it
// reconnects for ever, which is what a bad token must not do).
class EventStream
{
public:
    // A request target (path and query) longer than this is refused with 414: a token in the query
    // is at most 4 KiB, so a longer one is no browser's EventSource.
    static constexpr qsizetype kMaxTargetBytes = 8 * 1024;
    // Last-Event-ID: the server never names its events, so a browser sends none; a proxy or an
    // earlier server may have, so a short visible value is ignored, anything else is refused.
    static constexpr qsizetype kMaxLastEventIdBytes = 256;

    // Checks a request whose path is the stream's: GET (405), no body (400), an Accept that takes
    // text/event-stream (406), a target of at most kMaxTargetBytes (414), at most one access_token
    // (400), a sane Last-Event-ID (400), and credentials (401: the stream has nothing for anonymous
    // clients). Accepted: status 200 with eventStream set; the credentials are checked by the session.
    // `allowOrigin`: the request's Origin when it is one of allowed_origins, echoed for CORS (a
    // cross-origin EventSource needs it); empty for same-origin pages and native clients.
    // `cookieCredential`: the request may sign in by the forge's session cookie (cookie_auth).
    static WsHandshake evaluate(const HttpRequestHead& head, QByteArray allowOrigin,
                                bool cookieCredential = false);

    explicit EventStream(QByteArray allowOrigin) : m_allowOrigin(std::move(allowOrigin)) {}

    // The response head, once: the session signed the client in.
    QByteArray open();
    bool isOpen() const { return m_open; }
    // A comment line: EventSource ignores it, proxies see traffic (nginx closes an idle proxied
    // response after 60 s by default).
    static const QByteArray& keepAlive();
    // The last bytes of a stream its session ends with `code` (a WebSocket close code, as the session
    // side speaks). Before open(): 4001 is `401` with the reason as JSON (the EventSource stops);
    // anything else (draining, the forge unreachable) is an empty `200` stream that ends, which a
    // browser retries after its reconnection delay. After open(): a comment with the reason. The
    // caller ends the TCP stream once these bytes are out.
    QByteArray closing(quint16 code, const QString& reason);

private:
    QByteArray head() const;
    QByteArray corsHeaders() const;

    QByteArray m_allowOrigin;
    bool m_open = false;
};

} // namespace forgewire
