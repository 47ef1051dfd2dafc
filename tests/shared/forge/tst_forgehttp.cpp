#include "forge/ForgeHttp.h"
#include "protocol/Jwt.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestForgeHttp : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void join_data();
    void join();
    void apiUrl_data();
    void apiUrl();
    void segmentKeepsNamesWhole();
    void classify_data();
    void classify();
    void missingScope_data();
    void missingScope();
    void looksLikeJwt_data();
    void looksLikeJwt();
    void controlCharacterIsNeverSent();
    void sendsTokenAndAccept();
};

void TestForgeHttp::join_data()
{
    QTest::addColumn<QString>("base");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("url");
    QTest::newRow("root") << u"https://codeberg.org"_s << u"/notifications"_s
                          << u"https://codeberg.org/notifications"_s;
    QTest::newRow("trailing slash") << u"https://codeberg.org/"_s << u"/notifications"_s
                                    << u"https://codeberg.org/notifications"_s;
    QTest::newRow("slashes") << u"https://codeberg.org///"_s << u"/a"_s << u"https://codeberg.org/a"_s;
    QTest::newRow("sub-path") << u"https://example.org/git"_s << u"/alice/proj/issues/7"_s
                              << u"https://example.org/git/alice/proj/issues/7"_s;
    QTest::newRow("sub-path slash") << u"https://example.org/git/"_s << u"/alice/proj/projects/3"_s
                                    << u"https://example.org/git/alice/proj/projects/3"_s;
    QTest::newRow("port") << u"http://127.0.0.1:3000"_s << u"/x"_s << u"http://127.0.0.1:3000/x"_s;
    QTest::newRow("query and fragment dropped")
        << u"https://example.org/git/?a=1#top"_s << u"/x"_s << u"https://example.org/git/x"_s;
    QTest::newRow("encoded base kept")
        << u"https://example.org/my%20git/"_s << u"/x"_s << u"https://example.org/my%20git/x"_s;
    QTest::newRow("encoded segment kept")
        << u"https://example.org"_s << u"/a%2Fb/c"_s << u"https://example.org/a%2Fb/c"_s;
    QTest::newRow("no forge") << QString() << u"/x"_s << QString();
}

void TestForgeHttp::join()
{
    QFETCH(QString, base);
    QFETCH(QString, path);
    QFETCH(QString, url);
    QCOMPARE(ForgeHttp::join(QUrl(base), path).toString(QUrl::FullyEncoded), url);
}

void TestForgeHttp::apiUrl_data()
{
    QTest::addColumn<QString>("base");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("url");
    QTest::newRow("root") << u"https://codeberg.org"_s << u"/user"_s << u"https://codeberg.org/api/v1/user"_s;
    QTest::newRow("sub-path") << u"https://example.org/gitea/"_s << u"/notifications/new"_s
                              << u"https://example.org/gitea/api/v1/notifications/new"_s;
    QTest::newRow("empty path") << u"https://example.org/gitea"_s << QString()
                                << u"https://example.org/gitea/api/v1"_s;
    QTest::newRow("query dropped") << u"https://example.org/?x=1"_s << u"/user"_s
                                   << u"https://example.org/api/v1/user"_s;
}

void TestForgeHttp::apiUrl()
{
    QFETCH(QString, base);
    QFETCH(QString, path);
    QFETCH(QString, url);
    QCOMPARE(ForgeHttp::apiUrl(QUrl(base), path).toString(QUrl::FullyEncoded), url);
}

void TestForgeHttp::segmentKeepsNamesWhole()
{
    const QUrl url =
        ForgeHttp::join(QUrl(u"https://example.org"_s),
                        u"/%1/%2"_s.arg(ForgeHttp::segment(u"a/b?c#d"_s), ForgeHttp::segment(u"é"_s)));
    QCOMPARE(url.toString(QUrl::FullyEncoded), u"https://example.org/a%2Fb%3Fc%23d/%C3%A9"_s);
    QVERIFY(!url.hasQuery());
    QVERIFY(!url.hasFragment());
}

void TestForgeHttp::classify_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("outcome");
    using O = ForgeHttp::Outcome;
    QTest::newRow("no answer") << 0 << int(O::Failed);
    QTest::newRow("200") << 200 << int(O::Ok);
    QTest::newRow("201") << 201 << int(O::Ok);
    QTest::newRow("204") << 204 << int(O::Ok);
    QTest::newRow("205") << 205 << int(O::Ok);
    QTest::newRow("301") << 301 << int(O::Failed);
    QTest::newRow("400") << 400 << int(O::Failed);
    QTest::newRow("401") << 401 << int(O::Unauthorized);
    QTest::newRow("403") << 403 << int(O::Unauthorized);
    QTest::newRow("404") << 404 << int(O::Failed);
    QTest::newRow("409") << 409 << int(O::Failed);
    QTest::newRow("429") << 429 << int(O::RateLimited);
    QTest::newRow("500") << 500 << int(O::Failed);
    QTest::newRow("503") << 503 << int(O::Failed);
}

