// logSafe(): what a client-controlled value looks like once it is in a log line.

#include "common/Logging.h"

#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestLogging : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void escapes_data();
    void escapes();
    void bytesAreUtf8();
    void truncates_data();
    void truncates();
    void noRawLineBreakSurvives();
};

void TestLogging::escapes_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("expected");

    QTest::newRow("plain") << u"HS256"_s << u"HS256"_s;
    QTest::newRow("empty") << QString() << QString();
    QTest::newRow("newline forging a line") << u"HS256\n2030-01-01 forgewire.auth: admin logged in"_s
                                            << u"HS256\\n2030-01-01 forgewire.auth: admin logged in"_s;
    QTest::newRow("CRLF") << u"a\r\nb"_s << u"a\\r\\nb"_s;
    QTest::newRow("tab") << u"a\tb"_s << u"a\\tb"_s;
    QTest::newRow("NUL") << QString(QChar(0)) << u"\\x00"_s;
    QTest::newRow("ESC (terminal escape)") << u"\x1b[31mred"_s << u"\\x1b[31mred"_s;
    QTest::newRow("unit separator") << u"\x1f"_s << u"\\x1f"_s;
    QTest::newRow("DEL") << u"\x7f"_s << u"\\x7f"_s;
    QTest::newRow("C1 NEL") << u"a\u0085b"_s << u"a\\x85b"_s;
    QTest::newRow("C1 CSI") << u"\u009b"_s << u"\\x9b"_s;
    QTest::newRow("C1 last") << u"\u009f"_s << u"\\x9f"_s;
    QTest::newRow("Latin-1 printable kept") << u"caf\u00e9 \u00a0"_s << u"caf\u00e9 \u00a0"_s;
    QTest::newRow("line separator") << u"a\u2028b"_s << u"a\\u2028b"_s;
    QTest::newRow("paragraph separator") << u"a\u2029b"_s << u"a\\u2029b"_s;
    QTest::newRow("bidi override") << u"\u202egnp.exe"_s << u"\\u202egnp.exe"_s;
    QTest::newRow("bidi isolate") << u"\u2066x\u2069"_s << u"\\u2066x\\u2069"_s;
    QTest::newRow("backslash doubled") << u"a\\nb"_s << u"a\\\\nb"_s;
    QTest::newRow("non-ASCII kept") << u"\u00fcber \U0001F600 \u4e2d"_s << u"\u00fcber \U0001F600 \u4e2d"_s;
    QTest::newRow("printable ASCII kept")
        << u" !\"#%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~"_s << u" !\"#%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~"_s;
}

void TestLogging::escapes()
{
    QFETCH(QString, input);
    QFETCH(QString, expected);
    QCOMPARE(logSafe(input), expected);
    QCOMPARE(logSafe(QStringView(input)), expected);
    QCOMPARE(logSafe(input.toUtf8()), expected);
}

void TestLogging::bytesAreUtf8()
{
    QCOMPARE(logSafe(QByteArrayLiteral("GET /ws?x=\r\n")), u"GET /ws?x=\\r\\n"_s);
    QCOMPARE(logSafe(QByteArrayLiteral("\xc3\xbc")), u"\u00fc"_s);
    // An invalid sequence is replaced, never passed on as a raw byte.
    QCOMPARE(logSafe(QByteArrayLiteral("a\xff"
                                       "b")),
             u"a\ufffdb"_s);
    // A raw 0x85 byte (NEL in Latin-1) is no line break once decoded.
    QVERIFY(!logSafe(QByteArrayLiteral("a\x85")).contains(QChar(0x85)));
}

void TestLogging::truncates_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<int>("maxChars");
    QTest::addColumn<QString>("expected");

    QTest::newRow("at the limit") << u"abcd"_s << 4 << u"abcd"_s;
    QTest::newRow("one over") << u"abcde"_s << 4 << u"abcd...(5 chars)"_s;
    QTest::newRow("long") << QString(10000, u'x') << 3 << u"xxx...(10000 chars)"_s;
    QTest::newRow("zero") << u"abc"_s << 0 << u"...(3 chars)"_s;
    QTest::newRow("escapes count as one input char") << u"\n\n\n\n\n"_s << 2 << u"\\n\\n...(5 chars)"_s;
    QTest::newRow("surrogate pair not cut") << u"a\U0001F600b"_s << 2 << u"a...(4 chars)"_s;
}

void TestLogging::truncates()
{
    QFETCH(QString, input);
    QFETCH(int, maxChars);
    QFETCH(QString, expected);
    QCOMPARE(logSafe(input, maxChars), expected);
}

void TestLogging::noRawLineBreakSurvives()
{
    // Every code unit that could end or disturb a log line, alone and among text, bytes and string.
    for (char16_t c = 0; c < 0x3000; ++c) {
        const QString value = u"x"_s + QChar(c) + u"y"_s;
        const QString safe = logSafe(value);
        for (const QChar out : safe) {
            const char16_t u = out.unicode();
            QVERIFY2(u >= 0x20 && !(u >= 0x7f && u <= 0x9f) && u != 0x2028 && u != 0x2029,
                     qPrintable(u"U+%1 passed through"_s.arg(uint(c), 4, 16, QLatin1Char('0'))));
        }
    }
    // The default limit keeps a huge value to one short line.
    const QString huge = logSafe(QByteArray(1 << 20, '\n'));
    QVERIFY(huge.size() < 4 * kLogValueMaxChars);
    QVERIFY(huge.endsWith(u"...(1048576 bytes)"_s));
}

QTEST_GUILESS_MAIN(TestLogging)
#include "tst_logging.moc"
