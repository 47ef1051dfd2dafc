// Authenticator: the token of an upgrade request (header or query) and what it is worth: anonymous,
// a static token, a JWT (valid, expired, badly signed, for another secret), or malformed.

#include "auth/Authenticator.h"
#include "protocol/Jwt.h"

#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestAuthenticator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void extractToken_data();
    void extractToken();
    void anonymous();
    void staticToken();
    void jwtAccepted();
    void jwtRefused_data();
    void jwtRefused();
    void malformedTokens_data();
    void malformedTokens();
    void unknownToken();
    void forgeVerifierHook();
};

namespace {

const QByteArray kSecret = "unit-test-secret";

ServerConfig config()
{
    ServerConfig c;
    c.jwtSecret = kSecret;
    c.staticTokens.insert("static-token-123", StaticToken{42, u"robot"_s, u"static-sid"_s});
    return c;
}

QByteArray jwt(qint64 userId, const QDateTime& expires, const QByteArray& secret = kSecret,
               const QStringList& topics = {})
{
    JwtClaims claims;
    claims.userId = userId;
    claims.login = u"alice"_s;
    claims.sessionId = u"sid-1"_s;
    claims.expires = expires;
    claims.topics = topics;
    return Jwt::sign(claims, secret);
}

QDateTime inAnHour()
{
    return QDateTime::currentDateTimeUtc().addSecs(3600);
}

} // namespace

void TestAuthenticator::extractToken_data()
{
    QTest::addColumn<QByteArray>("authorization");
    QTest::addColumn<QString>("query");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("none") << QByteArray() << QString() << QByteArray();
    QTest::newRow("Bearer") << QByteArray("Bearer abc") << QString() << QByteArray("abc");
    QTest::newRow("bearer, padded") << QByteArray("  bearer   abc  ") << QString() << QByteArray("abc");
    QTest::newRow("token scheme") << QByteArray("token abc") << QString() << QByteArray("abc");
    QTest::newRow("TOKEN scheme") << QByteArray("TOKEN abc") << QString() << QByteArray("abc");
    QTest::newRow("Basic is not a token") << QByteArray("Basic YTpi") << QString() << QByteArray();
    QTest::newRow("scheme only") << QByteArray("Bearer") << QString() << QByteArray();
    QTest::newRow("query") << QByteArray() << u"access_token=abc"_s << QByteArray("abc");
    QTest::newRow("query among others") << QByteArray() << u"x=1&access_token=abc&y=2"_s << QByteArray("abc");
    QTest::newRow("query percent-decoded")
        << QByteArray() << u"access_token=a%2Eb%2Ec"_s << QByteArray("a.b.c");
    QTest::newRow("header wins over query")
        << QByteArray("Bearer fromheader") << u"access_token=fromquery"_s << QByteArray("fromheader");
    QTest::newRow("unusable header falls back to query")
        << QByteArray("Basic YTpi") << u"access_token=fromquery"_s << QByteArray("fromquery");
    QTest::newRow("other query items only") << QByteArray() << u"token=abc"_s << QByteArray();
}

void TestAuthenticator::extractToken()
{
    QFETCH(QByteArray, authorization);
    QFETCH(QString, query);
    QFETCH(QByteArray, expected);
    QCOMPARE(Authenticator::extractToken(authorization, query), expected);
}

void TestAuthenticator::anonymous()
{
    const Authenticator auth(config());
    const AuthResult r = auth.authenticate({});
    QVERIFY(r.ok);
    QVERIFY(r.identity.isAnonymous());
}

void TestAuthenticator::staticToken()
{
    const Authenticator auth(config());
    const AuthResult r = auth.authenticate("static-token-123");
    QVERIFY(r.ok);
    QCOMPARE(r.identity.userId, 42);
    QCOMPARE(r.identity.login, u"robot"_s);
    QCOMPARE(r.identity.sessionId, u"static-sid"_s);
    QVERIFY(!auth.authenticate("static-token-124").ok);
}

void TestAuthenticator::jwtAccepted()
{
    const Authenticator auth(config());
    const QByteArray token = jwt(7, inAnHour(), kSecret, {u"project-board.3"_s});
    QVERIFY(Jwt::looksLikeJwt(token));
    const AuthResult r = auth.authenticate(token);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.identity.userId, 7);
    QCOMPARE(r.identity.login, u"alice"_s);
    QCOMPARE(r.identity.sessionId, u"sid-1"_s);
    QCOMPARE(r.identity.extraTopics, QStringList{u"project-board.3"_s});
}

void TestAuthenticator::jwtRefused_data()
{
    QTest::addColumn<QByteArray>("token");
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QTest::newRow("expired") << jwt(7, now.addSecs(-3600));
    QTest::newRow("expired beyond the leeway") << jwt(7, now.addSecs(-Jwt::kExpiryLeewaySeconds - 60));
    QTest::newRow("another secret") << jwt(7, inAnHour(), "other-secret");
    QByteArray tampered = jwt(7, inAnHour());
    tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
    QTest::newRow("bad signature") << tampered;
}

void TestAuthenticator::jwtRefused()
{
    QFETCH(QByteArray, token);
    const Authenticator auth(config());
    const AuthResult r = auth.authenticate(token);
    QVERIFY(!r.ok);
    QVERIFY(!r.error.isEmpty());
    QVERIFY(!r.transient);
    // The client is told "unauthorized", never why (that is for the log).
    QVERIFY(r.reason.isEmpty());
}

void TestAuthenticator::malformedTokens_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::newRow("space") << QByteArray("abc def");
    QTest::newRow("control character") << QByteArray("abc\x01");
    QTest::newRow("non-ASCII") << QByteArray("caf\xc3\xa9");
    QTest::newRow("too long") << QByteArray(64 * 1024, 'a');
}

void TestAuthenticator::malformedTokens()
{
    QFETCH(QByteArray, token);
    const Authenticator auth(config());
    const AuthResult r = auth.authenticate(token);
    QVERIFY(!r.ok);
    QCOMPARE(r.reason, u"malformed token"_s);
    // The log line names its size, never its bytes.
    QCOMPARE(r.error, u"malformed token (%1 bytes)"_s.arg(token.size()));
}

void TestAuthenticator::unknownToken()
{
    const Authenticator auth(config());
    const AuthResult r = auth.authenticate("gitea-style-0123456789abcdef");
    QVERIFY(!r.ok);
    QCOMPARE(r.error, u"unknown token"_s);
    QVERIFY(!Jwt::looksLikeJwt("gitea-style-0123456789abcdef"));
    QVERIFY(!Jwt::looksLikeJwt("a.b.c"));
}

void TestAuthenticator::forgeVerifierHook()
{
    Authenticator auth(config());
    QVERIFY(!auth.hasForgeVerifier());
    QByteArray seen;
    auth.setForgeVerifier(
        [&seen](const QByteArray& token, const QString&, std::function<void(AuthResult)> done) {
            seen = token;
            AuthResult r;
            r.ok = true;
            done(r);
        });
    QVERIFY(auth.hasForgeVerifier());
    // The hook is the caller's to run (see TokenVerifier): authenticate() stays synchronous.
    QVERIFY(!auth.authenticate("gitea-style-0123456789abcdef").ok);
    QVERIFY(seen.isEmpty());
    bool ok = false;
    auth.forgeVerifier()("forge-token", u"127.0.0.1"_s, [&ok](AuthResult r) { ok = r.ok; });
    QVERIFY(ok);
    QCOMPARE(seen, QByteArray("forge-token"));
}

QTEST_GUILESS_MAIN(TestAuthenticator)
#include "tst_authenticator.moc"
