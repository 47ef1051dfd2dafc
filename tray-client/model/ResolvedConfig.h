#pragma once

#include "model/TrayController.h"
#include "model/TrayOptions.h"
#include "model/TraySettings.h"

#include <QByteArray>
#include <QString>
#include <QUrl>

#include <functional>

namespace forgewire {

// What a run of forgewire-tray connects with: the command line's overrides over the saved settings,
// and the token from FORGEWIRE_TOKEN, --token-file or, when neither is given, the keychain entry of
// the server URL. The tray and --headless both start from it; they differ only in what they do with
// the problems (the tray shows its settings, --headless exits with 2).
struct ResolvedConfig
{
    // How the keychain is read: TokenStore::read. A missing entry is an empty token without error.
    using TokenReader = std::function<void(
        const QUrl& server, std::function<void(const QByteArray& token, const QString& error)> done)>;

    TrayController::Config config;
    // Why config.serverUrl cannot be connected to; empty when it can.
    QString serverUrlProblem;
    // Why --token-file gave no token. The token is then empty: the keychain is not asked, since the
    // user named the token to use.
    QString tokenFileError;
    // Why the keychain gave no token; the token is then empty.
    QString keychainError;

    // The overrides over the saved settings, without a token. No server URL anywhere but a forge
    // URL: direct mode (the tray polls the forge itself); a server URL, given or saved, wins.
    static TrayController::Config merge(const TrayOptions& options, const TraySettings& saved);
    // The URL the account connects to (the server, or the forge in direct mode): the keychain keys
    // the account's token by it.
    static QUrl accountUrl(const TrayController::Config& config);
    // Why the account cannot connect; empty when it can.
    static QString urlProblem(const TrayController::Config& config);
    // Calls `done` once. At once (before returning) when the token comes from FORGEWIRE_TOKEN or
    // --token-file, when that file cannot be read, or when there is no usable server URL to look a
    // token up for (the keychain keys tokens by it); otherwise when `readKeychain` answers. So
    // serverUrlProblem and tokenFileError are always known by the time this returns.
    static void resolve(const TrayOptions& options, const TraySettings& saved,
                        const TokenReader& readKeychain,
                        const std::function<void(const ResolvedConfig&)>& done);
};

} // namespace forgewire
