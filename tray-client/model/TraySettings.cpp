#include "model/TraySettings.h"

#include "model/SavedAccounts.h"

#include <QRegularExpression>
#include <QSettings>

namespace forgewire {

using namespace Qt::StringLiterals;

TraySettings TraySettings::load(QSettings& settings)
{
    return SavedAccounts::load(settings).accounts.value(0);
}

void TraySettings::save(QSettings& settings) const
{
    SavedAccounts{{*this}}.save(settings);
}

QString TraySettings::displayName() const
{
    if (!name.trimmed().isEmpty())
        return name.trimmed();
    if (!serverUrl.host().isEmpty())
        return serverUrl.host();
    if (!forgeUrl.host().isEmpty())
        return forgeUrl.host();
    return QObject::tr("New account");
}

QString TraySettings::checkAccount(const QUrl& serverUrl, const QUrl& forgeUrl, bool direct)
{
    if (!direct) {
        if (const QString problem = checkServerUrl(serverUrl); !problem.isEmpty())
            return problem;
        return checkForgeUrl(forgeUrl);
    }
    if (forgeUrl.isEmpty())
        return QObject::tr("Connecting to the forge directly needs its URL, e.g. https://codeberg.org.");
    return checkForgeUrl(forgeUrl);
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
