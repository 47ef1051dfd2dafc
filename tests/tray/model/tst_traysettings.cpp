// Settings round trip and validation of what the settings dialog and the command line accept.

#include "model/TraySettings.h"

#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestTraySettings : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTrip();
    void defaultsWhenEmpty();
    void checkServerUrl_data();
    void checkServerUrl();
    void checkForgeUrl_data();
    void checkForgeUrl();
    void parseBoardList_data();
    void parseBoardList();
};

void TestTraySettings::roundTrip()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"tray.conf"_s);
    TraySettings saved;
    saved.serverUrl = QUrl(u"wss://forge.example.org/-/ws"_s);
    saved.forgeUrl = QUrl(u"https://forge.example.org"_s);
    saved.watchedBoards = {42, 57};
    saved.boardNotifications = false;
    {
        QSettings settings(path, QSettings::IniFormat);
        saved.save(settings);
    }
    QSettings settings(path, QSettings::IniFormat);
    QCOMPARE(TraySettings::load(settings), saved);
}

void TestTraySettings::defaultsWhenEmpty()
{
    QTemporaryDir dir;
    QSettings settings(dir.filePath(u"empty.conf"_s), QSettings::IniFormat);
    const TraySettings s = TraySettings::load(settings);
    QVERIFY(s.serverUrl.isEmpty());
    QVERIFY(s.watchedBoards.isEmpty());
    QVERIFY(s.boardNotifications);
    QVERIFY(!TraySettings::checkServerUrl(s.serverUrl).isEmpty());
}

void TestTraySettings::checkServerUrl_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("ok");
    QTest::newRow("ws") << u"ws://localhost:8080/-/ws"_s << true;
    QTest::newRow("wss with prefix") << u"wss://forge.example.org/push/-/ws"_s << true;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("http") << u"http://localhost:8080/-/ws"_s << false;
    QTest::newRow("no host") << u"ws:///-/ws"_s << false;
    QTest::newRow("token in query") << u"ws://localhost:8080/-/ws?access_token=x"_s << false;
}

void TestTraySettings::checkServerUrl()
{
    QFETCH(QString, url);
    QFETCH(bool, ok);
    QCOMPARE(TraySettings::checkServerUrl(QUrl(url)).isEmpty(), ok);
}

void TestTraySettings::checkForgeUrl_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("ok");
    QTest::newRow("none is fine") << QString() << true;
    QTest::newRow("https") << u"https://codeberg.org"_s << true;
    QTest::newRow("sub-path") << u"http://example.org/git/"_s << true;
    QTest::newRow("ws") << u"ws://codeberg.org"_s << false;
    QTest::newRow("no host") << u"https://"_s << false;
}

void TestTraySettings::checkForgeUrl()
{
    QFETCH(QString, url);
    QFETCH(bool, ok);
    QCOMPARE(TraySettings::checkForgeUrl(QUrl(url)).isEmpty(), ok);
}

void TestTraySettings::parseBoardList_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QList<qint64>>("boards");
    QTest::addColumn<bool>("ok");
    QTest::newRow("empty") << QString() << QList<qint64>{} << true;
    QTest::newRow("commas") << u"42, 57"_s << QList<qint64>{42, 57} << true;
    QTest::newRow("spaces and duplicates") << u" 1  2;2\t3 "_s << QList<qint64>{1, 2, 3} << true;
    QTest::newRow("word") << u"42, board"_s << QList<qint64>{42} << false;
    QTest::newRow("zero") << u"0"_s << QList<qint64>{} << false;
    QTest::newRow("negative") << u"-4"_s << QList<qint64>{} << false;
}

void TestTraySettings::parseBoardList()
{
    QFETCH(QString, text);
    QFETCH(QList<qint64>, boards);
    QFETCH(bool, ok);
    QString error;
    QCOMPARE(TraySettings::parseBoardList(text, &error), boards);
    QCOMPARE(error.isEmpty(), ok);
    QCOMPARE(TraySettings::parseBoardList(TraySettings::formatBoardList(boards)), boards);
}

QTEST_GUILESS_MAIN(TestTraySettings)
#include "tst_traysettings.moc"
