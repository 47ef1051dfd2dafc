#include "ui/TrayApplication.h"

#include "app/TrayLogging.h"
#include "model/ResolvedConfig.h"
#include "platform/Autostart.h"
#include "ui/SettingsDialog.h"
#include "ui/TrayIcon.h"

#include <QApplication>
#include <QMessageBox>
#include <QSettings>
#include <QSystemTrayIcon>

namespace forgewire {

using namespace Qt::StringLiterals;

TrayApplication::TrayApplication(const TrayOptions& options, QObject* parent)
    : QObject(parent), m_options(options), m_instance(u"forgewire-tray"_s)
{}

TrayApplication::~TrayApplication() = default;

bool TrayApplication::start()
{
    if (!m_instance.acquire()) {
        qCInfo(lcTray) << "forgewire-tray already runs; asked it to show its settings";
        return false;
    }
    connect(&m_instance, &SingleInstance::activationRequested, this, &TrayApplication::showSettings);

    m_icon = std::make_unique<TrayIcon>(&m_controller);
    connect(m_icon.get(), &TrayIcon::settingsRequested, this, &TrayApplication::showSettings);
    connect(m_icon.get(), &TrayIcon::quitRequested, qApp, &QCoreApplication::quit);
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        qCWarning(lcTray) << "no system tray yet; the icon appears when one starts";
    m_icon->show();

    QSettings settings;
    m_settings = TraySettings::load(settings);

    // A problem with the server URL opens the settings below; the keychain logged its own error.
    ResolvedConfig::resolve(
        m_options, m_settings,
        [this](const QUrl& server, TokenStore::ReadDone done) { m_tokens.read(server, std::move(done)); },
        [this](const ResolvedConfig& resolved) {
            if (!resolved.tokenFileError.isEmpty())
                qCWarning(lcTray).noquote() << resolved.tokenFileError;
            connectWithToken(resolved.config.token);
        });
    if (m_options.openSettings || !TraySettings::checkServerUrl(configFor({}).serverUrl).isEmpty())
        showSettings();
    return true;
}

TrayController::Config TrayApplication::configFor(const QByteArray& token) const
{
    TrayController::Config config = ResolvedConfig::merge(m_options, m_settings);
    config.token = token;
    return config;
}

void TrayApplication::connectWithToken(const QByteArray& token)
{
    m_controller.configure(configFor(token));
    if (!m_controller.isRunning())
        m_controller.start();
}

void TrayApplication::showSettings()
{
    if (m_dialog) {
        m_dialog->raise();
        m_dialog->activateWindow();
        return;
    }
    m_dialog = new SettingsDialog(m_settings, !m_controller.config().token.isEmpty(), Autostart::isEnabled());
    m_dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_dialog, &QDialog::accepted, this, [this] { applyDialog(m_dialog); });
    m_dialog->show();
    m_dialog->raise();
    m_dialog->activateWindow();
}

void TrayApplication::applyDialog(SettingsDialog* dialog)
{
    // The keychain keys the token by server URL, so a changed URL takes the stored token along.
    const QUrl previousServer = m_settings.serverUrl;
    m_settings = dialog->settings();
    QSettings settings;
    m_settings.save(settings);
    // The dialog edits the saved settings; command-line overrides were for the start only.
    m_options.serverUrl.reset();
    m_options.forgeUrl.reset();
    m_options.watchedBoards.reset();

    QString error;
    if (!Autostart::setEnabled(dialog->autostart(), QCoreApplication::applicationFilePath(), &error))
        QMessageBox::warning(nullptr, tr("Forgewire"), error);

    const std::optional<QByteArray> token = dialog->newToken();
    const QUrl server = m_settings.serverUrl;
    if (!token) {
        const QByteArray current = m_controller.config().token;
        m_tokens.move(previousServer, server, [current](const QString& moveError) {
            // Without a token in use the user has nothing to lose.
            if (!moveError.isEmpty() && !current.isEmpty())
                QMessageBox::warning(nullptr, tr("Forgewire"),
                                     tr("The token could not be stored in the keychain for the new server "
                                        "URL (%1). It is used for this session only.")
                                         .arg(moveError));
        });
        m_controller.configure(configFor(current));
        signInIfNeeded();
        return;
    }
    m_tokens.write(server, *token, [this, token = *token, server, previousServer](const QString& writeError) {
        if (!writeError.isEmpty()) {
            QMessageBox::warning(nullptr, tr("Forgewire"),
                                 tr("The token could not be stored in the keychain (%1). It is used for "
                                    "this session only.")
                                     .arg(writeError));
        } else if (!previousServer.isEmpty() &&
                   TokenStore::keyFor(previousServer) != TokenStore::keyFor(server)) {
            // Replaced or forgotten together with the URL: the old URL's entry would only be a stale copy.
            m_tokens.write(previousServer, {}, [](const QString&) {});
        }
        m_controller.configure(configFor(token));
        signInIfNeeded();
    });
}

void TrayApplication::signInIfNeeded()
{
    // Saving the settings is how a signed-out or refused user signs in again.
    const TrayState::Status status = m_controller.state().status();
    if (status == TrayState::Status::SignedOut || status == TrayState::Status::Unauthorized ||
        !m_controller.isRunning())
        m_controller.signInAgain();
}

} // namespace forgewire
