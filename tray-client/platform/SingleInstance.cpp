#include "platform/SingleInstance.h"

#include "app/TrayLogging.h"

#include <QDir>
#include <QLocalSocket>
#include <QStandardPaths>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

const QByteArray kActivate = "activate\n";

QString defaultDirectory()
{
    const QString runtime = QStandardPaths::writableLocation(QStandardPaths::RuntimeLocation);
    return runtime.isEmpty() ? QDir::tempPath() : runtime;
}

} // namespace

SingleInstance::SingleInstance(const QString& name, const QString& directory, QObject* parent)
    : QObject(parent),
      m_socketPath((directory.isEmpty() ? defaultDirectory() : directory) + u'/' + name + u".socket"_s),
      m_lock((directory.isEmpty() ? defaultDirectory() : directory) + u'/' + name + u".lock"_s)
{
    // Only a crash leaves the lock behind; QLockFile sees that its process is gone.
    m_lock.setStaleLockTime(0);
}

SingleInstance::~SingleInstance() = default;

bool SingleInstance::acquire()
{
    if (m_server)
        return true;
    if (m_lock.tryLock(0)) {
        m_server = std::make_unique<QLocalServer>();
        m_server->setSocketOptions(QLocalServer::UserAccessOption);
        // A socket file a crashed instance left would make listen() fail.
        QLocalServer::removeServer(m_socketPath);
        if (!m_server->listen(m_socketPath))
            qCWarning(lcTray) << "single instance socket:" << m_server->errorString();
        connect(m_server.get(), &QLocalServer::newConnection, this, [this] {
            while (QLocalSocket* peer = m_server->nextPendingConnection()) {
                connect(peer, &QLocalSocket::disconnected, peer, &QObject::deleteLater);
                connect(peer, &QLocalSocket::readyRead, this, [this, peer] {
                    if (peer->canReadLine() && peer->readLine() == kActivate)
                        Q_EMIT activationRequested();
                });
            }
        });
        return true;
    }
    QLocalSocket socket;
    socket.connectToServer(m_socketPath);
    if (socket.waitForConnected(kMessageTimeoutMs)) {
        socket.write(kActivate);
        socket.waitForBytesWritten(kMessageTimeoutMs);
        socket.disconnectFromServer();
    } else {
        qCWarning(lcTray) << "another instance holds" << m_lock.error() << "but does not answer";
    }
    return false;
}

} // namespace forgewire
