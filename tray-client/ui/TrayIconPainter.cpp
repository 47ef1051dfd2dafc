#include "ui/TrayIconPainter.h"

#include <QFont>
#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>
#include <QSvgRenderer>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

QFont badgeFont(int size, const QString& badge)
{
    QFont font;
    font.setBold(true);
    // Three characters ("99+") get a smaller font so the badge stays inside the icon.
    const qreal pixels = size * TrayIconPainter::kBadgeHeight * (badge.size() > 2 ? 0.66 : 0.78);
    font.setPixelSize(std::max(6, int(pixels)));
    return font;
}

} // namespace

TrayIconPainter::Look TrayIconPainter::lookFor(TrayState::Status status)
{
    switch (status) {
    case TrayState::Status::Connected:
        return Look::Connected;
    case TrayState::Status::Connecting:
    case TrayState::Status::Reconnecting:
        return Look::Reconnecting;
    case TrayState::Status::Offline:
    case TrayState::Status::Unauthorized:
    case TrayState::Status::SignedOut:
        return Look::Disconnected;
    }
    return Look::Disconnected;
}

QString TrayIconPainter::svgPath(Look look)
{
    switch (look) {
    case Look::Connected:
        return u":/forgewire/icons/forgewire-tray.svg"_s;
    case Look::Reconnecting:
        return u":/forgewire/icons/forgewire-tray-reconnecting.svg"_s;
    case Look::Disconnected:
        return u":/forgewire/icons/forgewire-tray-disconnected.svg"_s;
    }
    return {};
}

QRectF TrayIconPainter::badgeRect(const QString& badge, int size)
{
    if (badge.isEmpty())
        return {};
    const qreal height = size * kBadgeHeight;
    const QFontMetricsF metrics(badgeFont(size, badge));
    const qreal width =
        std::min<qreal>(size, std::max(height, metrics.horizontalAdvance(badge) + height * 0.4));
    return QRectF(size - width, 0, width, height);
}

QImage TrayIconPainter::render(Look look, const QString& badge, int size, qreal devicePixelRatio)
{
    const int pixels = qRound(size * devicePixelRatio);
    QImage image(pixels, pixels, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::transparent);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.scale(devicePixelRatio, devicePixelRatio);
    QSvgRenderer svg(svgPath(look));
    svg.render(&painter, QRectF(0, 0, size, size));

    if (!badge.isEmpty()) {
        const QRectF rect = badgeRect(badge, size);
        QPainterPath pill;
        pill.addRoundedRect(rect, rect.height() / 2, rect.height() / 2);
        // A thin outline keeps the badge readable on any panel colour.
        painter.setPen(QPen(QColor(255, 255, 255, 220), std::max(1.0, size / 32.0)));
        painter.setBrush(kBadgeColor);
        painter.drawPath(pill);
        painter.setPen(kBadgeTextColor);
        painter.setFont(badgeFont(size, badge));
        painter.drawText(rect, Qt::AlignCenter, badge);
    }
    painter.end();
    image.setDevicePixelRatio(devicePixelRatio);
    return image;
}

QIcon TrayIconPainter::icon(Look look, const QString& badge)
{
    QIcon icon;
    for (int size : kIconSizes)
        icon.addPixmap(QPixmap::fromImage(render(look, badge, size)));
    return icon;
}

QIcon TrayIconPainter::kindIcon(ForgeNotification::Kind kind)
{
    struct Style
    {
        QChar letter;
        QColor colour;
    };
    // Gitea's own hues: open issue green, pull request purple, commit grey, release blue.
    const Style style = kind == ForgeNotification::Kind::Issue     ? Style{u'I', QColor(0x21, 0xba, 0x45)}
                        : kind == ForgeNotification::Kind::Pull    ? Style{u'P', QColor(0x8e, 0x44, 0xad)}
                        : kind == ForgeNotification::Kind::Commit  ? Style{u'C', QColor(0x60, 0x60, 0x60)}
                        : kind == ForgeNotification::Kind::Release ? Style{u'R', QColor(0x2f, 0x6f, 0xdb)}
                                                                   : Style{u'•', QColor(0x90, 0x90, 0x90)};
    QIcon icon;
    for (const int size : {16, 22, 32}) {
        QImage image(size, size, QImage::Format_ARGB32_Premultiplied);
        image.fill(Qt::transparent);
        QPainter painter(&image);
        painter.setRenderHint(QPainter::Antialiasing);
        painter.setPen(Qt::NoPen);
        painter.setBrush(style.colour);
        painter.drawRoundedRect(QRectF(0.5, 0.5, size - 1, size - 1), size / 5.0, size / 5.0);
        QFont font = painter.font();
        font.setBold(true);
        font.setPixelSize(int(size * 0.7));
        painter.setFont(font);
        painter.setPen(Qt::white);
        painter.drawText(QRect(0, 0, size, size), Qt::AlignCenter, QString(style.letter));
        painter.end();
        icon.addPixmap(QPixmap::fromImage(image));
    }
    return icon;
}

} // namespace forgewire
