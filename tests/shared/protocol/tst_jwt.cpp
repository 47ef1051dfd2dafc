// HS256 tokens of PROTOCOL.md "Token forms" (1): what is accepted, what is refused and why.

#include "protocol/Jwt.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QTest>
#include <QTimeZone>

using namespace forgewire;
using namespace Qt::StringLiterals;

namespace {

constexpr qint64 kNow = 1'800'000'000;
const QByteArray kSecret = QByteArrayLiteral("s3cret-for-tests");

QDateTime at(qint64 secs)
{
    return QDateTime::fromSecsSinceEpoch(secs, QTimeZone::utc());
}

QByteArray b64url(const QByteArray& bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray json(const QJsonObject& object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// A token assembled by hand, so headers and payloads the signer would never produce can be tried.
QByteArray craft(const QByteArray& headerJson, const QByteArray& payloadJson,
                 const QByteArray& secret = kSecret,
                 QCryptographicHash::Algorithm algorithm = QCryptographicHash::Sha256)
{
    const QByteArray input = b64url(headerJson) + '.' + b64url(payloadJson);
    return input + '.' + b64url(QMessageAuthenticationCode::hash(input, secret, algorithm));
}

QByteArray hs256Header()
{
    return QByteArrayLiteral(R"({"alg":"HS256","typ":"JWT"})");
}

QJsonObject goodPayload()
{
    return QJsonObject{
        {u"sub"_s, u"7"_s}, {u"name"_s, u"alice"_s}, {u"sid"_s, u"sess-1"_s}, {u"exp"_s, kNow + 3600}};
}

QJsonObject payloadWith(const QString& key, const QJsonValue& value)
{
    QJsonObject payload = goodPayload();
    if (value.isUndefined())
        payload.remove(key);
    else
        payload.insert(key, value);
    return payload;
}

QByteArray flipChar(QByteArray token, qsizetype index)
{
    token[index] = token[index] == 'A' ? 'B' : 'A';
    return token;
}

} // namespace

class TestJwt : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void verify_data();
    void verify();
    void acceptedClaims();
    void externalVectors();
    void emptySecretRefuses();
    void constantTimeEquals_data();
    void constantTimeEquals();
    void signVerifyRoundTrip_data();
    void signVerifyRoundTrip();
    void signedHeaderIsHs256();
};

void TestJwt::verify_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<qint64>("now");
    QTest::addColumn<qint64>("userId"); // 0: refused
    QTest::addColumn<QString>("error"); // fragment of the refusal reason

    const QByteArray valid = craft(hs256Header(), json(goodPayload()));
    const qsizetype signatureStart = valid.lastIndexOf('.') + 1;
    const qsizetype payloadStart = valid.indexOf('.') + 1;

    QTest::newRow("valid") << valid << kNow << qint64(7) << QString();
    QTest::newRow("valid signed by sign()")
        << Jwt::sign(JwtClaims{7, u"alice"_s, {}, at(kNow + 60), {}}, kSecret) << kNow << qint64(7)
        << QString();

    // Signature
    QTest::newRow("signature char flipped")
        << flipChar(valid, signatureStart + 5) << kNow << qint64(0) << u"bad JWT signature"_s;
    QTest::newRow("payload char flipped")
        << flipChar(valid, payloadStart + 3) << kNow << qint64(0) << u"bad JWT signature"_s;
    QTest::newRow("signature truncated") << valid.chopped(1) << kNow << qint64(0) << u"bad JWT signature"_s;
    QTest::newRow("signature empty") << valid.left(signatureStart) << kNow << qint64(0)
                                     << u"bad JWT signature"_s;
    QTest::newRow("other secret") << craft(hs256Header(), json(goodPayload()), "another-secret") << kNow
                                  << qint64(0) << u"bad JWT signature"_s;
    QTest::newRow("signed by sign() with other secret")
        << Jwt::sign(JwtClaims{7, u"alice"_s, {}, at(kNow + 60), {}}, "another-secret") << kNow << qint64(0)
        << u"bad JWT signature"_s;

