#pragma once

#include "format/WireFormat.h"

namespace forgewire {

// The events of `GET <prefix>/user/events` (PROTOCOL.md v1.2, Forge drop-in), as released Gitea and
// Forgejo pages read them: `event: NAME`, `data: ...`, a blank line, with Gitea's data shapes.
// `notification-count` carries `{"UserID":N,"Count":N}` (Gitea's UserIDCount), `stopwatches` the
// JSON list, `logout` the bare word `here` or `elsewhere`, and a board event (for the project-board
// pages of Gitea forks) is named by its topic with the event's fields flat beside `type` and
// `project_id`. SSE has no hello, replies or errors, and application events are not sent on it: any
// other message has no event.
class EventStreamFormat final : public WireFormat
{
public:
    Payload encode(const QByteArray& json, const QByteArray& frame, const Identity& who) const override;
    bool readsEveryBoard() const override { return true; }

    // The event for one message (empty: none), without the per-thread cache encode() keeps.
    static QByteArray eventFor(const QByteArray& json, qint64 userId);
};

} // namespace forgewire
