#pragma once

#include <QByteArray>
#include <QString>

namespace forgewire {

// "Start at login" the freedesktop way: a .desktop file in $XDG_CONFIG_HOME/autostart. The Debian
// package also ships /etc/xdg/autostart/forgewire-tray.desktop (on for every user); a user turns it
// off with a Hidden=true entry of the same name in their own directory.
class Autostart
{
public:
    static inline const QString kFileName = QStringLiteral("forgewire-tray.desktop");
    // A desktop entry is a few hundred bytes; we never read more of one.
    static constexpr qint64 kMaxEntryBytes = 64 * 1024;

    // The user's entry (written or not).
    static QString desktopFilePath();
    // The system-wide entry in $XDG_CONFIG_DIRS/autostart, or empty when there is none.
    static QString systemFilePath();
    static bool isEnabled();
    // `executable` goes into Exec=; `error` says what failed.
    static bool setEnabled(bool enabled, const QString& executable, QString* error);
    static QByteArray desktopEntry(const QString& executable);
    static QByteArray hiddenEntry();
    static bool isHiddenEntry(const QString& path);
    // Quoted for an Exec= line (Desktop Entry Specification, "The Exec key").
    static QString quoteExecArgument(const QString& argument);
};

} // namespace forgewire
