#pragma once

#include "model/TraySettings.h"

#include <QList>
#include <QString>

class QSettings;

namespace forgewire {

// Every account the tray connects to, in menu order. Stored as the QSettings array `accounts`; the
// single-account keys of earlier versions (server/url, forge/url, boards/...) are migrated into the
// first account on load, without asking, and removed so there is one truth.
struct SavedAccounts
{
    // An account per server URL: the keychain keys tokens by it, and the process shares one
    // connection per URL, so two accounts on one URL would fight over the token.
    static constexpr int kMaxAccounts = 16;

    QList<TraySettings> accounts;

    static SavedAccounts load(QSettings& settings);
    void save(QSettings& settings) const;
    bool operator==(const SavedAccounts& o) const { return accounts == o.accounts; }

    // Empty when every account can be saved; otherwise the first problem, naming the account.
    static QString check(const QList<TraySettings>& accounts);
    // True when `settings` still has the single-account layout of earlier versions.
    static bool needsMigration(QSettings& settings);
};

} // namespace forgewire
