#include "auth/Authenticator.h"

#include "protocol/Jwt.h"
#include "protocol/Protocol.h"

#include <QUrlQuery>

namespace forgewire {

using namespace Qt::StringLiterals;

Authenticator::Authenticator(const ServerConfig& config)
    : m_jwtSecret(config.jwtSecret), m_staticTokens(config.staticTokens)
{}

QByteArray Authenticator::extractToken(const QByteArray& authorizationHeader, const QString& query)
{
    const QByteArray header = authorizationHeader.trimmed();
    const qsizetype space = header.indexOf(' ');
    if (space > 0) {
        const QByteArray scheme = header.left(space).toLower();
        if (scheme == "bearer" || scheme == "token")
            return header.mid(space + 1).trimmed();
    }
    if (!query.isEmpty()) {
        const QUrlQuery q(query);
        if (q.hasQueryItem(u"access_token"_s))
            return q.queryItemValue(u"access_token"_s, QUrl::FullyDecoded).toUtf8();
    }
    return {};
}

AuthResult Authenticator::authenticate(const QByteArray& token) const
{
    AuthResult result;
    if (token.isEmpty()) {
        result.ok = true;
        return result;
    }
    if (!protocol::isWellFormedToken(token)) {
        result.error = u"malformed token (%1 bytes)"_s.arg(token.size());
        result.reason = u"malformed token"_s;
        return result;
    }
    // Static tokens are compared in constant time too: they are passwords.
    for (auto it = m_staticTokens.cbegin(); it != m_staticTokens.cend(); ++it) {
        if (Jwt::constantTimeEquals(it.key(), token)) {
            result.ok = true;
            result.identity.userId = it->userId;
            result.identity.login = it->login;
            result.identity.sessionId = it->sessionId;
            return result;
        }
    }
    if (!Jwt::looksLikeJwt(token)) {
        result.error = u"unknown token"_s;
        return result;
    }
    const JwtResult jwt = Jwt::verify(token, m_jwtSecret);
    if (!jwt) {
        result.error = jwt.error;
        return result;
    }
    result.ok = true;
    result.identity.userId = jwt.claims->userId;
    result.identity.login = jwt.claims->login;
    result.identity.sessionId = jwt.claims->sessionId;
    result.identity.extraTopics = jwt.claims->topics;
    return result;
}

} // namespace forgewire
