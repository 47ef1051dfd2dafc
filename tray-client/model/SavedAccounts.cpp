#include "model/SavedAccounts.h"

#include "app/TrayLogging.h"
#include "platform/TokenStore.h"

#include <QSet>
#include <QSettings>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

const QString kArray = u"accounts"_s;
const QString kName = u"name"_s;
const QString kServerUrl = u"server_url"_s;
const QString kForgeUrl = u"forge_url"_s;
const QString kBoards = u"boards"_s;
const QString kBoardNotifications = u"board_notifications"_s;

// The layout before several accounts (one account, top-level keys).
const QString kLegacyServerUrl = u"server/url"_s;
const QString kLegacyForgeUrl = u"forge/url"_s;
const QString kLegacyBoards = u"boards/watched"_s;
const QString kLegacyBoardNotifications = u"boards/notifications"_s;

TraySettings readLegacy(QSettings& settings)
{
    TraySettings s;
    s.serverUrl = QUrl(settings.value(kLegacyServerUrl).toString());
    s.forgeUrl = QUrl(settings.value(kLegacyForgeUrl).toString());
    s.watchedBoards = TraySettings::parseBoardList(settings.value(kLegacyBoards).toString());
    s.boardNotifications = settings.value(kLegacyBoardNotifications, true).toBool();
    return s;
}

} // namespace

bool SavedAccounts::needsMigration(QSettings& settings)
{
    return !settings.contains(kArray + u"/size"_s) &&
           (settings.contains(kLegacyServerUrl) || settings.contains(kLegacyForgeUrl) ||
            settings.contains(kLegacyBoards) || settings.contains(kLegacyBoardNotifications));
}

SavedAccounts SavedAccounts::load(QSettings& settings)
{
    if (needsMigration(settings)) {
        SavedAccounts migrated{{readLegacy(settings)}};
        // Written back at once so the old keys go away only once the new ones are there.
        migrated.save(settings);
        settings.sync();
        if (settings.status() == QSettings::NoError) {
            for (const QString& key :
                 {kLegacyServerUrl, kLegacyForgeUrl, kLegacyBoards, kLegacyBoardNotifications})
                settings.remove(key);
            qCInfo(lcTray) << "settings migrated to the several-accounts layout";
        } else {
            qCWarning(lcTray) << "could not write the migrated settings; the old ones stay";
        }
        return migrated;
    }
    SavedAccounts saved;
    const int size = std::min(settings.beginReadArray(kArray), kMaxAccounts);
    for (int i = 0; i < size; ++i) {
        settings.setArrayIndex(i);
        TraySettings s;
        s.name = settings.value(kName).toString();
        s.serverUrl = QUrl(settings.value(kServerUrl).toString());
        s.forgeUrl = QUrl(settings.value(kForgeUrl).toString());
        s.watchedBoards = TraySettings::parseBoardList(settings.value(kBoards).toString());
        s.boardNotifications = settings.value(kBoardNotifications, true).toBool();
        saved.accounts.append(s);
    }
    settings.endArray();
    return saved;
}

void SavedAccounts::save(QSettings& settings) const
{
    settings.remove(kArray); // a shorter list must not keep the old tail
    settings.beginWriteArray(kArray, int(accounts.size()));
    for (int i = 0; i < accounts.size(); ++i) {
        const TraySettings& s = accounts.at(i);
        settings.setArrayIndex(i);
        settings.setValue(kName, s.name);
        settings.setValue(kServerUrl, s.serverUrl.toString());
        settings.setValue(kForgeUrl, s.forgeUrl.toString());
        settings.setValue(kBoards, TraySettings::formatBoardList(s.watchedBoards));
        settings.setValue(kBoardNotifications, s.boardNotifications);
    }
    settings.endArray();
}

QString SavedAccounts::check(const QList<TraySettings>& accounts)
{
    if (accounts.size() > kMaxAccounts)
        return QObject::tr("At most %1 accounts are supported.").arg(kMaxAccounts);
    QSet<QString> servers;
    for (const TraySettings& account : accounts) {
        const QString problem =
            TraySettings::checkAccount(account.serverUrl, account.forgeUrl, account.isDirect());
        if (!problem.isEmpty())
            return QObject::tr("%1: %2").arg(account.displayName(), problem);
        // Tokens are keyed by it: two accounts on one URL would share one.
        const QString key = TokenStore::keyFor(account.accountUrl());
        if (servers.contains(key))
            return account.isDirect() ? QObject::tr("%1: another account already uses this forge directly.")
                                            .arg(account.displayName())
                                      : QObject::tr("%1: another account already uses this server URL.")
                                            .arg(account.displayName());
        servers.insert(key);
    }
    return {};
}

} // namespace forgewire
