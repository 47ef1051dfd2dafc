// The Cookie header a cookie sign-in would forward to the forge (PROTOCOL.md v1.2): every byte is the
// client's, so what could smuggle a line or bloat the forge request is refused before anything reads
// it, and the forge session cookie's value is found.

#include "http/CookieHeader.h"

#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestCookieHeader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void limitsAreExact();
};

namespace {

HttpRequestHead headWith(const QList<QByteArray>& cookies)
{
    HttpRequestHead head;
    head.method = "GET";
    head.path = u"/user/events"_s;
    for (const QByteArray& value : cookies)
        head.headers.append({"cookie", value});
    return head;
}

QByteArray manyCookies(int n)
{
    QByteArrayList pairs;
    for (int i = 0; i < n; ++i)
        pairs.append("c" + QByteArray::number(i) + "=v");
    return pairs.join("; ");
}

} // namespace

void TestCookieHeader::parse_data()
{
    QTest::addColumn<QList<QByteArray>>("cookies");
    QTest::addColumn<QString>("error");      // a part of it; empty: accepted
    QTest::addColumn<QByteArray>("session"); // the i_like_gitea value
    QTest::addColumn<QByteArray>("header");  // as it would be forwarded
    using L = QList<QByteArray>;
    QTest::newRow("none") << L{} << QString() << QByteArray() << QByteArray();
    QTest::newRow("session only") << L{"i_like_gitea=abc123"} << QString() << QByteArray("abc123")
                                  << QByteArray("i_like_gitea=abc123");
    QTest::newRow("with others") << L{"lang=en-US; i_like_gitea=s1; _csrf=x%3D"} << QString()
                                 << QByteArray("s1") << QByteArray("lang=en-US; i_like_gitea=s1; _csrf=x%3D");
    QTest::newRow("two headers joined") << L{"lang=en", "i_like_gitea=s2"} << QString() << QByteArray("s2")
                                        << QByteArray("lang=en; i_like_gitea=s2");
    QTest::newRow("quoted value") << L{"i_like_gitea=\"q1\""} << QString() << QByteArray("q1")
                                  << QByteArray("i_like_gitea=\"q1\"");
    QTest::newRow("trailing separator") << L{"a=1;"} << QString() << QByteArray() << QByteArray("a=1;");
    QTest::newRow("other session name only")
        << L{"gitea_session=s3"} << QString() << QByteArray() << QByteArray("gitea_session=s3");
    QTest::newRow("control character")
        << L{QByteArray("i_like_gitea=a\x01b")} << u"control character"_s << QByteArray() << QByteArray();
    QTest::newRow("DEL") << L{QByteArray("i_like_gitea=a\x7f")} << u"control character"_s << QByteArray()
                         << QByteArray();
    QTest::newRow("tab") << L{QByteArray("i_like_gitea=a\tb")} << u"control character"_s << QByteArray()
                         << QByteArray();
    QTest::newRow("no equals") << L{"justaname"} << u"not name=value"_s << QByteArray() << QByteArray();
    QTest::newRow("empty name") << L{"=value"} << u"not name=value"_s << QByteArray() << QByteArray();
    QTest::newRow("name not a token") << L{"na(me=1"} << u"not a token"_s << QByteArray() << QByteArray();
    QTest::newRow("65 cookies") << L{manyCookies(65)} << u"more than 64 cookies"_s << QByteArray()
                                << QByteArray();
    QTest::newRow("over 8 KiB") << L{"i_like_gitea=" + QByteArray(8 * 1024, 'a')} << u"over 8192 bytes"_s
                                << QByteArray() << QByteArray();
}

void TestCookieHeader::parse()
{
    QFETCH(QList<QByteArray>, cookies);
    QFETCH(QString, error);
    QFETCH(QByteArray, session);
    QFETCH(QByteArray, header);
    const cookie::Parsed parsed = cookie::parse(headWith(cookies), "i_like_gitea");
    if (error.isEmpty()) {
        QVERIFY2(parsed.ok(), qPrintable(parsed.error));
        QCOMPARE(parsed.sessionId, session);
        QCOMPARE(parsed.header, header);
    } else {
        QVERIFY(!parsed.ok());
        QVERIFY2(parsed.error.contains(error), qPrintable(parsed.error));
        QVERIFY(parsed.header.isEmpty() && parsed.sessionId.isEmpty()); // nothing to forward
    }
}

void TestCookieHeader::limitsAreExact()
{
    QVERIFY(cookie::parse(headWith({manyCookies(cookie::kMaxCookies)}), "x").ok());
    QVERIFY(!cookie::parse(headWith({manyCookies(cookie::kMaxCookies + 1)}), "x").ok());
    const QByteArray prefix = "i_like_gitea=";
    const QByteArray atLimit = prefix + QByteArray(cookie::kMaxHeaderBytes - prefix.size(), 'a');
    QVERIFY(cookie::parse(headWith({atLimit}), "i_like_gitea").ok());
    QVERIFY(!cookie::parse(headWith({atLimit + 'a'}), "i_like_gitea").ok());
}

QTEST_GUILESS_MAIN(TestCookieHeader)
#include "tst_cookieheader.moc"
