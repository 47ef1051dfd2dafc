#pragma once

#include "transport/ClientConnection.h"
#include "transport/Transport.h"

#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>

class QTcpSocket;
class QWebSocket;
class QWebSocketServer;

namespace forgewire {

class QtTransport;

// One upgraded connection of the qt transport: a QWebSocket, which frames, answers pings and
// completes the close handshake itself.
class QtConnection final : public ClientConnection
{
public:
    QtConnection(QtTransport* transport, QWebSocket* socket, const ConnectionGate::Address& address);
    ~QtConnection() override;

    QString peerAddress() const override;
    bool isOpen() const override { return !m_closed; }
    void queueText(const QByteArray& utf8, const QByteArray& frame) override;
    qint64 backlogBytes() const override;
    void flushNow() override;
    void sendPing() override;
    void close(quint16 code, const QString& reason, CloseMode mode) override;
    void abort() override;

    QWebSocket* socket() const { return m_socket; }
    const ConnectionGate::Address& address() const { return m_address; }
    // Follows backlogBytes() in the node's queued-bytes counter (the budget and its gauge).
    void account();
    // The socket is gone: uncounts what it held; true the first time.
    bool markClosed();

private:
    QtTransport* m_transport;
    QWebSocket* m_socket;
    ConnectionGate::Address m_address;
    qint64 m_accounted = 0;
    bool m_closed = false;
    bool m_closeSent = false;
};

// The portable transport, and the reference the epoll one is tested against: per worker thread its
// own QWebSocketServer (a QWebSocket cannot change threads once made), never listening, handed the
// sockets the ClientListener accepted. The request head is peeked, not read, and answered by the
// same ConnectionEvents::answerRequest() as on epoll, so both refuse the same requests with the same
// HTTP statuses; only an accepted head goes to QWebSocketServer::handleConnection(), which has no
// handshake timeout of its own: the deadline is ours, checked by the worker's sweep. See README,
// Transports, for the limits it enforces differently.
class QtTransport final : public QObject, public Transport
{
    Q_OBJECT
public:
    explicit QtTransport(const TransportContext& context);
    ~QtTransport() override;

    void adopt(qintptr descriptor) override;
    void sweep(qint64 nowMs) override;
    void drain() override;
    void flushAll() override;

    // For QtConnection.
    void drop(QtConnection* connection);
    Metrics* metrics() const { return m_context.metrics; }

private:
    // An accepted socket before its upgrade: reading the request head, or lingering after an error.
    struct Pending
    {
        // Null once QWebSocketServer deleted a socket it refused.
        QPointer<QTcpSocket> socket;
        QHostAddress peer;
        quint16 peerPort = 0;
        qint64 deadlineMs = 0;
        ConnectionGate::Address address;
        bool inGate = false;
        bool handshakePending = false;
        bool lingering = false;
        // Handed to QWebSocketServer; waiting for its QWebSocket.
        bool upgrading = false;
        HttpRequestHead head;
        // Bytes the client sent right behind its request head.
        QByteArray early;
    };

    void onRequestData(QTcpSocket* socket);
    void reject(QTcpSocket* socket, const WsHandshake& refusal);
    void onNewConnection();
    void watch(QtConnection* connection);
    void leaveHandshake(Pending& pending);
    // Frees a socket that never became a session, and everything it counted.
    void forget(QTcpSocket* socket);
    void collectGarbage();
    qint64 now() const;

    QWebSocketServer* m_server;
    QHash<QTcpSocket*, Pending> m_pending;
    // Handed to QWebSocketServer, by peer address and port: how its QWebSocket is matched to them.
    QHash<std::pair<QHostAddress, quint16>, QTcpSocket*> m_upgrading;
    QSet<QtConnection*> m_connections;
    // Dropped connections, freed on the next pass so no caller up the stack holds a dangling pointer.
    QList<QtConnection*> m_graveyard;
    bool m_draining = false;
};

} // namespace forgewire
