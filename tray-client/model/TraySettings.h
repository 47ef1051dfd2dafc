#pragma once

#include <QList>
#include <QString>
#include <QUrl>

class QSettings;

namespace forgewire {

// One account's settings (a server/forge pair). The token is deliberately not here: it lives in the
// system keychain (TokenStore, keyed by the server URL), never in the plain-text settings file. All
// accounts are in SavedAccounts.
struct TraySettings
{
    QString name;                // the menu section's title; empty: the server's host
    QUrl serverUrl;              // ws:// or wss:// URL of forgewire-server's /-/ws
    QUrl forgeUrl;               // the forge's base URL, for links
    QList<qint64> watchedBoards; // project ids
    bool boardNotifications = true;

    // The first account (what --headless and the command-line overrides use).
    static TraySettings load(QSettings& settings);
    // As the only account.
    void save(QSettings& settings) const;
    QString displayName() const;
    // "Forge directly" (no server: the tray polls the forge itself) rather than "Forgewire server".
    bool isDirect() const { return serverUrl.isEmpty() && !forgeUrl.isEmpty(); }
    // What the account connects to, and keys its token by: the server, or the forge in direct mode.
    QUrl accountUrl() const { return isDirect() ? forgeUrl : serverUrl; }
    // Why an account of this kind cannot be used with these URLs; empty when it can.
    static QString checkAccount(const QUrl& serverUrl, const QUrl& forgeUrl, bool direct);
    bool operator==(const TraySettings& o) const
    {
        return name == o.name && serverUrl == o.serverUrl && forgeUrl == o.forgeUrl &&
               watchedBoards == o.watchedBoards && boardNotifications == o.boardNotifications;
    }

    // Empty when `url` can be connected to, otherwise why not.
    static QString checkServerUrl(const QUrl& url);
    static QString checkForgeUrl(const QUrl& url);
    // "42, 57 108" -> {42, 57, 108}; `error` names the first entry that is not a project id.
    static QList<qint64> parseBoardList(const QString& text, QString* error = nullptr);
    static QString formatBoardList(const QList<qint64>& boards);
};

} // namespace forgewire