void TestForgeHttp::classify()
{
    QFETCH(int, status);
    QFETCH(int, outcome);
    QCOMPARE(int(ForgeHttp::classify(status)), outcome);
}

void TestForgeHttp::missingScope_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("scope");
    QTest::newRow("401 names none") << 401 << u"/user"_s << QByteArray("GET") << QString();
    QTest::newRow("user") << 403 << u"/user"_s << QByteArray("GET") << u"read:user"_s;
    QTest::newRow("stopwatches") << 403 << u"/user/stopwatches"_s << QByteArray("GET") << u"read:user"_s;
    QTest::newRow("notifications") << 403 << u"/notifications/new"_s << QByteArray("GET")
                                   << u"read:notification"_s;
    QTest::newRow("mark read") << 403 << u"/notifications"_s << QByteArray("PUT") << u"write:notification"_s;
    QTest::newRow("stop stopwatch") << 403 << u"/repos/a/b/issues/1/stopwatch/stop"_s << QByteArray("POST")
                                    << u"write:issue"_s;
    QTest::newRow("cancel stopwatch")
        << 403 << u"/repos/a/b/issues/1/stopwatch/delete"_s << QByteArray("DELETE") << u"write:issue"_s;
}

void TestForgeHttp::missingScope()
{
    QFETCH(int, status);
    QFETCH(QString, path);
    QFETCH(QByteArray, method);
    QFETCH(QString, scope);
    QCOMPARE(ForgeHttp::missingScope(status, path, method), scope);
}

void TestForgeHttp::looksLikeJwt_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<bool>("jwt");
    JwtClaims claims;
    claims.userId = 7;
    claims.login = u"alice"_s;
    claims.expires = QDateTime::currentDateTimeUtc().addSecs(60);
    QTest::newRow("signed") << Jwt::sign(claims, "secret") << true;
    QTest::newRow("shape") << QByteArray("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0.c2ln") << true;
    QTest::newRow("gitea token") << QByteArray("0123456789abcdef0123456789abcdef01234567") << false;
    QTest::newRow("empty") << QByteArray() << false;
    // The server once took these for JWTs, the tray did not (and the other way round).
    QTest::newRow("empty part") << QByteArray("eyJhbGciOiJIUzI1NiJ9..c2ln") << false;
    QTest::newRow("not a JSON header") << QByteArray("abc.def.ghi") << false;
    QTest::newRow("four parts") << QByteArray("eyJa.b.c.d") << false;
    QTest::newRow("two parts") << QByteArray("eyJa.b") << false;
    QTest::newRow("not base64url") << QByteArray("eyJa.b+c.d") << false;
}

void TestForgeHttp::looksLikeJwt()
{
    QFETCH(QByteArray, token);
    QFETCH(bool, jwt);
    QCOMPARE(Jwt::looksLikeJwt(token), jwt);
}

void TestForgeHttp::controlCharacterIsNeverSent()
{
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost));
    QNetworkAccessManager network;
    QString header;
    QNetworkReply* reply =
        ForgeHttp::send(network, "GET", QUrl(u"http://127.0.0.1:%1/api/v1/user"_s.arg(server.serverPort())),
                        "abc\r\nX-Evil: 1", &header);
    QVERIFY(!reply);
    QCOMPARE(header, u"Authorization"_s);
    QVERIFY(!server.waitForNewConnection(200));
}

void TestForgeHttp::sendsTokenAndAccept()
{
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost));
    QNetworkAccessManager network;
    QNetworkReply* reply = ForgeHttp::send(
        network, "PUT", QUrl(u"http://127.0.0.1:%1/api/v1/notifications"_s.arg(server.serverPort())),
        "sekrit", nullptr);
    QVERIFY(reply);
    QTRY_VERIFY(server.hasPendingConnections());
    QTcpSocket* socket = server.nextPendingConnection();
    QByteArray head;
    QTRY_VERIFY((head += socket->readAll()).contains("\r\n\r\n"));
    QVERIFY(head.startsWith("PUT /api/v1/notifications HTTP/1.1\r\n"));
    QVERIFY(head.contains("\r\nAuthorization: token sekrit\r\n"));
    QVERIFY(head.contains("\r\nAccept: application/json\r\n"));
    socket->write("HTTP/1.1 205 Reset Content\r\nContent-Length: 0\r\n\r\n");
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 205);
    QCOMPARE(reply->request().attribute(QNetworkRequest::RedirectPolicyAttribute).toInt(),
             int(QNetworkRequest::SameOriginRedirectPolicy));
    reply->deleteLater();
}

QTEST_GUILESS_MAIN(TestForgeHttp)
#include "tst_forgehttp.moc"
