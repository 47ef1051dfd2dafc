#pragma once

#include "format/PageFormat.h"
#include "session/Identity.h"

#include <QByteArray>

namespace forgewire {

// What a connection's client gets for each server -> client message: chosen once, when the session
// signs the client in (Worker::finishAuthentication), and asked for every message after that.
// Session, broker and engine speak PROTOCOL.md's JSON messages only and never ask which format a
// connection has; the transport frames what the format returns (a WebSocket text frame, or the
// bytes as they are on an event stream).
class WireFormat
{
public:
    // What the connection is on the wire, as its transport accepted it.
    enum class Wire
    {
        WebSocket,
        EventStream, // `GET <prefix>/user/events`, see EventStream
    };

    struct Payload
    {
        QByteArray bytes;
        // The WebSocket text frame of `bytes`, when the format passes a shared one on (see
        // ClientConnection::queueText); empty otherwise.
        QByteArray frame;
    };

    virtual ~WireFormat() = default;

    // The payload for `json` (one server -> client message of PROTOCOL.md) to `who`; empty bytes when
    // this format has no such message (nothing is sent). `frame`: json's text frame if the caller
    // has it, shared by every recipient of a publication.
    virtual Payload encode(const QByteArray& json, const QByteArray& frame, const Identity& who) const = 0;
    // True for a format whose clients cannot subscribe (an event stream): they get every board they
    // may read, checked per event like any board subscription.
    virtual bool readsEveryBoard() const { return false; }
    // The close code this format's client reads for PROTOCOL.md's `code`.
    virtual quint16 closeCode(quint16 code) const { return code; }
    // True when this format's client is told of an unknown or signed-out forge session by an HTTP
    // 401 before the upgrade; false when by closeCode(Unauthorized) after it.
    virtual bool refusesBeforeUpgrade() const { return true; }

    // The format of a connection on `wire` that signs in as a forge session (by the forge's cookie:
    // `forgeSession`, whose pages read `pageFormat`) or otherwise. Known before the sign-in is
    // checked, so that its refusal is in the format too.
    static const WireFormat& forSignIn(Wire wire, bool forgeSession, PageFormat pageFormat);
    // PROTOCOL.md's messages as they are: the format of every WebSocket client.
    static const WireFormat& json();
};

} // namespace forgewire
