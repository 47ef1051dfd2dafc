// "Start at login": the .desktop file in $XDG_CONFIG_HOME/autostart.

#include "platform/Autostart.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestAutostart : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void enableWritesAValidEntry();
    void disableRemovesIt();
    void quoteExecArgument_data();
    void quoteExecArgument();
    void systemEntryTurnedOffPerUser();

private:
    QTemporaryDir m_config;
    QTemporaryDir m_systemConfig;
};

void TestAutostart::initTestCase()
{
    QVERIFY(m_config.isValid());
    qputenv("XDG_CONFIG_HOME", m_config.path().toUtf8());
    // No system entry until systemEntryTurnedOffPerUser() writes one (the host's /etc/xdg is not read).
    QVERIFY(m_systemConfig.isValid());
    qputenv("XDG_CONFIG_DIRS", m_systemConfig.path().toUtf8());
    QVERIFY(Autostart::systemFilePath().isEmpty());
    QCOMPARE(Autostart::desktopFilePath(), m_config.filePath(u"autostart/forgewire-tray.desktop"_s));
}

void TestAutostart::enableWritesAValidEntry()
{
    QVERIFY(!Autostart::isEnabled());
    QString error;
    QVERIFY2(Autostart::setEnabled(true, u"/opt/forge wire/forgewire-tray"_s, &error), qPrintable(error));
    QVERIFY(Autostart::isEnabled());

    // Read as the Desktop Entry Specification has it (QSettings would unquote the Exec value).
    QFile file(Autostart::desktopFilePath());
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(file.readAll()).split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.first(), u"[Desktop Entry]"_s);
    QVERIFY(lines.contains(u"Type=Application"_s));
    QVERIFY(lines.contains(u"Exec=\"/opt/forge wire/forgewire-tray\""_s));
    QVERIFY(lines.contains(u"Icon=forgewire-tray"_s));
    QVERIFY(lines.contains(u"Terminal=false"_s));
}

void TestAutostart::disableRemovesIt()
{
    QString error;
    QVERIFY(Autostart::setEnabled(true, u"/usr/bin/forgewire-tray"_s, &error));
    QVERIFY(Autostart::setEnabled(false, {}, &error));
    QVERIFY(!QFile::exists(Autostart::desktopFilePath()));
    QVERIFY(!Autostart::isEnabled());
    // Disabling twice is not an error.
    QVERIFY(Autostart::setEnabled(false, {}, &error));
}

void TestAutostart::quoteExecArgument_data()
{
    QTest::addColumn<QString>("argument");
    QTest::addColumn<QString>("quoted");
    QTest::newRow("plain") << u"/usr/bin/forgewire-tray"_s << u"/usr/bin/forgewire-tray"_s;
    QTest::newRow("space") << u"/a b/c"_s << u"\"/a b/c\""_s;
    QTest::newRow("dollar and quote") << u"/a$b\"c"_s << u"\"/a\\$b\\\"c\""_s;
    QTest::newRow("backslash") << u"/a\\b"_s << u"\"/a\\\\b\""_s;
}

void TestAutostart::quoteExecArgument()
{
    QFETCH(QString, argument);
    QFETCH(QString, quoted);
    QCOMPARE(Autostart::quoteExecArgument(argument), quoted);
}

void TestAutostart::systemEntryTurnedOffPerUser()
{
    // The package's entry in $XDG_CONFIG_DIRS/autostart starts the tray for everyone.
    QVERIFY(QDir().mkpath(m_systemConfig.filePath(u"autostart"_s)));
    QFile system(m_systemConfig.filePath(u"autostart/forgewire-tray.desktop"_s));
    QVERIFY(system.open(QIODevice::WriteOnly));
    system.write("[Desktop Entry]\nType=Application\nName=Forgewire\nExec=forgewire-tray\n");
    system.close();
    QFile::remove(Autostart::desktopFilePath());
    QCOMPARE(Autostart::systemFilePath(), system.fileName());
    QVERIFY(Autostart::isEnabled());

    // Off for this user: a Hidden=true entry of the same name, which the session's autostart honours.
    QString error;
    QVERIFY2(Autostart::setEnabled(false, {}, &error), qPrintable(error));
    QVERIFY(QFile::exists(Autostart::desktopFilePath()));
    QVERIFY(Autostart::isHiddenEntry(Autostart::desktopFilePath()));
    QVERIFY(!Autostart::isEnabled());
    QVERIFY(system.exists());

    // And on again.
    QVERIFY2(Autostart::setEnabled(true, u"/usr/bin/forgewire-tray"_s, &error), qPrintable(error));
    QVERIFY(!Autostart::isHiddenEntry(Autostart::desktopFilePath()));
    QVERIFY(Autostart::isEnabled());
    QVERIFY(system.remove());
}

QTEST_GUILESS_MAIN(TestAutostart)
#include "tst_autostart.moc"
