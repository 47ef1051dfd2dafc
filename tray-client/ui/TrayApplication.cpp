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

TrayApplication::~TrayApplication()
{
    // The icon's sections refer to the controllers: it goes first.
    m_icon.reset();
    m_running.clear();
}

bool TrayApplication::start()
{
    if (!m_instance.acquire()) {
        qCInfo(lcTray) << "forgewire-tray already runs; asked it to show its settings";
        return false;
    }
    connect(&m_instance, &SingleInstance::activationRequested, this, &TrayApplication::showSettings);

    QSettings settings;
    m_saved = SavedAccounts::load(settings);
    m_quiet = DoNotDisturb::load(settings);
    m_tokens.useFile(TokenStore::chosenFile());
    // Command-line overrides apply to the first account; with none saved they make one.
    if (m_saved.accounts.isEmpty() && (m_options.serverUrl || m_options.forgeUrl))
        m_saved.accounts.append(TraySettings{});

    m_icon = std::make_unique<TrayIcon>(&m_accounts);
    m_icon->gate().setRules(m_quiet);
    connect(m_icon.get(), &TrayIcon::settingsRequested, this, &TrayApplication::showSettings);
    connect(m_icon.get(), &TrayIcon::quitRequested, qApp, &QCoreApplication::quit);
    connect(m_icon.get(), &TrayIcon::doNotDisturbChanged, this, [this](const DoNotDisturb& rules) {
        m_quiet = rules;
        QSettings settings;
        m_quiet.save(settings);
    });
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        qCWarning(lcTray) << "no system tray yet; the icon appears when one starts";
    m_icon->show();

    bool problem = m_saved.accounts.isEmpty();
    for (int i = 0; i < m_saved.accounts.size(); ++i) {
        const TrayController::Config config = configFor(i, {});
        TrayController* controller =
            addController(config, m_saved.accounts.at(i).displayName(), ResolvedConfig::accountUrl(config));
        problem |= !ResolvedConfig::urlProblem(config).isEmpty();
        const auto connectWith = [controller =
                                      QPointer<TrayController>(controller)](const QByteArray& token) {
            if (!controller)
                return;
            TrayController::Config c = controller->config();
            c.token = token;
            controller->configure(c);
            if (!controller->isRunning())
                controller->start();
        };
        if (i == 0) {
            // A problem with the server URL opens the settings below; the keychain logged its own error.
            ResolvedConfig::resolve(
                m_options, m_saved.accounts.at(0),
                [this](const QUrl& server, TokenStore::ReadDone done) {
                    m_tokens.read(server, std::move(done));
                },
                [connectWith](const ResolvedConfig& resolved) {
                    if (!resolved.tokenFileError.isEmpty())
                        qCWarning(lcTray).noquote() << resolved.tokenFileError;
                    connectWith(resolved.config.token);
                });
        } else if (ResolvedConfig::urlProblem(config).isEmpty()) {
            m_tokens.read(ResolvedConfig::accountUrl(config),
                          [connectWith](const QByteArray& token, const QString&) { connectWith(token); });
        }
    }
    if (m_options.openSettings || problem)
        showSettings();
    return true;
}

TrayController::Config TrayApplication::configFor(int index, const QByteArray& token) const
{
    const TraySettings saved = m_saved.accounts.value(index);
    TrayController::Config config;
    if (index == 0) {
        config = ResolvedConfig::merge(m_options, saved);
    } else {
        config.serverUrl = saved.serverUrl;
        config.forgeUrl = saved.forgeUrl;
        config.watchedBoards = saved.watchedBoards;
        config.boardNotifications = saved.boardNotifications;
        config.direct = saved.isDirect();
    }
    config.token = token;
    return config;
}

TrayController* TrayApplication::addController(const TrayController::Config& config, const QString& name,
                                               const QUrl& storedServer)
{
    Running running{std::make_unique<TrayController>(), storedServer};
    TrayController* controller = running.controller.get();
    controller->configure(config);
    m_running.push_back(std::move(running));
    m_accounts.add(controller, name);
    return controller;
}

void TrayApplication::showSettings()
{
    if (m_dialog) {
        m_dialog->raise();
        m_dialog->activateWindow();
        return;
    }
    QList<SettingsDialog::Account> accounts;
    for (qsizetype i = 0; i < m_saved.accounts.size(); ++i) {
        SettingsDialog::Account account;
        account.settings = m_saved.accounts.at(i);
        if (i < qsizetype(m_running.size())) {
            account.hasToken = !m_running[i].controller->config().token.isEmpty();
            account.storedServer = m_running[i].storedServer;
            account.refusal = m_running[i].controller->state().refusal();
        }
        accounts.append(account);
    }
    m_dialog = new SettingsDialog(accounts, Autostart::isEnabled(), m_icon->gate().rules());
    m_dialog->setTokenStorage(m_tokens.usesFile() ? QString() : TokenStore::keyringProblem(),
                              m_tokens.usesFile());
    m_dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_dialog, &QDialog::accepted, this, [this] { applyDialog(m_dialog); });
    m_dialog->show();
    m_dialog->raise();
    m_dialog->activateWindow();
}

