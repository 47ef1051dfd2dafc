#include "protocol/Jwt.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QTimeZone>

#include <algorithm>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

constexpr auto kBase64Url = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;
JwtResult refuse(const QString& why)
{
    JwtResult result;
    result.error = why;
    return result;
}

std::optional<QJsonObject> decodeSegment(const QByteArray& segment)
{
    const auto decoded = QByteArray::fromBase64Encoding(segment, QByteArray::Base64UrlEncoding |
                                                                     QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(*decoded, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return std::nullopt;
    return document.object();
}

} // namespace

bool Jwt::looksLikeJwt(const QByteArray& token)
{
    if (!token.startsWith("eyJ") || token.count('.') != 2)
        return false;
    const auto base64url = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '_';
    };
    const QList<QByteArray> parts = token.split('.');
    return std::all_of(parts.cbegin(), parts.cend(), [&](const QByteArray& part) {
        return !part.isEmpty() && std::all_of(part.cbegin(), part.cend(), base64url);
    });
}

bool Jwt::constantTimeEquals(const QByteArray& a, const QByteArray& b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
    return diff == 0;
}

JwtResult Jwt::verify(const QByteArray& token, const QByteArray& secret, const QDateTime& now)
{
    if (secret.isEmpty())
        return refuse(u"no JWT secret is configured"_s);
    if (token.size() > kMaxTokenBytes)
        return refuse(u"token too long"_s);
    const QList<QByteArray> parts = token.split('.');
    if (parts.size() != 3)
        return refuse(u"not a JWT (expected three dot-separated parts)"_s);

    const auto header = decodeSegment(parts[0]);
    if (!header)
        return refuse(u"malformed JWT header"_s);
    if (header->value("alg"_L1).toString() != "HS256"_L1)
        return refuse(
            u"unsupported JWT alg '%1' (only HS256 is accepted)"_s.arg(header->value("alg"_L1).toString()));

    const QByteArray expected =
        QMessageAuthenticationCode::hash(parts[0] + '.' + parts[1], secret, QCryptographicHash::Sha256)
            .toBase64(kBase64Url);
    if (!constantTimeEquals(expected, parts[2]))
        return refuse(u"bad JWT signature"_s);

    const auto payload = decodeSegment(parts[1]);
    if (!payload)
        return refuse(u"malformed JWT payload"_s);

    JwtClaims claims;
    const QString sub = payload->value("sub"_L1).toString();
    bool ok = !sub.isEmpty() && sub.size() <= 18;
    for (QChar c : sub)
        ok = ok && c.isDigit() && c.unicode() < 128;
    claims.userId = ok ? sub.toLongLong(&ok) : 0;
    if (!ok || claims.userId <= 0)
        return refuse(u"JWT 'sub' must be a user id (a string of digits)"_s);
    if (!payload->value("exp"_L1).isDouble())
        return refuse(u"JWT has no numeric 'exp'"_s);
    claims.expires = QDateTime::fromSecsSinceEpoch(payload->value("exp"_L1).toInteger(), Qt::UTC);
    if (now.toSecsSinceEpoch() > claims.expires.toSecsSinceEpoch() + kExpiryLeewaySeconds)
        return refuse(u"JWT expired at %1"_s.arg(claims.expires.toString(Qt::ISODate)));
    // nbf and iat are optional, but when present they bind as strictly as exp: a token minted for
    // later (or by a forge whose clock runs ahead beyond the leeway) must not be usable now.
    const QJsonValue notBefore = payload->value("nbf"_L1);
    if (!notBefore.isUndefined()) {
        if (!notBefore.isDouble())
            return refuse(u"JWT 'nbf' must be numeric"_s);
        if (notBefore.toInteger() > now.toSecsSinceEpoch() + kExpiryLeewaySeconds)
            return refuse(u"JWT not valid before %1"_s.arg(
                QDateTime::fromSecsSinceEpoch(notBefore.toInteger(), Qt::UTC).toString(Qt::ISODate)));
    }
    const QJsonValue issuedAt = payload->value("iat"_L1);
    if (!issuedAt.isUndefined()) {
        if (!issuedAt.isDouble())
            return refuse(u"JWT 'iat' must be numeric"_s);
        if (issuedAt.toInteger() > now.toSecsSinceEpoch() + kExpiryLeewaySeconds)
            return refuse(u"JWT issued in the future (%1)"_s.arg(
                QDateTime::fromSecsSinceEpoch(issuedAt.toInteger(), Qt::UTC).toString(Qt::ISODate)));
    }
    claims.login = payload->value("name"_L1).toString();
    claims.sessionId = payload->value("sid"_L1).toString();
    const QJsonValue topics = payload->value("topics"_L1);
    if (!topics.isUndefined() && !topics.isArray())
        return refuse(u"JWT 'topics' must be an array of strings"_s);
    for (const QJsonValue& topic : topics.toArray()) {
        if (!topic.isString())
            return refuse(u"JWT 'topics' must be an array of strings"_s);
        claims.topics.append(topic.toString());
    }
    return JwtResult{claims, {}};
}

QByteArray Jwt::sign(const JwtClaims& claims, const QByteArray& secret)
{
    const QByteArray header = QJsonDocument(QJsonObject{{u"alg"_s, u"HS256"_s}, {u"typ"_s, u"JWT"_s}})
                                  .toJson(QJsonDocument::Compact);
    QJsonObject payload{{u"sub"_s, QString::number(claims.userId)},
                        {u"name"_s, claims.login},
                        {u"exp"_s, claims.expires.toSecsSinceEpoch()}};
    if (!claims.sessionId.isEmpty())
        payload.insert(u"sid"_s, claims.sessionId);
    if (!claims.topics.isEmpty())
        payload.insert(u"topics"_s, QJsonArray::fromStringList(claims.topics));
    const QByteArray signingInput =
        header.toBase64(kBase64Url) + '.' +
        QJsonDocument(payload).toJson(QJsonDocument::Compact).toBase64(kBase64Url);
    return signingInput + '.' +
           QMessageAuthenticationCode::hash(signingInput, secret, QCryptographicHash::Sha256)
               .toBase64(kBase64Url);
}

} // namespace forgewire
