#pragma once

#include <QString>

#include <optional>

namespace forgewire {

// What the forge's own pages read on /-/ws once signed in by the forge's session cookie
// (`[forge] page_format`, PROTOCOL.md v1.2 "Forge drop-in"). Token-authenticated clients always get
// PROTOCOL.md's messages.
enum class PageFormat
{
    // The pages of Gitea's WebSocket PR: PROTOCOL.md's messages (`"type":...`); an unknown or
    // signed-out cookie is refused with 401 before the upgrade.
    Type,
    // The newest Gitea pages: `{"eventType":...,"eventData":...}`, see EventTypeFormat.
    EventType,
};

namespace pageformat {

// The setting's value for `format`, and back (nullopt for an unknown name).
QString name(PageFormat format);
std::optional<PageFormat> fromName(const QString& name);

} // namespace pageformat

} // namespace forgewire
