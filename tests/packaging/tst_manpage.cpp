#include "ManPage.h"

#include <QCommandLineParser>
#include <QtTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestManPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void escapesWhatRoffWouldInterpret_data()
    {
        QTest::addColumn<QString>("plain");
        QTest::addColumn<QString>("roff");
        QTest::newRow("plain") << u"every key"_s << u"every key"_s;
        // A leading dot or quote would be a roff request and the line would vanish.
        QTest::newRow("leading dot") << u".ini files"_s << u"\\&.ini files"_s;
        QTest::newRow("leading quote") << u"'a'"_s << u"\\&'a'"_s;
        QTest::newRow("dot after newline") << u"a\n.b"_s << u"a\n\\&.b"_s;
        QTest::newRow("inner dot") << u"a.b"_s << u"a.b"_s;
        QTest::newRow("backslash") << u"C:\\x"_s << u"C:\\ex"_s;
        // Options must paste into a shell: a real minus, not a hyphen.
        QTest::newRow("minus") << u"--port"_s << u"\\-\\-port"_s;
        QTest::newRow("non-ASCII") << u"a\u2026\u00e9"_s << u"a\\[u2026]\\[u00E9]"_s;
    }
    void escapesWhatRoffWouldInterpret()
    {
        QFETCH(QString, plain);
        QFETCH(QString, roff);
        QCOMPARE(ManPage::escape(plain), roff);
    }

    void headerHasNoDateNorHyphenation()
    {
        const ManPage page(u"forgewire-server"_s, 1, u"0.1.0"_s, u"push server"_s);
        QCOMPARE(page.text(),
                 u".TH FORGEWIRE\\-SERVER 1 \"\" \"forgewire\\-server 0.1.0\" \"User Commands\"\n"
                 ".nh\n.SH NAME\nforgewire\\-server \\- push server\n"_s);
    }

    // The options of a real QCommandLineParser help text, wrapped lines joined again.
    void optionsFromHelp()
    {
        QCommandLineParser parser;
        parser.setApplicationDescription(u"Tool."_s);
        parser.addHelpOption();
        parser.addOption(
            QCommandLineOption(u"port"_s,
                               u"Client WebSocket port; 0 = any free port (default 8080). This sentence "
                               "is long enough to be wrapped onto a second and a third line by the "
                               "parser."_s,
                               u"port"_s));
        parser.addOption(QCommandLineOption({u"x"_s, u"headless"_s}, u"No GUI."_s));
        ManPage page(u"t"_s, 1, u"1"_s, u"t"_s);
        const qsizetype header = page.text().size();
        page.optionsFromHelp(parser.helpText());
        const QString options = page.text().sliced(header);
        QVERIFY2(options.contains(
                     u".TP\n\\fB\\-\\-port\\fR \\fIport\\fR\nClient WebSocket port; 0 = any free port "
                     "(default 8080). This sentence is long enough to be wrapped onto a second and a "
                     "third line by the parser.\n"_s),
                 qPrintable(options));
        QVERIFY2(options.contains(u".TP\n\\fB\\-x, \\-\\-headless\\fR\nNo GUI.\n"_s), qPrintable(options));
        QVERIFY2(options.contains(u"\\-\\-help"_s), qPrintable(options));
        QCOMPARE(options.count(u".TP\n"_s), parser.helpText().contains(u"--help-all"_s) ? 4 : 3);
    }
};

QTEST_GUILESS_MAIN(TestManPage)
#include "tst_manpage.moc"
