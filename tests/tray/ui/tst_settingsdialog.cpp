// The settings dialog: what it hands back, what it refuses to accept.

#include "ui/SettingsDialog.h"

#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
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

QTEST_MAIN(TestSettingsDialog)
#include "tst_settingsdialog.moc"
