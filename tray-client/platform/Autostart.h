#pragma once

#include <QByteArray>
#include <QString>

namespace forgewire {

// "Start at login" the freedesktop way: a .desktop file in $XDG_CONFIG_HOME/autostart.
class Autostart
{
public:
    static inline const QString kFileName = QStringLiteral("forgewire-tray.desktop");

    static QString desktopFilePath();
    static bool isEnabled();
    // `executable` goes into Exec=; `error` says what failed.
    static bool setEnabled(bool enabled, const QString& executable, QString* error);
    static QByteArray desktopEntry(const QString& executable);
    // Quoted for an Exec= line (Desktop Entry Specification, "The Exec key").
    static QString quoteExecArgument(const QString& argument);
};

} // namespace forgewire