    // Algorithm: the token must not pick its own check.
    QTest::newRow("alg none unsigned")
        << (b64url(R"({"alg":"none","typ":"JWT"})") + '.' + b64url(json(goodPayload())) + '.') << kNow
        << qint64(0) << u"unsupported JWT alg 'none'"_s;
    QTest::newRow("alg none with HS256 signature")
        << craft(R"({"alg":"none","typ":"JWT"})", json(goodPayload())) << kNow << qint64(0)
        << u"unsupported JWT alg 'none'"_s;
    QTest::newRow("alg HS512") << craft(R"({"alg":"HS512","typ":"JWT"})", json(goodPayload()), kSecret,
                                        QCryptographicHash::Sha512)
                               << kNow << qint64(0) << u"unsupported JWT alg 'HS512'"_s;
    QTest::newRow("alg RS256") << craft(R"({"alg":"RS256","typ":"JWT"})", json(goodPayload())) << kNow
                               << qint64(0) << u"unsupported JWT alg 'RS256'"_s;
    QTest::newRow("alg lowercase") << craft(R"({"alg":"hs256","typ":"JWT"})", json(goodPayload())) << kNow
                                   << qint64(0) << u"unsupported JWT alg 'hs256'"_s;
    QTest::newRow("alg missing") << craft(R"({"typ":"JWT"})", json(goodPayload())) << kNow << qint64(0)
                                 << u"unsupported JWT alg ''"_s;

    // Expiry, with the 30 s leeway.
    QTest::newRow("expires now") << craft(hs256Header(), json(payloadWith(u"exp"_s, kNow))) << kNow
                                 << qint64(7) << QString();
    QTest::newRow("expired 1 s ago") << craft(hs256Header(), json(payloadWith(u"exp"_s, kNow - 1))) << kNow
                                     << qint64(7) << QString();
    QTest::newRow("expired 30 s ago (leeway edge)")
        << craft(hs256Header(), json(payloadWith(u"exp"_s, kNow - 30))) << kNow << qint64(7) << QString();
    QTest::newRow("expired 31 s ago") << craft(hs256Header(), json(payloadWith(u"exp"_s, kNow - 31))) << kNow
                                      << qint64(0) << u"JWT expired at 2027-01-15T07:59:29Z"_s;
    QTest::newRow("expired an hour ago") << craft(hs256Header(), json(payloadWith(u"exp"_s, kNow - 3600)))
                                         << kNow << qint64(0) << u"JWT expired"_s;
    QTest::newRow("exp missing") << craft(hs256Header(), json(payloadWith(u"exp"_s, QJsonValue::Undefined)))
                                 << kNow << qint64(0) << u"JWT has no numeric 'exp'"_s;
    QTest::newRow("exp string") << craft(hs256Header(), json(payloadWith(u"exp"_s, u"1800003600"_s))) << kNow
                                << qint64(0) << u"JWT has no numeric 'exp'"_s;
    QTest::newRow("exp null") << craft(hs256Header(), json(payloadWith(u"exp"_s, QJsonValue::Null))) << kNow
                              << qint64(0) << u"JWT has no numeric 'exp'"_s;