void TrayApplication::applyDialog(SettingsDialog* dialog)
{
    const QList<SettingsDialog::Account> edited = dialog->accounts();
    m_saved.accounts.clear();
    for (const SettingsDialog::Account& account : edited)
        m_saved.accounts.append(account.settings);
    m_quiet = dialog->doNotDisturb();
    QSettings settings;
    m_saved.save(settings);
    m_quiet.save(settings);
    m_icon->gate().setRules(m_quiet);
    // The dialog edits the saved settings; command-line overrides were for the start only.
    m_options.serverUrl.reset();
    m_options.forgeUrl.reset();
    m_options.watchedBoards.reset();

    QString error;
    if (!Autostart::setEnabled(dialog->autostart(), QCoreApplication::applicationFilePath(), &error))
        QMessageBox::warning(nullptr, tr("Forgewire"), error);

    const auto warn = [](const QString& text) {
        QMessageBox::warning(nullptr, tr("Forgewire"), text);
    };
    // Removed accounts take their tokens with them.
    for (const QUrl& server : dialog->removedServers())
        m_tokens.write(server, {}, [](const QString&) {});
    // The user chose where tokens are kept: each account's token in use goes there below.
    const bool switched = dialog->plainTextTokenFile() != m_tokens.usesFile();
    if (switched) {
        TokenStore::choose(dialog->plainTextTokenFile());
        m_tokens.useFile(TokenStore::chosenFile());
        qCInfo(lcTray).noquote() << (m_tokens.usesFile() ? "tokens are kept in the plain-text file"
                                                         : "tokens are kept in the keychain")
                                 << (m_tokens.usesFile() ? TokenStore::chosenFile() : QString());
    }

    // Controllers are matched to accounts by the server their token is stored under; the rest go.
    std::vector<Running> previous = std::move(m_running);
    m_running.clear();
    for (qsizetype i = 0; i < edited.size(); ++i) {
        const SettingsDialog::Account& account = edited.at(i);
        const QUrl server = account.settings.accountUrl(); // what the token is keyed by
        std::unique_ptr<TrayController> controller;
        for (Running& r : previous) {
            if (r.controller && !account.storedServer.isEmpty() &&
                TokenStore::keyFor(r.storedServer) == TokenStore::keyFor(account.storedServer)) {
                controller = std::move(r.controller);
                break;
            }
        }
        const QByteArray current = controller ? controller->config().token : QByteArray();
        const QByteArray token = account.newToken.value_or(current);
        if (!account.newToken && switched) {
            if (!current.isEmpty())
                m_tokens.write(server, current, [warn](const QString& writeError) {
                    if (!writeError.isEmpty())
                        warn(tr("The token could not be stored (%1). It is used for this session only.")
                                 .arg(writeError));
                });
        } else if (!account.newToken) {
            // The keychain keys the token by server URL, so a changed URL takes the stored token along.
            m_tokens.move(account.storedServer, server, [current, warn](const QString& moveError) {
                // Without a token in use the user has nothing to lose.
                if (!moveError.isEmpty() && !current.isEmpty())
                    warn(
                        tr("The token could not be stored in the keychain for the new server URL (%1). It is "
                           "used for this session only.")
                            .arg(moveError));
            });
        } else {
            m_tokens.write(
                server, *account.newToken,
                [this, server, previousServer = account.storedServer, warn](const QString& writeError) {
                    if (!writeError.isEmpty()) {
                        warn(tr("The token could not be stored in the keychain (%1). It is used "
                                "for this session only.")
                                 .arg(writeError));
                    } else if (!previousServer.isEmpty() &&
                               TokenStore::keyFor(previousServer) != TokenStore::keyFor(server)) {
                        // Replaced or forgotten together with the URL: the old URL's entry would
                        // only be a stale copy.
                        m_tokens.write(previousServer, {}, [](const QString&) {});
                    }
                });
        }
        TrayController::Config config = configFor(int(i), token);
        if (controller) {
            m_accounts.setName(controller.get(), account.settings.displayName());
            controller->configure(config);
            m_running.push_back(Running{std::move(controller), server});
        } else {
            addController(config, account.settings.displayName(), server);
        }
        signInIfNeeded(m_running.back().controller.get());
    }
    // Accounts removed in the dialog: their controllers (and connections) end here.
    previous.clear();
    // Keep the menu in the dialog's order.
    QList<QPair<TrayController*, QString>> order;
    for (qsizetype i = 0; i < qsizetype(m_running.size()); ++i)
        order.append({m_running[i].controller.get(), m_saved.accounts.at(i).displayName()});
    for (const auto& [controller, name] : order)
        m_accounts.remove(controller);
    for (const auto& [controller, name] : order)
        m_accounts.add(controller, name);
}

void TrayApplication::signInIfNeeded(TrayController* controller)
{
    // Saving the settings is how a signed-out or refused user signs in again.
    const TrayState::Status status = controller->state().status();
    if (status == TrayState::Status::SignedOut || status == TrayState::Status::Unauthorized ||
        !controller->isRunning())
        controller->signInAgain();
}

} // namespace forgewire
