#include "model/TraySettings.h"

#include <QRegularExpression>
#include <QSettings>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

const QString kServerUrl = u"server/url"_s;
const QString kForgeUrl = u"forge/url"_s;
const QString kBoards = u"boards/watched"_s;
const QString kBoardNotifications = u"boards/notifications"_s;

} // namespace

TraySettings TraySettings::load(QSettings& settings)
{
    TraySettings s;
    s.serverUrl = QUrl(settings.value(kServerUrl).toString());
    s.forgeUrl = QUrl(settings.value(kForgeUrl).toString());
    s.watchedBoards = parseBoardList(settings.value(kBoards).toString());
    s.boardNotifications = settings.value(kBoardNotifications, true).toBool();
    return s;
}

void TraySettings::save(QSettings& settings) const
{
    settings.setValue(kServerUrl, serverUrl.toString());
    settings.setValue(kForgeUrl, forgeUrl.toString());
    settings.setValue(kBoards, formatBoardList(watchedBoards));
    settings.setValue(kBoardNotifications, boardNotifications);
}

QString TraySettings::checkServerUrl(const QUrl& url)
{
    if (url.isEmpty())
        return QObject::tr("No server URL set.");
    if (!url.isValid() || url.host().isEmpty())
        return QObject::tr("“%1” is not a valid URL.").arg(url.toString());
    if (url.scheme() != "ws"_L1 && url.scheme() != "wss"_L1)
        return QObject::tr(
            "The server URL must start with ws:// or wss://, e.g. wss://forge.example.org/-/ws.");
    if (url.hasQuery())
        return QObject::tr("Put the token in the token field, not in the server URL.");
    return {};
}

QString TraySettings::checkForgeUrl(const QUrl& url)
{
    if (url.isEmpty())
        return {}; // optional: without it there are no links
    if (!url.isValid() || url.host().isEmpty() || (url.scheme() != "http"_L1 && url.scheme() != "https"_L1))
        return QObject::tr(
            "The forge URL must be an http:// or https:// address, e.g. https://codeberg.org.");
    return {};
}

QList<qint64> TraySettings::parseBoardList(const QString& text, QString* error)
{
    QList<qint64> boards;
    static const QRegularExpression separators(u"[,;\\s]+"_s);
    for (const QString& part : text.split(separators, Qt::SkipEmptyParts)) {
        bool ok = false;
        const qint64 id = part.toLongLong(&ok);
        if (!ok || id <= 0) {
            if (error && error->isEmpty())
                *error = QObject::tr("“%1” is not a project id.").arg(part);
            continue;
        }
        if (!boards.contains(id))
            boards.append(id);
    }
    return boards;
}

QString TraySettings::formatBoardList(const QList<qint64>& boards)
{
    QStringList parts;
    for (qint64 id : boards)
        parts.append(QString::number(id));
    return parts.join(u", "_s);
}

} // namespace forgewire
