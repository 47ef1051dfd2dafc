#pragma once

#include "model/TrayController.h"
#include "model/TrayOptions.h"
#include "model/TraySettings.h"
#include "platform/SingleInstance.h"
#include "platform/TokenStore.h"

#include <QObject>
#include <QPointer>

#include <memory>

namespace forgewire {

class SettingsDialog;
class TrayIcon;

// The GUI mode of forgewire-tray: one instance per session, settings and keychain, the controller and
// the tray icon.
class TrayApplication : public QObject
{
    Q_OBJECT
public:
    explicit TrayApplication(const TrayOptions& options, QObject* parent = nullptr);
    ~TrayApplication() override;

    // False when another instance runs (it was asked to show its settings); the process should exit.
    bool start();

private:
    void connectWithToken(const QByteArray& token);
    void showSettings();
    void applyDialog(SettingsDialog* dialog);
    void signInIfNeeded();
    TrayController::Config configFor(const QByteArray& token) const;

    TrayOptions m_options;
    SingleInstance m_instance;
    TokenStore m_tokens;
    TrayController m_controller;
    std::unique_ptr<TrayIcon> m_icon;
    TraySettings m_settings;
    QPointer<SettingsDialog> m_dialog;
};

} // namespace forgewire
