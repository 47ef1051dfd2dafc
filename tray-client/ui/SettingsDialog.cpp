#include "ui/SettingsDialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

namespace forgewire {

using namespace Qt::StringLiterals;

SettingsDialog::SettingsDialog(const TraySettings& settings, bool hasToken, bool autostart, QWidget* parent)
    : QDialog(parent), m_server(new QLineEdit(settings.serverUrl.toString(), this)),
      m_token(new QLineEdit(this)), m_forgetToken(new QCheckBox(tr("Forget the stored token"), this)),
      m_forge(new QLineEdit(settings.forgeUrl.toString(), this)),
      m_boards(new QLineEdit(TraySettings::formatBoardList(settings.watchedBoards), this)),
      m_boardNotifications(new QCheckBox(tr("Notify me about changes on these boards"), this)),
      m_autostart(new QCheckBox(tr("Start Forgewire when I log in"), this)), m_error(new QLabel(this))
{
    setWindowTitle(tr("Forgewire Settings"));
    m_server->setPlaceholderText(u"wss://forge.example.org/-/ws"_s);
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(hasToken ? tr("Stored in the keychain; type to replace")
                                         : tr("Forge token, JWT or static token"));
    m_forgetToken->setVisible(hasToken);
    m_forge->setPlaceholderText(u"https://codeberg.org"_s);
    m_boards->setPlaceholderText(tr("Project ids, e.g. 42, 57"));
    m_boardNotifications->setChecked(settings.boardNotifications);
    m_autostart->setChecked(autostart);
    m_error->setStyleSheet(u"color: #c62828"_s);
    m_error->setWordWrap(true);
    m_error->hide();

    auto* form = new QFormLayout;
    form->addRow(tr("Server URL:"), m_server);
    form->addRow(tr("Token:"), m_token);
    form->addRow(QString(), m_forgetToken);
    form->addRow(tr("Forge URL:"), m_forge);
    form->addRow(tr("Watched boards:"), m_boards);
    form->addRow(QString(), m_boardNotifications);
    form->addRow(QString(), m_autostart);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    setMinimumWidth(480);
}

TraySettings SettingsDialog::settings() const
{
    TraySettings s;
    s.serverUrl = QUrl(m_server->text().trimmed());
    s.forgeUrl = QUrl(m_forge->text().trimmed());
    s.watchedBoards = TraySettings::parseBoardList(m_boards->text());
    s.boardNotifications = m_boardNotifications->isChecked();
    return s;
}

std::optional<QByteArray> SettingsDialog::newToken() const
{
    const QByteArray typed = m_token->text().trimmed().toUtf8();
    if (!typed.isEmpty())
        return typed;
    if (m_forgetToken->isChecked())
        return QByteArray();
    return std::nullopt;
}

bool SettingsDialog::autostart() const
{
    return m_autostart->isChecked();
}

void SettingsDialog::accept()
{
    QString problem = TraySettings::checkServerUrl(QUrl(m_server->text().trimmed()));
    if (problem.isEmpty())
        problem = TraySettings::checkForgeUrl(QUrl(m_forge->text().trimmed()));
    if (problem.isEmpty())
        TraySettings::parseBoardList(m_boards->text(), &problem);
    if (!problem.isEmpty()) {
        m_error->setText(problem);
        m_error->show();
        return;
    }
    QDialog::accept();
}

} // namespace forgewire
