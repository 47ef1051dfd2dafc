#include "platform/Autostart.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>

#include <algorithm>

namespace forgewire {

using namespace Qt::StringLiterals;

QString Autostart::desktopFilePath()
{
    const QString config = QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation);
    return config + u"/autostart/"_s + kFileName;
}

QString Autostart::systemFilePath()
{
    // $XDG_CONFIG_DIRS (the package's /etc/xdg/autostart entry), never the user's own directory.
    const QString user = QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation);
    for (const QString& dir : QStandardPaths::standardLocations(QStandardPaths::GenericConfigLocation)) {
        if (dir == user)
            continue;
        const QString path = dir + u"/autostart/"_s + kFileName;
        if (QFileInfo::exists(path))
            return path;
    }
    return {};
}

bool Autostart::isHiddenEntry(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return false;
    // Desktop Entry Specification: Hidden=true means "deleted"; an entry of the same name in the
    // user's directory hides the system one (XDG autostart, "Implementation notes").
    const QList<QByteArray> lines = file.read(kMaxEntryBytes).split('\n');
    return std::any_of(lines.cbegin(), lines.cend(),
                       [](const QByteArray& line) { return line.trimmed() == "Hidden=true"; });
}

bool Autostart::isEnabled()
{
    const QString user = desktopFilePath();
    if (QFileInfo::exists(user))
        return !isHiddenEntry(user);
    return !systemFilePath().isEmpty();
}

QString Autostart::quoteExecArgument(const QString& argument)
{
    static const QString reserved = u" \t\n\"'\\><~|&;$*?#()`"_s;
    if (!std::any_of(argument.cbegin(), argument.cend(), [](QChar c) { return reserved.contains(c); }))
        return argument;
    QString quoted;
    for (const QChar c : argument) {
        if (c == u'"' || c == u'`' || c == u'$' || c == u'\\')
            quoted += u'\\';
        quoted += c;
    }
    return u'"' + quoted + u'"';
}

QByteArray Autostart::desktopEntry(const QString& executable)
{
    return QStringList{
        u"[Desktop Entry]"_s,
        u"Type=Application"_s,
        u"Name=Forgewire"_s,
        u"Comment=Live forge notifications, stopwatches and boards"_s,
        u"Exec=%1"_s.arg(quoteExecArgument(executable)),
        u"Icon=forgewire-tray"_s,
        u"Terminal=false"_s,
        u"Categories=Development;Network;"_s,
        u"X-GNOME-Autostart-enabled=true"_s,
        QString(),
    }
        .join(u'\n')
        .toUtf8();
}

QByteArray Autostart::hiddenEntry()
{
    return QByteArrayLiteral("[Desktop Entry]\nType=Application\nName=Forgewire\nHidden=true\n");
}

bool Autostart::setEnabled(bool enabled, const QString& executable, QString* error)
{
    const QString path = desktopFilePath();
    const bool systemEntry = !systemFilePath().isEmpty();
    if (!enabled && !systemEntry) {
        if (QFile::exists(path) && !QFile::remove(path)) {
            *error = QObject::tr("Cannot remove %1.").arg(path);
            return false;
        }
        return true;
    }
    if (!QDir().mkpath(QFileInfo(path).absolutePath())) {
        *error = QObject::tr("Cannot create %1.").arg(QFileInfo(path).absolutePath());
        return false;
    }
    // Off while the package starts the tray for everyone: this user's hiding entry.
    const QByteArray entry = enabled ? desktopEntry(executable) : hiddenEntry();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(entry) < 0 || !file.commit()) {
        *error = QObject::tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

} // namespace forgewire
