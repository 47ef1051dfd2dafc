#include "ui/SettingsDialog.h"

#include "model/SavedAccounts.h"
#include "platform/TokenFile.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QTimeEdit>
#include <QVBoxLayout>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

SettingsDialog::Account single(const TraySettings& settings, bool hasToken)
{
    SettingsDialog::Account account;
    account.settings = settings;
    account.hasToken = hasToken;
    account.storedServer = settings.serverUrl;
    return account;
}

} // namespace

SettingsDialog::SettingsDialog(const TraySettings& settings, bool hasToken, bool autostart, QWidget* parent)
    : SettingsDialog(QList<Account>{single(settings, hasToken)}, autostart, DoNotDisturb{}, parent)
{}

// The line edits are created first and in form order (server, token, forge, boards, name), and the
// "Forget the stored token" box before any other check box: tests find them by that order.
SettingsDialog::SettingsDialog(const QList<Account>& accounts, bool autostart, const DoNotDisturb& quiet,
                               QWidget* parent)
    : QDialog(parent), m_quiet(quiet), m_server(new QLineEdit(this)), m_token(new QLineEdit(this)),
      m_forgetToken(new QCheckBox(tr("Forget the stored token"), this)), m_forge(new QLineEdit(this)),
      m_boards(new QLineEdit(this)), m_name(new QLineEdit(this)),
      m_boardNotifications(new QCheckBox(tr("Notify me about changes on these boards"), this)),
      m_list(new QListWidget(this)), m_add(new QPushButton(tr("Add"), this)),
      m_remove(new QPushButton(tr("Remove"), this)),
      m_quietNow(new QCheckBox(tr("Do not disturb now"), this)),
      m_scheduled(new QCheckBox(tr("Quiet every day from"), this)), m_from(new QTimeEdit(quiet.from, this)),
      m_to(new QTimeEdit(quiet.to, this)),
      m_notifyBoards(new QCheckBox(tr("Changes on watched boards"), this)),
      m_notifyNotifications(new QCheckBox(tr("New notifications"), this)),
      m_notifyReminders(new QCheckBox(tr("Stopwatch reminders"), this)),
      m_autostart(new QCheckBox(tr("Start Forgewire when I log in"), this)), m_error(new QLabel(this)),
      m_keyring(new QLabel(this)), m_plainTextFile(new QCheckBox(this)), m_mode(new QComboBox(this)),
      m_refusal(new QLabel(this))
{
    setWindowTitle(tr("Forgewire Settings"));
    for (const Account& account : accounts)
        m_forms.append(formFor(account));

    m_server->setPlaceholderText(u"wss://forge.example.org/-/ws"_s);
    m_token->setEchoMode(QLineEdit::Password);
    m_forge->setPlaceholderText(u"https://codeberg.org"_s);
    m_boards->setPlaceholderText(tr("Project ids, e.g. 42, 57"));
    m_name->setPlaceholderText(tr("Shown in the menu, e.g. Codeberg"));
    m_autostart->setChecked(autostart);
    m_quietNow->setChecked(quiet.enabled);
    m_scheduled->setChecked(quiet.scheduled);
    m_from->setDisplayFormat(u"HH:mm"_s);
    m_to->setDisplayFormat(u"HH:mm"_s);
    m_notifyBoards->setChecked(quiet.boardEvents);
    m_notifyNotifications->setChecked(quiet.newNotifications);
    m_notifyReminders->setChecked(quiet.stopwatchReminders);
    m_error->setStyleSheet(u"color: #c62828"_s);
    m_error->setWordWrap(true);
    m_error->hide();
    m_refusal->setStyleSheet(u"color: #c62828"_s);
    m_refusal->setWordWrap(true);
    m_refusal->hide();

    // Index 0 and 1 are what Form::direct stores.
    m_mode->addItem(tr("Forgewire server"));
    m_mode->addItem(tr("Forge directly (no server: the tray polls the forge with a forge token)"));
    auto* form = new QFormLayout;
    form->addRow(tr("Connect to:"), m_mode);
    form->addRow(tr("Server URL:"), m_server);
    form->addRow(tr("Token:"), m_token);
    form->addRow(QString(), m_refusal);
    form->addRow(QString(), m_forgetToken);
    form->addRow(tr("Forge URL:"), m_forge);
    form->addRow(tr("Watched boards:"), m_boards);
    form->addRow(QString(), m_boardNotifications);
    form->addRow(tr("Name:"), m_name);

    auto* listButtons = new QHBoxLayout;
    listButtons->addWidget(m_add);
    listButtons->addWidget(m_remove);
    auto* listColumn = new QVBoxLayout;
    listColumn->addWidget(m_list);
    listColumn->addLayout(listButtons);
    m_list->setMaximumWidth(180);
    auto* accountsRow = new QHBoxLayout;
    accountsRow->addLayout(listColumn);
    accountsRow->addLayout(form, 1);

    auto* schedule = new QHBoxLayout;
    schedule->addWidget(m_scheduled);
    schedule->addWidget(m_from);
    schedule->addWidget(new QLabel(tr("to"), this));
    schedule->addWidget(m_to);
    schedule->addStretch();
    auto* quietLayout = new QVBoxLayout;
    quietLayout->addWidget(m_quietNow);
    quietLayout->addLayout(schedule);
    quietLayout->addWidget(new QLabel(tr("Desktop notifications for:"), this));
    quietLayout->addWidget(m_notifyBoards);
    quietLayout->addWidget(m_notifyNotifications);
    quietLayout->addWidget(m_notifyReminders);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);
    connect(m_add, &QPushButton::clicked, this, &SettingsDialog::addAccount);
    connect(m_remove, &QPushButton::clicked, this, &SettingsDialog::removeCurrentAccount);
    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0 && row != m_current)
            selectAccount(row);
    });
    // The list shows the names as they are typed.
    connect(m_name, &QLineEdit::textEdited, this, [this] {
        storeForm();
        refreshList();
    });
    connect(m_server, &QLineEdit::textEdited, this, [this] {
        storeForm();
        refreshList();
    });
    // A new token answers the refusal: the old reason no longer applies to what is typed.
    connect(m_token, &QLineEdit::textEdited, this, [this] {
        m_refusal->setVisible(m_token->text().trimmed().isEmpty() && !m_refusal->text().isEmpty());
    });
    connect(m_mode, &QComboBox::activated, this, [this] {
        storeForm();
        loadForm();
        refreshList();
    });

    // Headings rather than group boxes: every field stays a direct child of the dialog, so the order
    // tests and accessibility tools find them in is the order above.
    const auto heading = [this](const QString& text) {
        auto* label = new QLabel(text, this);
        QFont font = label->font();
        font.setBold(true);
        label->setFont(font);
        return label;
    };
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(heading(tr("Accounts")));
    layout->addLayout(accountsRow);
    layout->addWidget(heading(tr("Notifications")));
    layout->addLayout(quietLayout);
    layout->addWidget(m_autostart);
    m_keyring->setWordWrap(true);
    m_keyring->hide();
    m_plainTextFile->hide();
    layout->addWidget(m_keyring);
    layout->addWidget(m_plainTextFile);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    setMinimumWidth(720);

    if (m_forms.isEmpty())
        m_forms.append(Form{}); // a first start: one empty account to fill in
    refreshList();
    selectAccount(0);
}

