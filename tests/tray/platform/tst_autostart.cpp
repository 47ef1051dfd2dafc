// "Start at login": the .desktop file in $XDG_CONFIG_HOME/autostart.

#include "platform/Autostart.h"

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

private:
    QTemporaryDir m_config;
};

void TestAutostart::initTestCase()
{
    QVERIFY(m_config.isValid());
    qputenv("XDG_CONFIG_HOME", m_config.path().toUtf8());
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

QTEST_GUILESS_MAIN(TestAutostart)
#include "tst_autostart.moc"
