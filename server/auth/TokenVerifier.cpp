#include "auth/TokenVerifier.h"

#include <QPointer>

namespace forgewire {

TokenVerifier::TokenVerifier(const Authenticator* authenticator, QObject* parent)
    : QObject(parent), m_authenticator(authenticator)
{}

void TokenVerifier::verify(QObject* context, const QByteArray& token, const QString& peerAddress,
                           std::function<void(AuthResult)> reply)
{
    QPointer<QObject> guard(context);
    QMetaObject::invokeMethod(
        this,
        [authenticator = m_authenticator, guard, token, peerAddress, reply] {
            authenticator->forgeVerifier()(token, peerAddress, [guard, reply](AuthResult result) {
                if (guard)
                    QMetaObject::invokeMethod(
                        guard, [reply, result] { reply(result); }, Qt::QueuedConnection);
            });
        },
        Qt::QueuedConnection);
}

void TokenVerifier::verifyCookie(QObject* context, const QByteArray& cookieHeader,
                                 const QByteArray& sessionId, const QString& peerAddress,
                                 std::function<void(AuthResult)> reply)
{
    QPointer<QObject> guard(context);
    QMetaObject::invokeMethod(
        this,
        [authenticator = m_authenticator, guard, cookieHeader, sessionId, peerAddress, reply] {
            auto answer = [guard, reply](AuthResult result) {
                if (guard)
                    QMetaObject::invokeMethod(
                        guard, [reply, result] { reply(result); }, Qt::QueuedConnection);
            };
            if (!authenticator->forgeCookieVerifier()) {
                AuthResult none;
                none.error = QStringLiteral("no forge session verifier (bridge mode with cookie_auth)");
                answer(none);
                return;
            }
            authenticator->forgeCookieVerifier()(cookieHeader, sessionId, peerAddress, answer);
        },
        Qt::QueuedConnection);
}

} // namespace forgewire
