#pragma once

#include "auth/Authenticator.h"

#include <QObject>

#include <functional>

namespace forgewire {

// Bridge mode: the thread hop to the forge token verifier. The verifier (the bridge) lives on the main
// thread, where this object lives too; a worker asks from its own thread and hears back there.
class TokenVerifier : public QObject
{
    Q_OBJECT
public:
    explicit TokenVerifier(const Authenticator* authenticator, QObject* parent = nullptr);

    // Thread-safe. Checks a forge token on this object's thread; `reply` runs on `context`'s thread,
    // and not at all once `context` is gone.
    void verify(QObject* context, const QByteArray& token, const QString& peerAddress,
                std::function<void(AuthResult)> reply);
    // The same for a Cookie header (`[forge] cookie_auth`); refused at once when no cookie verifier
    // is installed.
    void verifyCookie(QObject* context, const QByteArray& cookieHeader, const QByteArray& sessionId,
                      const QString& peerAddress, std::function<void(AuthResult)> reply);

private:
    const Authenticator* m_authenticator;
};

} // namespace forgewire
