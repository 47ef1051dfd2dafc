#include "app/HeadlessRunner.h"

#include "app/HeadlessPrinter.h"
#include "app/TrayLogging.h"
#include "model/ResolvedConfig.h"
#include "model/TrayController.h"
#include "model/TraySettings.h"
#include "platform/TokenStore.h"

#include <QSettings>

#include <memory>

namespace forgewire {

using namespace Qt::StringLiterals;

HeadlessRunner::HeadlessRunner(const TrayOptions& options, QIODevice* out, QObject* parent)
    : QObject(parent), m_options(options), m_controller(std::make_unique<TrayController>()),
      m_printer(std::make_unique<HeadlessPrinter>(options.format, out, &m_controller->state()))
{
    connect(m_controller.get(), &TrayController::messageReceived, m_printer.get(), &HeadlessPrinter::print);
    m_printer->setBoards(&m_controller->liveBoards());
}

HeadlessRunner::~HeadlessRunner() = default;

QString HeadlessRunner::start()
{
    QSettings settings;
    m_tokens = new TokenStore(this);
    m_tokens->useFile(TokenStore::chosenFile());
    const TraySettings saved = TraySettings::load(settings);
    QString tokenFileError;
    const bool tokenGiven = m_options.tokenOverride(&tokenFileError).has_value() || !tokenFileError.isEmpty();
    const bool serverUsable = ResolvedConfig::urlProblem(ResolvedConfig::merge(m_options, saved)).isEmpty();
    if (serverUsable && !tokenGiven && !m_tokens->usesFile()) {
        // Without a keyring no token can come from it: connecting anonymously would hide that.
        if (const QString problem = TokenStore::keyringProblem(); !problem.isEmpty()) {
            qCWarning(lcTray).noquote() << "no keyring found:" << problem;
            return u"no keyring found: %1. Give a token with FORGEWIRE_TOKEN or --token-file, or choose "
                   "the plain-text token file in the tray's Settings."_s.arg(problem);
        }
    }
    // Both problems are known before resolve() returns (see there), so start() can report them.
    const auto error = std::make_shared<QString>();
    ResolvedConfig::resolve(
        m_options, saved,
        [tokens = m_tokens](const QUrl& server, TokenStore::ReadDone done) {
            tokens->read(server, std::move(done));
        },
        [this, error](const ResolvedConfig& resolved) {
            if (!resolved.serverUrlProblem.isEmpty()) {
                *error = resolved.serverUrlProblem + u" Use --server or the tray's Settings."_s;
                return;
            }
            if (!resolved.tokenFileError.isEmpty()) {
                *error = resolved.tokenFileError;
                return;
            }
            if (!resolved.keychainError.isEmpty())
                qCWarning(lcTray) << "no token from the keychain (" << resolved.keychainError
                                  << "); connecting anonymously";
            TrayController::Config config = resolved.config;
            config.boardNotifications = false; // nothing to show them on; json output carries the events
            config.notificationList = false;   // no menu to list them in
            m_controller->configure(config);
            m_controller->start();
        });
    return *error;
}

} // namespace forgewire