    // Not-before and issued-at (v1.1), with the same 30 s leeway as exp.
    QTest::newRow("nbf now") << craft(hs256Header(), json(payloadWith(u"nbf"_s, kNow))) << kNow << qint64(7)
                             << QString();
    QTest::newRow("nbf in the past") << craft(hs256Header(), json(payloadWith(u"nbf"_s, kNow - 3600))) << kNow
                                     << qint64(7) << QString();
    QTest::newRow("nbf 30 s ahead (leeway edge)")
        << craft(hs256Header(), json(payloadWith(u"nbf"_s, kNow + 30))) << kNow << qint64(7) << QString();
    QTest::newRow("nbf 31 s ahead") << craft(hs256Header(), json(payloadWith(u"nbf"_s, kNow + 31))) << kNow
                                    << qint64(0) << u"JWT not valid before 2027-01-15T08:00:31Z"_s;
    QTest::newRow("nbf an hour ahead") << craft(hs256Header(), json(payloadWith(u"nbf"_s, kNow + 3600)))
                                       << kNow << qint64(0) << u"JWT not valid before"_s;
    QTest::newRow("nbf string") << craft(hs256Header(), json(payloadWith(u"nbf"_s, u"1800000000"_s))) << kNow
                                << qint64(0) << u"JWT 'nbf' must be numeric"_s;
    QTest::newRow("nbf null") << craft(hs256Header(), json(payloadWith(u"nbf"_s, QJsonValue::Null))) << kNow
                              << qint64(0) << u"JWT 'nbf' must be numeric"_s;
    QTest::newRow("iat now") << craft(hs256Header(), json(payloadWith(u"iat"_s, kNow))) << kNow << qint64(7)
                             << QString();
    QTest::newRow("iat in the past") << craft(hs256Header(), json(payloadWith(u"iat"_s, kNow - 3600))) << kNow
                                     << qint64(7) << QString();
    QTest::newRow("iat 30 s ahead (leeway edge)")
        << craft(hs256Header(), json(payloadWith(u"iat"_s, kNow + 30))) << kNow << qint64(7) << QString();
    QTest::newRow("iat 31 s ahead") << craft(hs256Header(), json(payloadWith(u"iat"_s, kNow + 31))) << kNow
                                    << qint64(0) << u"JWT issued in the future"_s;
    QTest::newRow("iat a day ahead") << craft(hs256Header(), json(payloadWith(u"iat"_s, kNow + 86400)))
                                     << kNow << qint64(0) << u"JWT issued in the future"_s;
    QTest::newRow("iat string") << craft(hs256Header(), json(payloadWith(u"iat"_s, u"1800000000"_s))) << kNow
                                << qint64(0) << u"JWT 'iat' must be numeric"_s;
    QTest::newRow("iat array") << craft(hs256Header(), json(payloadWith(u"iat"_s, QJsonArray{kNow}))) << kNow
                               << qint64(0) << u"JWT 'iat' must be numeric"_s;

    // Subject
    const QString subError = u"JWT 'sub' must be a user id (a string of digits)"_s;
    QTest::newRow("sub missing") << craft(hs256Header(), json(payloadWith(u"sub"_s, QJsonValue::Undefined)))
                                 << kNow << qint64(0) << subError;
    QTest::newRow("sub empty") << craft(hs256Header(), json(payloadWith(u"sub"_s, u""_s))) << kNow
                               << qint64(0) << subError;
    QTest::newRow("sub zero") << craft(hs256Header(), json(payloadWith(u"sub"_s, u"0"_s))) << kNow
                              << qint64(0) << subError;
    QTest::newRow("sub negative") << craft(hs256Header(), json(payloadWith(u"sub"_s, u"-7"_s))) << kNow
                                  << qint64(0) << subError;
    QTest::newRow("sub letters") << craft(hs256Header(), json(payloadWith(u"sub"_s, u"alice"_s))) << kNow
                                 << qint64(0) << subError;
    QTest::newRow("sub digits then letter")
        << craft(hs256Header(), json(payloadWith(u"sub"_s, u"7a"_s))) << kNow << qint64(0) << subError;
    QTest::newRow("sub with space") << craft(hs256Header(), json(payloadWith(u"sub"_s, u" 7"_s))) << kNow
                                    << qint64(0) << subError;
    QTest::newRow("sub non-ASCII digits")
        << craft(hs256Header(), json(payloadWith(u"sub"_s, u"\u0967\u0968"_s))) << kNow << qint64(0)
        << subError;
    QTest::newRow("sub number not string")
        << craft(hs256Header(), json(payloadWith(u"sub"_s, 7))) << kNow << qint64(0) << subError;
    QTest::newRow("sub 19 digits") << craft(hs256Header(),
                                            json(payloadWith(u"sub"_s, u"1234567890123456789"_s)))
                                   << kNow << qint64(0) << subError;
    QTest::newRow("sub 18 digits") << craft(hs256Header(),
                                            json(payloadWith(u"sub"_s, u"123456789012345678"_s)))
                                   << kNow << qint64(123456789012345678) << QString();

