#pragma once

#include <QList>
#include <QString>
#include <QUrl>

class QSettings;

namespace forgewire {

// The tray's settings. The token is deliberately not here: it lives in the system keychain
// (TokenStore), never in the plain-text settings file.
struct TraySettings
{
    QUrl serverUrl;              // ws:// or wss:// URL of forgewire-server's /-/ws
    QUrl forgeUrl;               // the forge's base URL, for links
    QList<qint64> watchedBoards; // project ids
    bool boardNotifications = true;

    static TraySettings load(QSettings& settings);
    void save(QSettings& settings) const;
    bool operator==(const TraySettings& o) const
    {
        return serverUrl == o.serverUrl && forgeUrl == o.forgeUrl && watchedBoards == o.watchedBoards &&
               boardNotifications == o.boardNotifications;
    }

    // Empty when `url` can be connected to, otherwise why not.
    static QString checkServerUrl(const QUrl& url);
    static QString checkForgeUrl(const QUrl& url);
    // "42, 57 108" -> {42, 57, 108}; `error` names the first entry that is not a project id.
    static QList<qint64> parseBoardList(const QString& text, QString* error = nullptr);
    static QString formatBoardList(const QList<qint64>& boards);
};

} // namespace forgewire