void SettingsDialog::setTokenStorage(const QString& keyringProblem, bool plainTextFile)
{
    const bool show = !keyringProblem.isEmpty() || plainTextFile;
    m_keyring->setVisible(show);
    m_plainTextFile->setVisible(show);
    if (!keyringProblem.isEmpty())
        m_keyring->setText(tr("No keyring found: %1. Without one a token cannot be kept safely: it is used "
                              "until Forgewire quits, unless you keep it in a plain-text file.")
                               .arg(keyringProblem));
    else
        m_keyring->setText(tr("Tokens are kept in a plain-text file."));
    m_plainTextFile->setText(tr("Keep tokens in a plain-text file (%1, readable by you only; anyone with "
                                "your account's files can read them)")
                                 .arg(TokenFile::defaultPath()));
    m_plainTextFile->setChecked(plainTextFile);
}

bool SettingsDialog::plainTextTokenFile() const
{
    return m_plainTextFile->isChecked();
}

SettingsDialog::Form SettingsDialog::formFor(const Account& account)
{
    Form f;
    f.name = account.settings.name;
    f.server = account.settings.serverUrl.toString();
    f.forge = account.settings.forgeUrl.toString();
    f.boards = TraySettings::formatBoardList(account.settings.watchedBoards);
    f.boardNotifications = account.settings.boardNotifications;
    f.direct = account.settings.isDirect();
    f.hasToken = account.hasToken;
    f.storedServer = account.storedServer;
    f.refusal = account.refusal;
    if (account.newToken) {
        f.token = QString::fromUtf8(*account.newToken);
        f.forget = account.newToken->isEmpty();
    }
    return f;
}

