#include "model/ResolvedConfig.h"

namespace forgewire {

TrayController::Config ResolvedConfig::merge(const TrayOptions& options, const TraySettings& saved)
{
    TrayController::Config config;
    config.serverUrl = options.serverUrl.value_or(saved.serverUrl);
    config.forgeUrl = options.forgeUrl.value_or(saved.forgeUrl);
    config.watchedBoards = options.watchedBoards.value_or(saved.watchedBoards);
    config.boardNotifications = saved.boardNotifications;
    config.direct = config.serverUrl.isEmpty() && !config.forgeUrl.isEmpty();
    return config;
}

QUrl ResolvedConfig::accountUrl(const TrayController::Config& config)
{
    return config.direct ? config.forgeUrl : config.serverUrl;
}

QString ResolvedConfig::urlProblem(const TrayController::Config& config)
{
    return config.direct ? TraySettings::checkForgeUrl(config.forgeUrl)
                         : TraySettings::checkServerUrl(config.serverUrl);
}

void ResolvedConfig::resolve(const TrayOptions& options, const TraySettings& saved,
                             const TokenReader& readKeychain,
                             const std::function<void(const ResolvedConfig&)>& done)
{
    ResolvedConfig resolved;
    resolved.config = merge(options, saved);
    resolved.serverUrlProblem = urlProblem(resolved.config);
    if (const std::optional<QByteArray> token = options.tokenOverride(&resolved.tokenFileError)) {
        resolved.config.token = *token;
        done(resolved);
        return;
    }
    if (!resolved.tokenFileError.isEmpty() || !resolved.serverUrlProblem.isEmpty()) {
        done(resolved);
        return;
    }
    readKeychain(accountUrl(resolved.config),
                 [resolved, done](const QByteArray& token, const QString& error) mutable {
                     resolved.config.token = token;
                     resolved.keychainError = error;
                     done(resolved);
                 });
}

} // namespace forgewire
