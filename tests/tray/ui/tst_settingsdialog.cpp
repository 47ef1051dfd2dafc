// The settings dialog: what it hands back, what it refuses to accept.

#include "ui/SettingsDialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

namespace {

QLineEdit* field(SettingsDialog& dialog, int index)
{
    return dialog.findChildren<QLineEdit*>().at(index);
}

TraySettings sample()
{
    TraySettings s;
    s.serverUrl = QUrl(u"wss://forge.example.org/-/ws"_s);
    s.forgeUrl = QUrl(u"https://forge.example.org"_s);
    s.watchedBoards = {42, 57};
    return s;
}

} // namespace

class TestSettingsDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsAndReturnsTheSettings();
    void tokenIsKeptReplacedOrForgotten();
    void invalidInputIsRefused_data();
    void invalidInputIsRefused();
    void addEditAndRemoveAccounts();
    void doNotDisturbIsEdited();
    void forgeDirectlyNeedsNoServer();
    void refusedTokenIsExplained();
};

// Field order in the form: server, token, forge, boards.
void TestSettingsDialog::showsAndReturnsTheSettings()
{
    SettingsDialog dialog(sample(), true, true);
    QCOMPARE(field(dialog, 0)->text(), u"wss://forge.example.org/-/ws"_s);
    QCOMPARE(field(dialog, 1)->echoMode(), QLineEdit::Password);
    QCOMPARE(field(dialog, 3)->text(), u"42, 57"_s);
    QVERIFY(dialog.autostart());
    QCOMPARE(dialog.settings(), sample());

    field(dialog, 3)->setText(u"7 8"_s);
    dialog.accept();
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
    QCOMPARE(dialog.settings().watchedBoards, (QList<qint64>{7, 8}));
}

void TestSettingsDialog::tokenIsKeptReplacedOrForgotten()
{
    SettingsDialog dialog(sample(), true, false);
    QVERIFY(!dialog.newToken());
    field(dialog, 1)->setText(u"  new-token "_s);
    QCOMPARE(dialog.newToken().value_or("unset"), QByteArray("new-token"));
    field(dialog, 1)->clear();
    dialog.findChild<QCheckBox*>()->setChecked(true); // "Forget the stored token"
    QCOMPARE(dialog.newToken().value_or("unset"), QByteArray());
}

void TestSettingsDialog::invalidInputIsRefused_data()
{
    QTest::addColumn<int>("fieldIndex");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("message");
    QTest::newRow("http server") << 0 << u"http://forge/-/ws"_s << u"ws://"_s;
    QTest::newRow("empty server") << 0 << QString() << u"No server URL"_s;
    QTest::newRow("ws forge") << 2 << u"ws://forge"_s << u"forge URL"_s;
    QTest::newRow("board name") << 3 << u"roadmap"_s << u"not a project id"_s;
}