SettingsDialog::Account SettingsDialog::accountFor(const Form& f)
{
    Account a;
    a.settings.name = f.name.trimmed();
    // A direct account has no server: that is how it is saved (TraySettings::isDirect()).
    a.settings.serverUrl = f.direct ? QUrl() : QUrl(f.server.trimmed());
    a.settings.forgeUrl = QUrl(f.forge.trimmed());
    a.settings.watchedBoards = TraySettings::parseBoardList(f.boards);
    a.settings.boardNotifications = f.boardNotifications;
    a.hasToken = f.hasToken;
    a.storedServer = f.storedServer;
    a.refusal = f.refusal;
    const QByteArray typed = f.token.trimmed().toUtf8();
    if (!typed.isEmpty())
        a.newToken = typed;
    else if (f.forget)
        a.newToken = QByteArray();
    return a;
}

void SettingsDialog::storeForm()
{
    if (m_current < 0 || m_current >= m_forms.size())
        return;
    Form& f = m_forms[m_current];
    f.name = m_name->text();
    f.server = m_server->text();
    f.forge = m_forge->text();
    f.boards = m_boards->text();
    f.boardNotifications = m_boardNotifications->isChecked();
    f.token = m_token->text();
    f.forget = m_forgetToken->isChecked();
    f.direct = m_mode->currentIndex() == 1;
}

void SettingsDialog::loadForm()
{
    const bool any = m_current >= 0 && m_current < m_forms.size();
    const Form f = any ? m_forms.at(m_current) : Form{};
    for (QWidget* w : {static_cast<QWidget*>(m_server), static_cast<QWidget*>(m_token),
                       static_cast<QWidget*>(m_forge), static_cast<QWidget*>(m_boards),
                       static_cast<QWidget*>(m_name), static_cast<QWidget*>(m_boardNotifications)})
        w->setEnabled(any);
    m_remove->setEnabled(any);
    m_mode->setEnabled(any);
    m_mode->setCurrentIndex(f.direct ? 1 : 0);
    // Boards and the server URL need a server.
    m_server->setEnabled(any && !f.direct);
    m_boards->setEnabled(any && !f.direct);
    m_boardNotifications->setEnabled(any && !f.direct);
    m_name->setText(f.name);
    m_server->setText(f.server);
    m_forge->setText(f.forge);
    m_boards->setText(f.boards);
    m_boardNotifications->setChecked(f.boardNotifications);
    m_token->setText(f.token);
    m_token->setPlaceholderText(f.hasToken ? tr("Stored in the keychain; type to replace")
                                           : tr("Forge token, JWT or static token"));
    m_forgetToken->setChecked(f.forget);
    m_forgetToken->setVisible(f.hasToken);
    m_refusal->setText(f.refusal);
    m_refusal->setVisible(!f.refusal.isEmpty() && f.token.trimmed().isEmpty());
}

