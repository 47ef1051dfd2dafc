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

} // namespace forgewire
