#pragma once

#include "config/ServerConfig.h"
#include "protocol/Jwt.h"
#include "session/Identity.h"

#include <QByteArray>
#include <QObject>

#include <functional>

namespace forgewire {

struct AuthResult
{
    bool ok = false;
    Identity identity;
    QString error; // why the token was refused (logged, never sent to the client)
    // The close reason the client gets, in words without secrets ("malformed token", "forge token
    // revoked"); empty: "unauthorized".
    QString reason;
    // The token could not be checked right now (forge unreachable): not the token's fault, so the
    // client is told to come back later (1001) rather than never to retry it (4001).
    bool transient = false;
    // With `transient`: the close code to use (1001 for a forge outage, 1013 when the bridge is too
    // busy checking tokens or the client's address asks too often).
    quint16 transientCode = 1001;
};

// Turns the credentials of an upgrade request into an Identity. JWT and static tokens are checked
// synchronously and are safe to call from any thread; forge tokens (bridge mode) go through an
// asynchronous verifier that may be installed later.
class Authenticator
{
public:
    explicit Authenticator(const ServerConfig& config);

    // The token of an upgrade request: `Authorization: Bearer X` (or `token X`), else `access_token=X`.
    // Returns an empty token for anonymous requests. The token is as sent (the query's percent-
    // decoded): check it with protocol::isWellFormedToken() before anything else sees it.
    static QByteArray extractToken(const QByteArray& authorizationHeader, const QString& query);

    // Empty token: anonymous, always ok.
    AuthResult authenticate(const QByteArray& token) const;

    // Bridge mode hook: called for well-formed tokens that are neither static nor JWTs, with the
    // client's address (rate limit). Runs on the main thread, `done` may be called later (from the
    // main thread).
    using ForgeVerifier = std::function<void(const QByteArray& token, const QString& peerAddress,
                                             std::function<void(AuthResult)> done)>;
    void setForgeVerifier(ForgeVerifier verifier) { m_forgeVerifier = std::move(verifier); }
    bool hasForgeVerifier() const { return static_cast<bool>(m_forgeVerifier); }
    const ForgeVerifier& forgeVerifier() const { return m_forgeVerifier; }
    // `[forge] cookie_auth`: checks a request's Cookie header (already checked by cookie::parse) with
    // the forge; `sessionId` is the forge session cookie's value. Same threading as ForgeVerifier.
    using ForgeCookieVerifier =
        std::function<void(const QByteArray& cookieHeader, const QByteArray& sessionId,
                           const QString& peerAddress, std::function<void(AuthResult)> done)>;
    void setForgeCookieVerifier(ForgeCookieVerifier verifier) { m_forgeCookieVerifier = std::move(verifier); }
    const ForgeCookieVerifier& forgeCookieVerifier() const { return m_forgeCookieVerifier; }

private:
    QByteArray m_jwtSecret;
    QHash<QByteArray, StaticToken> m_staticTokens;
    ForgeVerifier m_forgeVerifier;
    ForgeCookieVerifier m_forgeCookieVerifier;
};

} // namespace forgewire