void SettingsDialog::refreshList()
{
    const QSignalBlocker blocker(m_list);
    m_list->clear();
    for (const Form& f : std::as_const(m_forms))
        m_list->addItem(accountFor(f).settings.displayName());
    m_list->setCurrentRow(m_current);
}

void SettingsDialog::selectAccount(int index)
{
    storeForm();
    refreshList(); // names set programmatically (no textEdited) show too
    m_current = m_forms.isEmpty() ? -1 : std::clamp(index, 0, int(m_forms.size()) - 1);
    loadForm();
    const QSignalBlocker blocker(m_list);
    m_list->setCurrentRow(m_current);
}

void SettingsDialog::addAccount()
{
    storeForm();
    m_forms.append(Form{});
    refreshList();
    selectAccount(int(m_forms.size()) - 1);
    m_server->setFocus();
}

void SettingsDialog::removeCurrentAccount()
{
    if (m_current < 0 || m_current >= m_forms.size())
        return;
    const int at = m_current;
    const Form removed = m_forms.takeAt(at);
    if (!removed.storedServer.isEmpty())
        m_removed.append(removed.storedServer);
    m_current = -1; // nothing to store: the form showed the removed account
    refreshList();
    selectAccount(std::min(at, int(m_forms.size()) - 1));
}

QList<SettingsDialog::Account> SettingsDialog::accounts() const
{
    const_cast<SettingsDialog*>(this)->storeForm();
    QList<Account> result;
    for (const Form& f : m_forms)
        result.append(accountFor(f));
    return result;
}

TraySettings SettingsDialog::settings() const
{
    const QList<Account> all = accounts();
    return m_current >= 0 && m_current < all.size() ? all.at(m_current).settings : TraySettings{};
}

std::optional<QByteArray> SettingsDialog::newToken() const
{
    const QList<Account> all = accounts();
    return m_current >= 0 && m_current < all.size() ? all.at(m_current).newToken : std::nullopt;
}

bool SettingsDialog::autostart() const
{
    return m_autostart->isChecked();
}

DoNotDisturb SettingsDialog::doNotDisturb() const
{
    DoNotDisturb d = m_quiet;
    d.enabled = m_quietNow->isChecked();
    d.scheduled = m_scheduled->isChecked();
    d.from = m_from->time();
    d.to = m_to->time();
    d.boardEvents = m_notifyBoards->isChecked();
    d.newNotifications = m_notifyNotifications->isChecked();
    d.stopwatchReminders = m_notifyReminders->isChecked();
    return d;
}

void SettingsDialog::showError(const QString& problem)
{
    m_error->setText(problem);
    m_error->show();
}

void SettingsDialog::accept()
{
    storeForm();
    // The first account with a problem is shown, so the user sees the field the message is about.
    for (int i = 0; i < m_forms.size(); ++i) {
        const Form& f = m_forms.at(i);
        QString problem =
            TraySettings::checkAccount(QUrl(f.server.trimmed()), QUrl(f.forge.trimmed()), f.direct);
        if (problem.isEmpty())
            TraySettings::parseBoardList(f.boards, &problem);
        if (!problem.isEmpty()) {
            selectAccount(i);
            showError(m_forms.size() > 1 ? tr("%1: %2").arg(accountFor(f).settings.displayName(), problem)
                                         : problem);
            return;
        }
    }
    QList<TraySettings> all;
    for (const Form& f : std::as_const(m_forms))
        all.append(accountFor(f).settings);
    if (const QString problem = SavedAccounts::check(all); !problem.isEmpty()) {
        showError(problem);
        return;
    }
    QDialog::accept();
}

} // namespace forgewire
