#pragma once

#include "model/TraySettings.h"

#include <QDialog>

#include <optional>

class QCheckBox;
class QLabel;
class QLineEdit;

namespace forgewire {

// Server URL, token (for the keychain), forge URL, watched boards, start at login.
class SettingsDialog : public QDialog
{
    Q_OBJECT
public:
    SettingsDialog(const TraySettings& settings, bool hasToken, bool autostart, QWidget* parent = nullptr);

    TraySettings settings() const;
    // Empty optional: keep the stored token. An empty token: forget it.
    std::optional<QByteArray> newToken() const;
    bool autostart() const;

    void accept() override;

private:
    QLineEdit* m_server;
    QLineEdit* m_token;
    QCheckBox* m_forgetToken;
    QLineEdit* m_forge;
    QLineEdit* m_boards;
    QCheckBox* m_boardNotifications;
    QCheckBox* m_autostart;
    QLabel* m_error;
};

} // namespace forgewire
