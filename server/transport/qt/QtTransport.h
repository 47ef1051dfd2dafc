#pragma once

#include "http/EventStream.h"
#include "transport/ClientConnection.h"
#include "transport/Transport.h"
#include "transport/qt/HeldSockets.h"

#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTcpSocket>

class QWebSocket;
class QWebSocketServer;

namespace forgewire {

class QtTransport;

// What the qt transport keeps of each connection it accepted, WebSocket or event stream: its
// address in the gate, its share of the node's queued bytes, and whether it is gone.
class QtClientConnection : public ClientConnection
{
public:
    QtClientConnection(QtTransport* transport, const ConnectionGate::Address& address)
        : m_transport(transport), m_address(address)
    {}

    bool isOpen() const override { return !m_closed; }
    void abort() override;
    // The client a trusted proxy named, or the TCP peer.
    QString peerAddress() const final { return m_client.isEmpty() ? socketPeer().toString() : m_client; }
    void setClientAddress(const QString& client) { m_client = client; }
    virtual QHostAddress socketPeer() const = 0;

    // The QObject whose signals the transport connects to (the socket).
    virtual QObject* socketObject() const = 0;
    // Ends the socket at once (the transport's drop()).
    virtual void abortSocket() = 0;
    // The TCP socket's descriptor while it is open, else -1 (see resetOnClose()).
    virtual qintptr descriptor() const = 0;
    const ConnectionGate::Address& address() const { return m_address; }
    // Follows backlogBytes() in the node's queued-bytes counter (the budget and its gauge).
    void account();
    // The socket is gone: uncounts what it held; true the first time.
    bool markClosed();

protected:
    QtTransport* m_transport;
    ConnectionGate::Address m_address;
    QString m_client;
    qint64 m_accounted = 0;
    bool m_closed = false;
    bool m_closeSent = false;
};

// One upgraded connection of the qt transport: a QWebSocket, which frames, answers pings and
// completes the close handshake itself.
class QtConnection final : public QtClientConnection
{
public:
    QtConnection(QtTransport* transport, QWebSocket* socket, const ConnectionGate::Address& address);
    ~QtConnection() override;

    QHostAddress socketPeer() const override;
    void queueText(const QByteArray& utf8, const QByteArray& frame) override;
    qint64 backlogBytes() const override;
    void flushNow() override;
    void sendPing() override;
    void close(quint16 code, const QString& reason, CloseMode mode) override;

    QObject* socketObject() const override;
    void abortSocket() override;
    qintptr descriptor() const override;
    QWebSocket* socket() const { return m_socket; }
    // The QTcpSocket the QWebSocket reads (and owns): QWebSocket does not expose its descriptor.
    void setTcpSocket(QTcpSocket* tcp) { m_tcp = tcp; }

private:
    QWebSocket* m_socket;
    QPointer<QTcpSocket> m_tcp;
};

// One event stream of the qt transport (`GET <prefix>/user/events`, see EventStream): the QTcpSocket
// the request came on, written as the session's format encoded each event.
class QtStreamConnection final : public QtClientConnection
{
public:
    QtStreamConnection(QtTransport* transport, QTcpSocket* socket, const ConnectionGate::Address& address,
                       const QByteArray& allowOrigin);
    ~QtStreamConnection() override;

    QHostAddress socketPeer() const override;
    WireFormat::Wire wire() const override { return WireFormat::Wire::EventStream; }
    void signedIn() override;
    void queueText(const QByteArray& utf8, const QByteArray& frame) override;
    qint64 backlogBytes() const override;
    void flushNow() override;
    void sendPing() override;
    void close(quint16 code, const QString& reason, CloseMode mode) override;

    QObject* socketObject() const override;
    void abortSocket() override;
    qintptr descriptor() const override;

private:
    void write(const QByteArray& bytes);

    QTcpSocket* m_socket;
    EventStream m_stream;
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

    // For the connections.
    void drop(QtClientConnection* connection);
    Metrics* metrics() const { return m_context.metrics; }
    // An event stream's keep-alive went out: its client cannot answer it, so it counts as answered.
    void keepAliveSent(QtClientConnection* connection);
    // A connection cut as a slow consumer: its socket outlives Qt's close until the peer has read
    // what the kernel holds for it, or is reset (HeldSockets).
    void holdUntilRead(qintptr descriptor) { m_held.hold(descriptor, now()); }

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
        // Named by a trusted proxy's X-Forwarded-For / X-Real-IP; empty for a direct client.
        QString client;
        bool inGate = false;
        bool handshakePending = false;
        bool lingering = false;
        // Handed to QWebSocketServer; waiting for its QWebSocket.
        bool upgrading = false;
        // Waiting for ConnectionEvents::checkBeforeUpgrade().
        bool checking = false;
        HttpRequestHead head;
        // Bytes the client sent right behind its request head.
        QByteArray early;
    };

    void onRequestData(QTcpSocket* socket);
    // Hands an accepted request to QWebSocketServer (which sends the 101).
    void upgrade(QTcpSocket* socket, const HttpRequestHead& head);
    void reject(QTcpSocket* socket, const WsHandshake& refusal);
    void onNewConnection();
    void watch(QtConnection* connection);
    // Keeps an accepted event-stream request's socket as its connection.
    void startEventStream(QTcpSocket* socket, const WsHandshake& handshake, const HttpRequestHead& head);
    void leaveHandshake(Pending& pending);
    // Frees a socket that never became a session, and everything it counted.
    void forget(QTcpSocket* socket);
    void collectGarbage();
    qint64 now() const;

    QWebSocketServer* m_server;
    QHash<QTcpSocket*, Pending> m_pending;
    // Handed to QWebSocketServer, by peer address and port: how its QWebSocket is matched to them.
    QHash<std::pair<QHostAddress, quint16>, QTcpSocket*> m_upgrading;
    QSet<QtClientConnection*> m_connections;
    // Dropped connections, freed on the next pass so no caller up the stack holds a dangling pointer.
    QList<QtClientConnection*> m_graveyard;
    HeldSockets m_held;
    bool m_draining = false;
};

} // namespace forgewire