void TestSettingsDialog::invalidInputIsRefused()
{
    QFETCH(int, fieldIndex);
    QFETCH(QString, text);
    QFETCH(QString, message);
    SettingsDialog dialog(sample(), false, false);
    dialog.show();
    field(dialog, fieldIndex)->setText(text);
    dialog.accept();
    QVERIFY(dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
    bool shown = false;
    for (const QLabel* label : dialog.findChildren<QLabel*>())
        shown |= label->isVisible() && label->text().contains(message);
    QVERIFY2(shown, qPrintable(message));
}

// Field order: server, token, forge, boards, name.
void TestSettingsDialog::addEditAndRemoveAccounts()
{
    SettingsDialog::Account first;
    first.settings = sample();
    first.settings.name = u"Codeberg"_s;
    first.hasToken = true;
    first.storedServer = first.settings.serverUrl;
    SettingsDialog dialog({first}, false, DoNotDisturb{});
    dialog.show();
    auto* list = dialog.findChild<QListWidget*>();
    QVERIFY(list);
    QCOMPARE(list->count(), 1);

    dialog.addAccount();
    QCOMPARE(list->count(), 2);
    QCOMPARE(dialog.currentAccount(), 1);
    QVERIFY(field(dialog, 0)->text().isEmpty()); // a fresh form
    // The same server as the first account is refused, naming the account.
    field(dialog, 0)->setText(sample().serverUrl.toString());
    field(dialog, 1)->setText(u"work-token"_s);
    field(dialog, 4)->setText(u"Work"_s);
    dialog.accept();
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
    bool shown = false;
    for (const QLabel* label : dialog.findChildren<QLabel*>())
        shown |=
            label->isVisible() && label->text().contains(u"another account already uses this server URL"_s);
    QVERIFY(shown);

    field(dialog, 0)->setText(u"wss://git.work.example/-/ws"_s);
    // Switching accounts keeps what was typed in each.
    dialog.selectAccount(0);
    QCOMPARE(field(dialog, 4)->text(), u"Codeberg"_s);
    QVERIFY(field(dialog, 1)->text().isEmpty());
    dialog.selectAccount(1);
    QCOMPARE(field(dialog, 1)->text(), u"work-token"_s);
    QCOMPARE(list->item(1)->text(), u"Work"_s);

    QList<SettingsDialog::Account> accounts = dialog.accounts();
    QCOMPARE(accounts.size(), 2);
    QVERIFY(!accounts[0].newToken);
    QCOMPARE(accounts[1].newToken.value_or("unset"), QByteArray("work-token"));
    QVERIFY(accounts[1].storedServer.isEmpty());

    // Removing the stored account asks for its token to be forgotten.
    dialog.selectAccount(0);
    dialog.removeCurrentAccount();
    QCOMPARE(dialog.removedServers(), QList<QUrl>{sample().serverUrl});
    accounts = dialog.accounts();
    QCOMPARE(accounts.size(), 1);
    QCOMPARE(accounts[0].settings.name, u"Work"_s);
    dialog.accept();
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
}

void TestSettingsDialog::doNotDisturbIsEdited()
{
    DoNotDisturb quiet;
    quiet.scheduled = true;
    quiet.from = QTime(21, 0);
    SettingsDialog dialog({}, false, quiet);
    QCOMPARE(dialog.doNotDisturb(), quiet);
    // Check boxes after "Forget the stored token" and the board one: now, schedule, three kinds, autostart.
    const QList<QCheckBox*> boxes = dialog.findChildren<QCheckBox*>();
    QCheckBox* now = boxes.at(2);
    QCheckBox* newNotifications = boxes.at(5);
    now->setChecked(true);
    newNotifications->setChecked(false);
    const DoNotDisturb edited = dialog.doNotDisturb();
    QVERIFY(edited.enabled);
    QVERIFY(!edited.newNotifications);
    QCOMPARE(edited.from, QTime(21, 0));
    // No account yet: the dialog offers an empty one to fill in.
    QCOMPARE(dialog.accounts().size(), 1);
}

void TestSettingsDialog::forgeDirectlyNeedsNoServer()
{
    SettingsDialog dialog(TraySettings{}, false, false);
    dialog.show();
    QComboBox* mode = dialog.findChild<QComboBox*>();
    QVERIFY(mode);
    QVERIFY(mode->itemText(1).startsWith(u"Forge directly"_s));
    mode->setCurrentIndex(1);
    Q_EMIT mode->activated(1);
    QVERIFY(!field(dialog, 0)->isEnabled()); // no server URL to give
    // The forge URL is what it needs.
    dialog.accept();
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
    field(dialog, 2)->setText(u"https://codeberg.org"_s);
    field(dialog, 1)->setText(u"forge-token"_s);
    dialog.accept();
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
    const SettingsDialog::Account account = dialog.accounts().first();
    QVERIFY(account.settings.isDirect());
    QCOMPARE(account.settings.accountUrl(), QUrl(u"https://codeberg.org"_s));
    QCOMPARE(account.settings.displayName(), u"codeberg.org"_s);
    QCOMPARE(account.newToken, std::optional<QByteArray>("forge-token"));

    // Opened again, a direct account shows as one.
    SettingsDialog again({account}, false, DoNotDisturb{});
    QCOMPARE(again.findChild<QComboBox*>()->currentIndex(), 1);
}

// The forge's reason for refusing an account's token shows under its token field, for that account
// only, until a new token is typed.
void TestSettingsDialog::refusedTokenIsExplained()
{
    const QString reason = u"The forge refused the token (HTTP 401). Enter a new one in Settings."_s;
    SettingsDialog::Account refused;
    refused.settings.forgeUrl = QUrl(u"https://codeberg.org"_s);
    refused.hasToken = true;
    refused.refusal = reason;
    SettingsDialog::Account fine;
    fine.settings = sample();
    fine.hasToken = true;
    SettingsDialog dialog({refused, fine}, false, DoNotDisturb{});
    const auto shown = [&dialog, &reason] {
        for (const QLabel* label : dialog.findChildren<QLabel*>()) {
            if (label->text() == reason)
                return !label->isHidden();
        }
        return false;
    };
    QVERIFY(shown());
    dialog.selectAccount(1);
    QVERIFY(!shown());
    dialog.selectAccount(0);
    QVERIFY(shown());
    QTest::keyClicks(field(dialog, 1), u"fresh-token"_s);
    QVERIFY(!shown());
    QCOMPARE(dialog.accounts().first().newToken.value_or("unset"), QByteArray("fresh-token"));
    QTest::keyClick(field(dialog, 1), Qt::Key_A, Qt::ControlModifier);
    QTest::keyClick(field(dialog, 1), Qt::Key_Backspace); // typed away again: the reason stands
    QVERIFY(shown());
}

QTEST_MAIN(TestSettingsDialog)
#include "tst_settingsdialog.moc"