    // Topics
    const QString topicsError = u"JWT 'topics' must be an array of strings"_s;
    QTest::newRow("topics string") << craft(hs256Header(), json(payloadWith(u"topics"_s, u"public.*"_s)))
                                   << kNow << qint64(0) << topicsError;
    QTest::newRow("topics object") << craft(hs256Header(), json(payloadWith(u"topics"_s, QJsonObject{})))
                                   << kNow << qint64(0) << topicsError;
    QTest::newRow("topics null") << craft(hs256Header(), json(payloadWith(u"topics"_s, QJsonValue::Null)))
                                 << kNow << qint64(0) << topicsError;
    QTest::newRow("topics array of numbers")
        << craft(hs256Header(), json(payloadWith(u"topics"_s, QJsonArray{42}))) << kNow << qint64(0)
        << topicsError;
    QTest::newRow("topics empty array") << craft(hs256Header(), json(payloadWith(u"topics"_s, QJsonArray{})))
                                        << kNow << qint64(7) << QString();

    // Shape
    const QString partsError = u"not a JWT (expected three dot-separated parts)"_s;
    QTest::newRow("empty token") << QByteArray() << kNow << qint64(0) << partsError;
    QTest::newRow("one part") << QByteArrayLiteral("abc") << kNow << qint64(0) << partsError;
    QTest::newRow("two parts") << valid.left(signatureStart - 1) << kNow << qint64(0) << partsError;
    QTest::newRow("four parts") << (valid + ".x") << kNow << qint64(0) << partsError;
    QTest::newRow("garbage header base64")
        << QByteArrayLiteral("!!!.e30.abc") << kNow << qint64(0) << u"malformed JWT header"_s;
    QTest::newRow("standard base64 header")
        << ("+/+/" + valid.mid(payloadStart - 1)) << kNow << qint64(0) << u"malformed JWT header"_s;
    QTest::newRow("header not JSON") << craft("not json", json(goodPayload())) << kNow << qint64(0)
                                     << u"malformed JWT header"_s;
    QTest::newRow("header JSON array")
        << craft("[1]", json(goodPayload())) << kNow << qint64(0) << u"malformed JWT header"_s;
    QTest::newRow("payload not JSON")
        << craft(hs256Header(), "{oops") << kNow << qint64(0) << u"malformed JWT payload"_s;
    QTest::newRow("payload garbage base64") << [] {
        const QByteArray input = b64url(hs256Header()) + ".$$$";
        return input + '.' +
               b64url(QMessageAuthenticationCode::hash(input, kSecret, QCryptographicHash::Sha256));
    }() << kNow << qint64(0) << u"malformed JWT payload"_s;
    QTest::newRow("too long") << craft(hs256Header(), json(payloadWith(u"name"_s, QString(9000, u'x'))))
                              << kNow << qint64(0) << u"token too long"_s;
}

void TestJwt::verify()
{
    QFETCH(QByteArray, token);
    QFETCH(qint64, now);
    QFETCH(qint64, userId);
    QFETCH(QString, error);

    const JwtResult result = Jwt::verify(token, kSecret, at(now));
    if (userId == 0) {
        QVERIFY(!result);
        QVERIFY(!result.claims.has_value());
        QVERIFY2(result.error.contains(error), qPrintable(result.error));
    } else {
        QVERIFY2(bool(result), qPrintable(result.error));
        QVERIFY(result.error.isEmpty());
        QCOMPARE(result.claims->userId, userId);
    }
}

