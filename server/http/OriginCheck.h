#pragma once

#include "http/HttpMessage.h"

#include <QString>
#include <QStringList>

namespace forgewire {

// The `allowed_origins` check of the client listener (PROTOCOL.md, Authentication): a browser sends
// the page's origin with every WebSocket upgrade, so a server that lists its forge's origins keeps
// other sites' pages from opening connections with a user's cookies-free token they obtained.
// Native clients send no Origin and are not affected.
namespace origin {

// `scheme://host[:port]` with the scheme and host lower-cased and the scheme's default port dropped,
// the form browsers send; empty when `text` is not an http(s) origin (a path, a query, user info or
// the opaque origin `null`).
QString normalize(const QString& text);

// True without an Origin header, with an empty `allowed` list (the check is off), or when the
// header's origin (normalised) is one of `allowed` (already normalised, see normalize()).
bool isAllowed(const QStringList& allowed, const HttpRequestHead& head);

} // namespace origin
} // namespace forgewire
