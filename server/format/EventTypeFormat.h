#pragma once

#include "format/WireFormat.h"

namespace forgewire {

// What the newest Gitea pages read on /-/ws (`[forge] page_format = eventType`, PROTOCOL.md v1.2):
// `{"eventType":"notification-count","eventData":{"count":N}}`,
// `{"eventType":"stopwatches","eventData":[...]}` and `{"eventType":"logout"}`, the last only to the
// session that was signed out (a `logout` `elsewhere` has none). There is no hello, reply or error.
// Their page worker reconnects after every close but 3000, its "signed out" code, so an unknown or
// signed-out session is closed with 3000 after the upgrade rather than refused before it.
class EventTypeFormat final : public WireFormat
{
public:
    Payload encode(const QByteArray& json, const QByteArray& frame, const Identity& who) const override;
    quint16 closeCode(quint16 code) const override;
    bool refusesBeforeUpgrade() const override { return false; }

    // Close code for an unknown or signed-out session (the IANA-registered "Unauthorized").
    static constexpr quint16 kSignedOutCloseCode = 3000;

    // The message for one of PROTOCOL.md's (empty: none), without the per-thread cache encode() keeps.
    static QByteArray messageFor(const QByteArray& json);
};

} // namespace forgewire
