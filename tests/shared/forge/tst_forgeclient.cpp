#include "forge/ForgeClient.h"

#include "FakeForge.h"
#include "TestSupport.h"

#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

class TestForgeClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parseRetryAfter_data();
    void parseRetryAfter();
    void sessionCookieOnWebRoutes_data();
    void sessionCookieOnWebRoutes();
    void cookieWithControlCharacterIsNotSent();
};

void TestForgeClient::parseRetryAfter_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<int>("ms");
    QTest::newRow("seconds") << QByteArray("120") << 120'000;
    QTest::newRow("seconds, spaces") << QByteArray(" 3 ") << 3'000;
    // RFC 9110 HTTP-date: always "GMT", which Qt's RFC 2822 parser does not take as a zone.
    QTest::newRow("http date") << QByteArray("Mon, 23 Nov 2026 10:00:30 GMT") << 30'000;
    QTest::newRow("numeric zone") << QByteArray("Mon, 23 Nov 2026 11:01:00 +0100") << 60'000;
    QTest::newRow("date in the past") << QByteArray("Mon, 23 Nov 2026 09:00:00 GMT") << 0;
    QTest::newRow("negative") << QByteArray("-5") << -1;
    QTest::newRow("garbage") << QByteArray("soon") << -1;
    QTest::newRow("empty") << QByteArray() << -1;
}

void TestForgeClient::parseRetryAfter()
{
    QFETCH(QByteArray, value);
    QFETCH(int, ms);
    const QDateTime now(QDate(2026, 11, 23), QTime(10, 0, 0), Qt::UTC);
    QCOMPARE(ForgeClient::parseRetryAfterMs(value, now), ms);
}

void TestForgeClient::sessionCookieOnWebRoutes_data()
{
    QTest::addColumn<QByteArray>("cookie");
    QTest::addColumn<int>("status"); // ForgeReply::Status
    QTest::addColumn<int>("httpStatus");
    const int ok = int(ForgeReply::Status::Ok), refused = int(ForgeReply::Status::Unauthorized);
    QTest::newRow("signed in") << QByteArray("lang=en; i_like_gitea=sess-a") << ok << 200;
    QTest::newRow("signed in, other cookies after")
        << QByteArray("i_like_gitea=sess-a; _csrf=x") << ok << 200;
    QTest::newRow("unknown session: sign-in page") << QByteArray("i_like_gitea=nope") << refused << 303;
    QTest::newRow("no session cookie") << QByteArray("lang=en") << refused << 303;
}

void TestForgeClient::sessionCookieOnWebRoutes()
{
    // Gitea >= 1.17: the session cookie counts on its web routes only, and a signed-out session is
    // redirected to the sign-in page, which the client must take as the answer (not follow).
    QFETCH(QByteArray, cookie);
    QFETCH(int, status);
    QFETCH(int, httpStatus);
    FakeForge forge;
    QVERIFY(forge.start());
    forge.rememberPort();
    forge.accounts[7] = {u"alice"_s,
                         4,
                         QJsonArray{FakeForge::stopwatch(7, u"Fix X"_s, QDateTime::currentDateTimeUtc())},
                         {},
                         {}};
    forge.sessions.insert("sess-a", 7);
    ForgeClient client(forge.url());
    QObject context;

    bool done = false;
    ForgeReply countReply;
    qint64 count = -1;
    client.fetchNewCount(ForgeCredential::ofCookie(cookie), &context, [&](ForgeReply r, qint64 n) {
        countReply = r;
        count = n;
        done = true;
    });
    QVERIFY(waitFor([&] { return done; }));
    QCOMPARE(int(countReply.status), status);
    QCOMPARE(countReply.httpStatus, httpStatus);
    if (countReply.ok())
        QCOMPARE(count, 4);

    done = false;
    ForgeReply watchReply;
    QList<protocol::Stopwatch> watches;
    client.fetchStopwatches(ForgeCredential::ofCookie(cookie), &context,
                            [&](ForgeReply r, QList<protocol::Stopwatch> list) {
                                watchReply = r;
                                watches = list;
                                done = true;
                            });
    QVERIFY(waitFor([&] { return done; }));
    QCOMPARE(int(watchReply.status), status);
    if (watchReply.ok()) {
        QCOMPARE(watches.size(), 1);
        QCOMPARE(watches.first().issueTitle, u"Fix X"_s);
    }
    // The web routes were asked, never the API, and a redirect was not followed.
    QCOMPARE(forge.count(u"/notifications/new"_s), 1);
    QCOMPARE(forge.count(u"/user/stopwatches"_s), 1);
    QCOMPARE(forge.count(u"/user/login"_s), 0);
    QCOMPARE(forge.count(u"/api/v1/notifications/new"_s), 0);
}

void TestForgeClient::cookieWithControlCharacterIsNotSent()
{
    FakeForge forge;
    QVERIFY(forge.start());
    forge.rememberPort();
    ForgeClient client(forge.url());
    QObject context;
    bool done = false;
    ForgeReply reply;
    client.fetchNewCount(ForgeCredential::ofCookie("i_like_gitea=a\r\nX-Injected: 1"), &context,
                         [&](ForgeReply r, qint64) {
                             reply = r;
                             done = true;
                         });
    QVERIFY(waitFor([&] { return done; }));
    QVERIFY(reply.notSent);
    QCOMPARE(reply.status, ForgeReply::Status::Unauthorized);
    QVERIFY(forge.hits.isEmpty());
}

QTEST_GUILESS_MAIN(TestForgeClient)
#include "tst_forgeclient.moc"
