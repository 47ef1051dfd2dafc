#pragma once

#include "model/AccountSet.h"
#include "model/DoNotDisturb.h"
#include "model/SavedAccounts.h"
#include "model/TrayController.h"
#include "model/TrayOptions.h"
#include "model/TraySettings.h"
#include "platform/SingleInstance.h"
#include "platform/TokenStore.h"

#include <QObject>
#include <QPointer>

#include <memory>
#include <vector>

namespace forgewire {

class SettingsDialog;
class TrayIcon;

// The GUI mode of forgewire-tray: one instance per session, settings and keychain, a controller per
// account and the tray icon.
class TrayApplication : public QObject
{
    Q_OBJECT
public:
    explicit TrayApplication(const TrayOptions& options, QObject* parent = nullptr);
    ~TrayApplication() override;

    // False when another instance runs (it was asked to show its settings); the process should exit.
    bool start();

    AccountSet& accounts() { return m_accounts; }
    TrayIcon* icon() const { return m_icon.get(); }

private:
    struct Running
    {
        std::unique_ptr<TrayController> controller;
        QUrl storedServer; // the key its token is stored under
    };

    void showSettings();
    void applyDialog(SettingsDialog* dialog);
    void signInIfNeeded(TrayController* controller);
    TrayController* addController(const TrayController::Config& config, const QString& name,
                                  const QUrl& storedServer);
    TrayController::Config configFor(int index, const QByteArray& token) const;

    TrayOptions m_options;
    SingleInstance m_instance;
    TokenStore m_tokens;
    AccountSet m_accounts;
    SavedAccounts m_saved;
    DoNotDisturb m_quiet;
    std::vector<Running> m_running; // in m_saved order
    std::unique_ptr<TrayIcon> m_icon;
    QPointer<SettingsDialog> m_dialog;
};

} // namespace forgewire
