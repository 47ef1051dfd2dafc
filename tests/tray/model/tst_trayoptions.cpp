// forgewire-tray's command line.

#include "model/TrayOptions.h"

#include <QTemporaryDir>
#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestTrayOptions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { qunsetenv("FORGEWIRE_TOKEN"); }
    void defaults();
    void everyFlag();
    void errors_data();
    void errors();
    void needsDisplay_data();
    void needsDisplay();
    void tokenFromEnvironmentWinsOverFile();
    void tokenFile();
};

void TestTrayOptions::defaults()
{
    const TrayOptions o = TrayOptions::parse({u"forgewire-tray"_s});
    QVERIFY2(o.error.isEmpty(), qPrintable(o.error));
    QVERIFY(!o.headless);
    QCOMPARE(o.format, TrayOptions::Format::Json);
    QVERIFY(!o.serverUrl && !o.forgeUrl && !o.watchedBoards);
    QString error;
    QVERIFY(!o.tokenOverride(&error));
    QVERIFY(error.isEmpty());
}

void TestTrayOptions::everyFlag()
{
    const TrayOptions o = TrayOptions::parse(
        {u"forgewire-tray"_s, u"--headless"_s, u"--format"_s, u"status"_s, u"--server"_s,
         u"ws://127.0.0.1:8080/-/ws"_s, u"--forge-url"_s, u"https://codeberg.org"_s, u"--watch-board"_s,
         u"42"_s, u"--watch-board"_s, u"57"_s, u"--token-file"_s, u"/tmp/t"_s, u"--log-level"_s, u"debug"_s});
    QVERIFY2(o.error.isEmpty(), qPrintable(o.error));
    QVERIFY(o.headless);
    QCOMPARE(o.format, TrayOptions::Format::Status);
    const TrayOptions board = TrayOptions::parse(
        {u"forgewire-tray"_s, u"--headless"_s, u"--format"_s, u"board"_s, u"--watch-board"_s, u"42"_s});
    QVERIFY2(board.error.isEmpty(), qPrintable(board.error));
    QCOMPARE(board.format, TrayOptions::Format::Board);
    QCOMPARE(*o.serverUrl, QUrl(u"ws://127.0.0.1:8080/-/ws"_s));
    QCOMPARE(*o.forgeUrl, QUrl(u"https://codeberg.org"_s));
    QCOMPARE(*o.watchedBoards, (QList<qint64>{42, 57}));
    QCOMPARE(o.tokenFile, u"/tmp/t"_s);
    QCOMPARE(o.logLevel, u"debug"_s);
    QVERIFY(o.helpText.contains(u"--watch-board"_s));
}

void TestTrayOptions::errors_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    QTest::newRow("unknown flag") << QStringList{u"--nope"_s} << u"Unknown option"_s;
    QTest::newRow("bad format") << QStringList{u"--headless"_s, u"--format"_s, u"xml"_s}
                                << u"Unknown format"_s;
    QTest::newRow("format without headless")
        << QStringList{u"--format"_s, u"status"_s} << u"needs --headless"_s;
    QTest::newRow("board format without a board") << QStringList{u"--headless"_s, u"--format"_s, u"board"_s}
                                                  << u"--format board needs --watch-board ID."_s;
    QTest::newRow("http server") << QStringList{u"--server"_s, u"http://x/-/ws"_s} << u"ws://"_s;
    QTest::newRow("bad forge") << QStringList{u"--forge-url"_s, u"ftp://x"_s} << u"forge URL"_s;
    QTest::newRow("bad board") << QStringList{u"--watch-board"_s, u"abc"_s} << u"not a project id"_s;
    QTest::newRow("bad level") << QStringList{u"--log-level"_s, u"loud"_s} << u"Unknown log level"_s;
    QTest::newRow("positional") << QStringList{u"extra"_s} << u"Unexpected argument"_s;
}

void TestTrayOptions::errors()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    arguments.prepend(u"forgewire-tray"_s);
    const TrayOptions o = TrayOptions::parse(arguments);
    QVERIFY2(o.error.contains(message), qPrintable(o.error));
}

void TestTrayOptions::needsDisplay_data()
{
    QTest::addColumn<QByteArrayList>("arguments");
    QTest::addColumn<bool>("display");
    QTest::newRow("tray") << QByteArrayList{} << true;
    QTest::newRow("tray with settings") << QByteArrayList{"--settings"} << true;
    QTest::newRow("headless") << QByteArrayList{"--server", "ws://x/-/ws", "--headless"} << false;
    QTest::newRow("help") << QByteArrayList{"--help"} << false;
    QTest::newRow("version") << QByteArrayList{"-v"} << false;
}

void TestTrayOptions::needsDisplay()
{
    QFETCH(QByteArrayList, arguments);
    QFETCH(bool, display);
    arguments.prepend("forgewire-tray");
    QList<char*> argv;
    for (QByteArray& a : arguments)
        argv.append(a.data());
    QCOMPARE(TrayOptions::needsDisplay(int(argv.size()), argv.data()), display);
}

void TestTrayOptions::tokenFromEnvironmentWinsOverFile()
{
    QTemporaryDir dir;
    QFile file(dir.filePath(u"token"_s));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("from-file\n");
    file.close();
    qputenv("FORGEWIRE_TOKEN", "from-env");
    const TrayOptions o = TrayOptions::parse({u"forgewire-tray"_s, u"--token-file"_s, file.fileName()});
    QString error;
    QCOMPARE(o.tokenOverride(&error).value_or("none"), QByteArray("from-env"));
}

void TestTrayOptions::tokenFile()
{
    QTemporaryDir dir;
    QFile file(dir.filePath(u"token"_s));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("  secret-token\n");
    file.close();
    QString error;
    const TrayOptions ok = TrayOptions::parse({u"forgewire-tray"_s, u"--token-file"_s, file.fileName()});
    QCOMPARE(ok.tokenOverride(&error).value_or("none"), QByteArray("secret-token"));
    QVERIFY(error.isEmpty());

    const TrayOptions missing =
        TrayOptions::parse({u"forgewire-tray"_s, u"--token-file"_s, dir.filePath(u"nope"_s)});
    QVERIFY(!missing.tokenOverride(&error));
    QVERIFY2(error.contains(u"Cannot read the token file"_s), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestTrayOptions)
#include "tst_trayoptions.moc"