void TestJwt::acceptedClaims()
{
    QJsonObject payload = goodPayload();
    payload.insert(u"topics"_s, QJsonArray{u"project-board.42"_s, u"public.*"_s});
    const JwtResult result = Jwt::verify(craft(hs256Header(), json(payload)), kSecret, at(kNow));
    QVERIFY2(bool(result), qPrintable(result.error));
    QCOMPARE(result.claims->userId, 7);
    QCOMPARE(result.claims->login, u"alice"_s);
    QCOMPARE(result.claims->sessionId, u"sess-1"_s);
    QCOMPARE(result.claims->expires, at(kNow + 3600));
    QCOMPARE(result.claims->expires.toSecsSinceEpoch(), kNow + 3600);
    QCOMPARE(result.claims->topics, (QStringList{u"project-board.42"_s, u"public.*"_s}));

    // name, sid and topics are optional.
    QJsonObject minimal{{u"sub"_s, u"9"_s}, {u"exp"_s, kNow}};
    const JwtResult bare = Jwt::verify(craft(hs256Header(), json(minimal)), kSecret, at(kNow));
    QVERIFY2(bool(bare), qPrintable(bare.error));
    QCOMPARE(bare.claims->userId, 9);
    QVERIFY(bare.claims->login.isEmpty());
    QVERIFY(bare.claims->sessionId.isEmpty());
    QVERIFY(bare.claims->topics.isEmpty());
}

// Tokens made by other implementations (Python's hmac; the jwt.io example) check out.
void TestJwt::externalVectors()
{
    const QByteArray python = QByteArrayLiteral("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                                                "eyJzdWIiOiI0MiIsIm5hbWUiOiJib2IiLCJzaWQiOiJzLTEiLCJleHAiOjE4"
                                                "MDAwMDM2MDAsInRvcGljcyI6WyJwcm9qZWN0LWJvYXJkLjkiXX0."
                                                "VbRE74rEB6VEVFudeJ6WdLEIAL2oK9m6xNbBdeLeOws");
    const JwtResult result = Jwt::verify(python, "external-secret", at(kNow));
    QVERIFY2(bool(result), qPrintable(result.error));
    QCOMPARE(result.claims->userId, 42);
    QCOMPARE(result.claims->login, u"bob"_s);
    QCOMPARE(result.claims->sessionId, u"s-1"_s);
    QCOMPARE(result.claims->expires.toSecsSinceEpoch(), 1800003600);
    QCOMPARE(result.claims->topics, QStringList{u"project-board.9"_s});
    QCOMPARE(Jwt::verify(python, "wrong-secret", at(kNow)).error, u"bad JWT signature"_s);

    // The jwt.io example has a valid signature but no `exp`: refused for that, not for the signature.
    const QByteArray jwtIo =
        QByteArrayLiteral("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                          "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
                          "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c");
    QCOMPARE(Jwt::verify(jwtIo, "your-256-bit-secret", at(kNow)).error, u"JWT has no numeric 'exp'"_s);
    QCOMPARE(Jwt::verify(jwtIo, "not-the-secret", at(kNow)).error, u"bad JWT signature"_s);
}

void TestJwt::emptySecretRefuses()
{
    const QByteArray token = craft(hs256Header(), json(goodPayload()), QByteArray());
    const JwtResult result = Jwt::verify(token, QByteArray(), at(kNow));
    QVERIFY(!result);
    QCOMPARE(result.error, u"no JWT secret is configured"_s);
    // Also a token signed with a real secret.
    QCOMPARE(Jwt::verify(craft(hs256Header(), json(goodPayload())), QByteArray(), at(kNow)).error,
             u"no JWT secret is configured"_s);
}

void TestJwt::constantTimeEquals_data()
{
    QTest::addColumn<QByteArray>("a");
    QTest::addColumn<QByteArray>("b");
    QTest::addColumn<bool>("equal");
    QTest::newRow("equal") << QByteArrayLiteral("abcdef") << QByteArrayLiteral("abcdef") << true;
    QTest::newRow("both empty") << QByteArray() << QByteArray() << true;
    QTest::newRow("empty vs non-empty") << QByteArray() << QByteArrayLiteral("a") << false;
    QTest::newRow("first byte differs")
        << QByteArrayLiteral("xbcdef") << QByteArrayLiteral("abcdef") << false;
    QTest::newRow("last byte differs") << QByteArrayLiteral("abcdex") << QByteArrayLiteral("abcdef") << false;
    QTest::newRow("prefix") << QByteArrayLiteral("abc") << QByteArrayLiteral("abcdef") << false;
    QTest::newRow("longer") << QByteArrayLiteral("abcdefg") << QByteArrayLiteral("abcdef") << false;
    QTest::newRow("case differs") << QByteArrayLiteral("ABC") << QByteArrayLiteral("abc") << false;
    QTest::newRow("embedded NUL equal") << QByteArray("a\0b", 3) << QByteArray("a\0b", 3) << true;
    QTest::newRow("embedded NUL differs") << QByteArray("a\0b", 3) << QByteArray("a\0c", 3) << false;
    QTest::newRow("high bit differs") << QByteArray("\x80", 1) << QByteArray("\x00", 1) << false;
    QTest::newRow("high bytes equal") << QByteArray("\xff\xfe", 2) << QByteArray("\xff\xfe", 2) << true;
}

