#pragma once

#include "Authenticator.h"
#include "ClientSession.h"
#include "Metrics.h"
#include "Publication.h"
#include "ServerConfig.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>

#include <atomic>
#include <memory>

class QTcpSocket;
class QTimer;
class QWebSocket;
class QWebSocketServer;

namespace forgewire {

class Broker;

// Owns a share of the client connections, on its own thread: the accepted socket, the upgrade
// (its own QWebSocketServer), the sessions, the local topic index and one sweep timer for
// handshake deadlines and keepalive (no timer per connection).
class Worker : public QObject
{
    Q_OBJECT
public:
    Worker(int index, const ServerConfig& config, const Authenticator* authenticator, Metrics* metrics,
           std::atomic<int>* admitted, Broker* broker);
    ~Worker() override;

    int index() const { return m_index; }

    // All of these run on the worker's thread (the Broker and Gateway post them there).
    void init();
    void adoptSocket(qintptr descriptor);
    void deliver(const QList<forgewire::Publication>& batch);
    // Closes every connection with 1001; emits drained() when none is left.
    void drain();
    // Bridge mode: close every connection of a user (revoked forge token) with 4001.
    void closeUser(qint64 userId, quint16 code, const QString& reason);

Q_SIGNALS:
    void drained();

private:
    struct PendingSocket
    {
        qint64 deadlineMs;
        QByteArray buffer;
    };

    void onHeadReadable(QTcpSocket* socket);
    void rejectHttp(QTcpSocket* socket, int status, const QByteArray& body,
                    const QByteArray& extraHeaders = {});
    void detachRequestHandlers(QTcpSocket* socket);
    void onUpgraded();
    void startSession(QWebSocket* socket);
    void finishAuthentication(ClientSession* session, const AuthResult& result);
    void onTextMessage(ClientSession* session, const QString& text);
    void handleClientMessage(ClientSession* session, const QString& text, bool rateLimited);
    void processDeferred(ClientSession* session);
    void subscribe(ClientSession* session, const QString& topic, bool automatic);
    void completeSubscribe(ClientSession* session, const QString& topic, bool automatic, bool allowed,
                           const QList<QByteArray>& retained);
    void unsubscribe(ClientSession* session, const QString& topic);
    void addToIndex(ClientSession* session, const QString& topic);
    void removeFromIndex(ClientSession* session, const QString& topic);
    void sendError(ClientSession* session, protocol::ErrorCode code, const QString& message,
                   const QString& topic = {});
    // Queues one JSON message; false when the session is closing or was just closed as slow.
    bool sendMessage(ClientSession* session, const QByteArray& utf8);
    void queueFrame(ClientSession* session, const QByteArray& frame);
    void flushSession(ClientSession* session);
    void flushDirtySessions();
    bool isOverSendQueue(ClientSession* session);
    void closeSession(ClientSession* session, quint16 code, const QString& reason);
    void removeSession(ClientSession* session);
    void sweep();
    void checkDrained();
    ClientSession* sessionFor(QWebSocket* socket) const { return m_sessions.value(socket); }

    int m_index;
    const ServerConfig m_config;
    const Authenticator* m_authenticator;
    Metrics* m_metrics;
    std::atomic<int>* m_admitted;
    Broker* m_broker;

    QWebSocketServer* m_wsServer = nullptr;
    QTimer* m_sweepTimer = nullptr;
    QElapsedTimer m_clock;
    QHash<QTcpSocket*, PendingSocket> m_pending;
    using UpgradeKey = std::pair<QString, quint16>; // peer address and port
    struct Upgrading
    {
        QPointer<QTcpSocket> socket;
        qint64 deadlineMs;
    };
    QHash<UpgradeKey, Upgrading> m_upgrading;
    QHash<QWebSocket*, ClientSession*> m_sessions;
    QHash<QString, QSet<ClientSession*>> m_topicIndex;
    // Sessions with a non-empty outbox, flushed together once per event-loop pass.
    QList<ClientSession*> m_dirty;
    bool m_flushPosted = false;
    const QByteArray m_pingFrame = Outbox::pingFrame();
    bool m_draining = false;
};

} // namespace forgewire
