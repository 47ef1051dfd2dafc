#pragma once

#include "forge/ForgeActions.h"
#include "model/TrayState.h"

#include <QColor>
#include <QIcon>
#include <QImage>

namespace forgewire {

// The tray icon: the SVG for the connection state with the unread count painted on as a badge.
class TrayIconPainter
{
public:
    enum class Look
    {
        Connected,
        Reconnecting,
        Disconnected
    };

    static inline const QColor kBadgeColor = QColor(0xd7, 0x3a, 0x49);
    static inline const QColor kBadgeTextColor = Qt::white;
    // Share of the icon's height the badge takes: legible at 22 px, leaves the glyph recognisable.
    static constexpr qreal kBadgeHeight = 0.58;
    // Sizes QIcon gets rendered at; tray hosts pick one.
    static constexpr int kIconSizes[] = {16, 22, 24, 32, 48, 64, 128};

    static Look lookFor(TrayState::Status status);
    static QString svgPath(Look look);
    // `badge` as from TrayState::badgeText(); empty: no badge.
    static QImage render(Look look, const QString& badge, int size, qreal devicePixelRatio = 1.0);
    static QIcon icon(Look look, const QString& badge);
    // The menu icon of a listed notification: a tile with the kind's letter (I, P, C, R) in the kind's
    // colour, drawn rather than taken from an icon theme, which a tray host may not have.
    static QIcon kindIcon(ForgeNotification::Kind kind);
    // Where the badge goes on an icon of `size` pixels.
    static QRectF badgeRect(const QString& badge, int size);
};

} // namespace forgewire
