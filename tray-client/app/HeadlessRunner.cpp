#include "app/HeadlessRunner.h"

#include "app/HeadlessPrinter.h"
#include "app/TrayLogging.h"
#include "model/TrayController.h"
#include "model/TraySettings.h"
#include "platform/TokenStore.h"

#include <QSettings>

namespace forgewire {

using namespace Qt::StringLiterals;

HeadlessRunner::HeadlessRunner(const TrayOptions& options, QIODevice* out, QObject* parent)
    : QObject(parent), m_options(options), m_controller(std::make_unique<TrayController>()),
      m_printer(std::make_unique<HeadlessPrinter>(options.format, out, &m_controller->state()))
{
    connect(m_controller.get(), &TrayController::messageReceived, m_printer.get(), &HeadlessPrinter::print);
}

HeadlessRunner::~HeadlessRunner() = default;

QString HeadlessRunner::start()
{
    QSettings settings;
    TraySettings saved = TraySettings::load(settings);
    TrayController::Config config;
    config.serverUrl = m_options.serverUrl.value_or(saved.serverUrl);
    config.forgeUrl = m_options.forgeUrl.value_or(saved.forgeUrl);
    config.watchedBoards = m_options.watchedBoards.value_or(saved.watchedBoards);
    config.boardNotifications = false; // nothing to show them on; json output carries the events
    if (const QString problem = TraySettings::checkServerUrl(config.serverUrl); !problem.isEmpty())
        return problem + u" Use --server or the tray's Settings."_s;
    m_controller->configure(config);

    QString error;
    if (const std::optional<QByteArray> token = m_options.tokenOverride(&error)) {
        run(*token);
        return {};
    }
    if (!error.isEmpty())
        return error;
    m_tokens = new TokenStore(this);
    m_tokens->read(config.serverUrl, [this](const QByteArray& token, const QString& readError) {
        if (!readError.isEmpty())
            qCWarning(lcTray) << "no token from the keychain (" << readError << "); connecting anonymously";
        run(token);
    });
    return {};
}

void HeadlessRunner::run(const QByteArray& token)
{
    TrayController::Config config = m_controller->config();
    config.token = token;
    m_controller->configure(config);
    m_controller->start();
}

} // namespace forgewire
