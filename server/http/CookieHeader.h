#pragma once

#include "http/HttpMessage.h"

#include <QByteArray>
#include <QString>

namespace forgewire {

// Cookie sign-in (`[forge] cookie_auth`, PROTOCOL.md v1.2): the request's Cookie header is the
// credential the bridge sends to the forge's cookie-authenticated web routes, and nothing else of
// the request goes there. Every byte of it is the client's, so it is checked here before anything
// reads it: a header that could smuggle a line into the forge request, or that is large enough to
// make the forge request large, is refused with 400 and forwarded nowhere.
namespace cookie {

// The whole Cookie header (all its fields joined with "; ", as an HTTP/2 proxy sends them) at most;
// browsers cap one cookie at 4 KiB, and a forge's session cookie is under 100 bytes.
constexpr qsizetype kMaxHeaderBytes = 8 * 1024;
// Cookies in that header at most (PROTOCOL.md).
constexpr int kMaxCookies = 64;

struct Parsed
{
    // Empty when the header is acceptable.
    QString error;
    // The header as it is forwarded (its fields joined); empty without a Cookie header.
    QByteArray header;
    // The value of the forge's session cookie (`forge.session_cookie`), empty when absent: it is the
    // session id a forge's logout names (`here` for this connection, `elsewhere` for the others).
    QByteArray sessionId;

    bool ok() const { return error.isEmpty(); }
};

// Checks the request's Cookie header (RFC 6265 section 4.2: `name=value` pairs separated by "; ").
// Names are tokens; values anything but a control character or ';'. Anything else (a control
// character, an empty name, a pair without '=', too many or too large) is an error.
Parsed parse(const HttpRequestHead& head, const QByteArray& sessionCookieName);

} // namespace cookie
} // namespace forgewire
