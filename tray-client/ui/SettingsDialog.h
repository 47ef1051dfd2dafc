#pragma once

#include "model/DoNotDisturb.h"
#include "model/TraySettings.h"

#include <QDialog>
#include <QList>
#include <QUrl>

#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QTimeEdit;

namespace forgewire {

// The accounts (each: server URL, token for the keychain, forge URL, watched boards, name), Do not
// disturb, and start at login. The account list on the left picks which account the form edits.
class SettingsDialog : public QDialog
{
    Q_OBJECT
public:
    struct Account
    {
        TraySettings settings;
        bool hasToken = false; // a token is stored (or in use) for `storedServer`
        // Empty optional: keep the stored token. An empty token: forget it.
        std::optional<QByteArray> newToken;
        // The server URL the account's token is stored under now; empty for an account added here.
        QUrl storedServer;
        // Why the account's token was refused (TrayState::refusal()), shown under its token until a
        // new one is typed; empty when nothing is wrong.
        QString refusal;
    };

    SettingsDialog(const QList<Account>& accounts, bool autostart, const DoNotDisturb& quiet,
                   QWidget* parent = nullptr);
    // One account (a first start, and older callers).
    SettingsDialog(const TraySettings& settings, bool hasToken, bool autostart, QWidget* parent = nullptr);

    QList<Account> accounts() const;
    // Accounts removed in the dialog: their tokens are to be forgotten.
    QList<QUrl> removedServers() const { return m_removed; }
    // The account the form shows.
    int currentAccount() const { return m_current; }
    void selectAccount(int index);
    void addAccount();
    void removeCurrentAccount();
    TraySettings settings() const;
    std::optional<QByteArray> newToken() const;
    bool autostart() const;
    DoNotDisturb doNotDisturb() const;
    // Where tokens are kept. Shown only without a keyring (`keyringProblem`, see
    // TokenStore::keyringProblem) or once the plain-text file is chosen: the problem, and the opt-in
    // to the file, which says that it is plain text.
    void setTokenStorage(const QString& keyringProblem, bool plainTextFile);
    bool plainTextTokenFile() const;

    void accept() override;

private:
    // What the form holds for one account, as typed: validated only on accept.
    struct Form
    {
        QString name, server, forge, boards, token;
        bool boardNotifications = true;
        bool direct = false; // "Forge directly": no server, the tray polls the forge
        bool forget = false;
        bool hasToken = false;
        QUrl storedServer;
        QString refusal;
    };
    static Form formFor(const Account& account);
    static Account accountFor(const Form& form);
    void storeForm();
    void loadForm();
    void refreshList();
    void showError(const QString& problem);

    QList<Form> m_forms;
    QList<QUrl> m_removed;
    int m_current = -1;
    DoNotDisturb m_quiet;

    QLineEdit* m_server;
    QLineEdit* m_token;
    QCheckBox* m_forgetToken;
    QLineEdit* m_forge;
    QLineEdit* m_boards;
    QLineEdit* m_name;
    QCheckBox* m_boardNotifications;
    QListWidget* m_list;
    QPushButton* m_add;
    QPushButton* m_remove;
    QCheckBox* m_quietNow;
    QCheckBox* m_scheduled;
    QTimeEdit* m_from;
    QTimeEdit* m_to;
    QCheckBox* m_notifyBoards;
    QCheckBox* m_notifyNotifications;
    QCheckBox* m_notifyReminders;
    QCheckBox* m_autostart;
    QLabel* m_error;
    QLabel* m_keyring;
    QCheckBox* m_plainTextFile;
    QComboBox* m_mode;
    QLabel* m_refusal;
};

} // namespace forgewire