void TestJwt::constantTimeEquals()
{
    QFETCH(QByteArray, a);
    QFETCH(QByteArray, b);
    QFETCH(bool, equal);
    QCOMPARE(Jwt::constantTimeEquals(a, b), equal);
    QCOMPARE(Jwt::constantTimeEquals(b, a), equal);
}

void TestJwt::signVerifyRoundTrip_data()
{
    QTest::addColumn<qint64>("userId");
    QTest::addColumn<QString>("login");
    QTest::addColumn<QString>("sessionId");
    QTest::addColumn<QStringList>("topics");
    QTest::newRow("all claims") << qint64(7) << u"alice"_s << u"sess-1"_s
                                << QStringList{u"project-board.42"_s, u"public.*"_s};
    QTest::newRow("no sid, no topics") << qint64(1) << u"bob"_s << QString() << QStringList();
    QTest::newRow("unicode login") << qint64(123456789012) << u"jos\u00e9"_s << u"\u00e9"_s
                                   << QStringList{u"project-board.*"_s};
}

void TestJwt::signVerifyRoundTrip()
{
    QFETCH(qint64, userId);
    QFETCH(QString, login);
    QFETCH(QString, sessionId);
    QFETCH(QStringList, topics);

    const JwtClaims claims{userId, login, sessionId, at(kNow + 600), topics};
    const QByteArray token = Jwt::sign(claims, kSecret);
    QCOMPARE(token.count('.'), 2);

    const JwtResult result = Jwt::verify(token, kSecret, at(kNow));
    QVERIFY2(bool(result), qPrintable(result.error));
    QCOMPARE(result.claims->userId, userId);
    QCOMPARE(result.claims->login, login);
    QCOMPARE(result.claims->sessionId, sessionId);
    QCOMPARE(result.claims->expires, claims.expires);
    QCOMPARE(result.claims->topics, topics);

    QCOMPARE(Jwt::verify(token, "other", at(kNow)).error, u"bad JWT signature"_s);
    QVERIFY(Jwt::verify(token, kSecret, at(kNow + 600 + 30)));
    QVERIFY(!Jwt::verify(token, kSecret, at(kNow + 600 + 31)));
}

void TestJwt::signedHeaderIsHs256()
{
    const QByteArray token = Jwt::sign(JwtClaims{7, u"alice"_s, u"s"_s, at(kNow), {}}, kSecret);
    const QList<QByteArray> parts = token.split('.');
    QCOMPARE(parts.size(), 3);
    const QJsonObject header =
        QJsonDocument::fromJson(QByteArray::fromBase64(parts[0], QByteArray::Base64UrlEncoding)).object();
    QCOMPARE(header, (QJsonObject{{u"alg"_s, u"HS256"_s}, {u"typ"_s, u"JWT"_s}}));
    const QJsonObject payload =
        QJsonDocument::fromJson(QByteArray::fromBase64(parts[1], QByteArray::Base64UrlEncoding)).object();
    QCOMPARE(
        payload,
        (QJsonObject{{u"sub"_s, u"7"_s}, {u"name"_s, u"alice"_s}, {u"sid"_s, u"s"_s}, {u"exp"_s, kNow}}));
    QVERIFY(!token.contains('='));
    QVERIFY(!token.contains('+'));
    QVERIFY(!token.contains('/'));
}

QTEST_APPLESS_MAIN(TestJwt)
#include "tst_jwt.moc"
