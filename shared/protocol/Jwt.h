#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QString>
#include <QStringList>

#include <optional>

namespace forgewire {

// Claims of a Forgewire token (PROTOCOL.md "Token forms" (1)).
struct JwtClaims
{
    qint64 userId = 0;  // `sub`, a string of digits
    QString login;      // `name`
    QString sessionId;  // `sid`
    QDateTime expires;  // `exp`
    QStringList topics; // optional extra readable topics or `prefix.*` patterns
};

struct JwtResult
{
    std::optional<JwtClaims> claims;
    QString error; // why the token was refused
    explicit operator bool() const { return claims.has_value(); }
};

// HS256 only: any other `alg` (none, RS256, HS512...) is refused, so a token cannot pick its own check.
class Jwt
{
public:
    // Clocks of the forge and this server may disagree a little; applies to exp, nbf and iat.
    static constexpr qint64 kExpiryLeewaySeconds = 30;
    // A JWT bigger than this is not one of ours: refused before any work is done on it.
    static constexpr qsizetype kMaxTokenBytes = 8 * 1024;

    static JwtResult verify(const QByteArray& token, const QByteArray& secret,
                            const QDateTime& now = QDateTime::currentDateTimeUtc());
    static QByteArray sign(const JwtClaims& claims, const QByteArray& secret);

    // The shape of a JWT: three non-empty base64url parts joined by dots, the first a JSON object
    // ("eyJ" is base64url for `{"`). Says nothing about validity; tells a JWT from a forge or
    // static token (which never has this shape) without trying to verify it.
    static bool looksLikeJwt(const QByteArray& token);

    // Compares in time independent of where the inputs differ.
    static bool constantTimeEquals(const QByteArray& a, const QByteArray& b);
};

} // namespace forgewire
