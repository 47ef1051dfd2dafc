#include "platform/Autostart.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>

namespace forgewire {

using namespace Qt::StringLiterals;

QString Autostart::desktopFilePath()
{
    const QString config = QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation);
    return config + u"/autostart/"_s + kFileName;
}

bool Autostart::isEnabled()
{
    return QFileInfo::exists(desktopFilePath());
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

bool Autostart::setEnabled(bool enabled, const QString& executable, QString* error)
{
    const QString path = desktopFilePath();
    if (!enabled) {
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
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(desktopEntry(executable)) < 0 || !file.commit()) {
        *error = QObject::tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

} // namespace forgewire
