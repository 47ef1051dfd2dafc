#include "transport/qt/QtTransport.h"

#include "config/ServerConfig.h"
#include "config/ServerLimits.h"
#include "config/ServerLogging.h"
#include "metrics/Metrics.h"
#include "session/ClientSession.h"
#include "transport/SocketReset.h"

#include <QElapsedTimer>
#include <QTcpSocket>
#include <QWebSocket>
#include <QWebSocketServer>

#ifdef Q_OS_WIN
#include <winsock2.h>
#else
#include <sys/socket.h>
#endif

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

// Our FIN once the response is out, the descriptor when the peer's FIN arrives or at the deadline:
// closing with unread bytes would send a reset that can destroy the response before it is read
// (as on epoll; QTcpSocket has no half-close of its own).
void shutdownWrite(QTcpSocket* socket)
{
#ifdef Q_OS_WIN
    ::shutdown(SOCKET(socket->socketDescriptor()), SD_SEND);
#else
    ::shutdown(int(socket->socketDescriptor()), SHUT_WR);
#endif
}

} // namespace

QtConnection::QtConnection(QtTransport* transport, QWebSocket* socket, const ConnectionGate::Address& address)
    : QtClientConnection(transport, address), m_socket(socket)
{}

QtConnection::~QtConnection()
{
    markClosed();
    delete m_socket;
}

QHostAddress QtConnection::socketPeer() const
{
    return m_socket->peerAddress();
}

void QtConnection::queueText(const QByteArray& utf8, const QByteArray& frame)
{
    Q_UNUSED(frame); // QWebSocket frames (and copies) each message itself
    if (m_closed || m_closeSent)
        return;
    m_socket->sendTextMessage(QString::fromUtf8(utf8));
    account();
}

qint64 QtConnection::backlogBytes() const
{
    return m_closed ? 0 : m_socket->bytesToWrite();
}

void QtConnection::flushNow()
{
    if (!m_closed)
        m_socket->flush();
    account();
}

void QtConnection::sendPing()
{
    if (!m_closed && !m_closeSent)
        m_socket->ping();
}

void QtConnection::close(quint16 code, const QString& reason, CloseMode mode)
{
    // DiscardUnsent cannot drop what QWebSocket already handed its QTcpSocket: the close frame
    // goes behind it. The worker's sweep cuts the connection if the peer never reads it, unless Qt
    // closes it first (once its buffer is in the kernel): HeldSockets covers that.
    if (m_closed || m_closeSent)
        return;
    m_closeSent = true;
    if (mode == CloseMode::DiscardUnsent)
        m_transport->holdUntilRead(descriptor());
    m_socket->close(QWebSocketProtocol::CloseCode(code), reason);
    account();
}

QObject* QtConnection::socketObject() const
{
    return m_socket;
}

void QtConnection::abortSocket()
{
    m_socket->abort();
}

qintptr QtConnection::descriptor() const
{
    return m_tcp ? m_tcp->socketDescriptor() : -1;
}

void QtClientConnection::abort()
{
    // Given up on (see Worker's sweep): a reset, so its unread bytes leave the kernel too.
    if (!m_closed)
        resetOnClose(descriptor());
    m_transport->drop(this);
}

void QtClientConnection::account()
{
    const qint64 now = backlogBytes();
    m_transport->metrics()->queuedBytes += now - m_accounted;
    m_accounted = now;
}

bool QtClientConnection::markClosed()
{
    if (m_closed)
        return false;
    m_closed = true;
    m_transport->metrics()->queuedBytes -= m_accounted;
    m_accounted = 0;
    return true;
}

QtStreamConnection::QtStreamConnection(QtTransport* transport, QTcpSocket* socket,
                                       const ConnectionGate::Address& address, const QByteArray& allowOrigin)
    : QtClientConnection(transport, address), m_socket(socket), m_stream(allowOrigin)
{}

QtStreamConnection::~QtStreamConnection()
{
    markClosed();
    delete m_socket;
}

QHostAddress QtStreamConnection::socketPeer() const
{
    return m_socket->peerAddress();
}

void QtStreamConnection::write(const QByteArray& bytes)
{
    m_socket->write(bytes);
    account();
}

void QtStreamConnection::signedIn()
{
    if (!m_closed && !m_closeSent)
        write(m_stream.open());
}

void QtStreamConnection::queueText(const QByteArray& utf8, const QByteArray& frame)
{
    Q_UNUSED(frame); // a WebSocket frame: nothing of it is written here
    if (m_closed || m_closeSent)
        return;
    write(utf8);
    ++m_transport->metrics()->eventStreamEvents;
}

qint64 QtStreamConnection::backlogBytes() const
{
    return m_closed ? 0 : m_socket->bytesToWrite();
}

void QtStreamConnection::flushNow()
{
    if (!m_closed)
        m_socket->flush();
    account();
}

void QtStreamConnection::sendPing()
{
    if (m_closed || m_closeSent)
        return;
    if (m_stream.isOpen())
        write(EventStream::keepAlive());
    m_transport->keepAliveSent(this);
}

void QtStreamConnection::close(quint16 code, const QString& reason, CloseMode mode)
{
    // DiscardUnsent cannot take back what QTcpSocket buffered: the end goes behind it, and the
    // worker's sweep cuts the connection if the peer never reads it.
    Q_UNUSED(mode);
    if (m_closed || m_closeSent)
        return;
    m_closeSent = true;
    m_transport->metrics()->noteStreamClosed(code);
    write(m_stream.closing(code, reason));
    m_socket->flush();
    if (m_socket->bytesToWrite() == 0)
        shutdownWrite(m_socket);
    else
        QObject::connect(m_socket, &QTcpSocket::bytesWritten, m_socket, [socket = m_socket] {
            if (socket->bytesToWrite() == 0)
                shutdownWrite(socket);
        });
}

QObject* QtStreamConnection::socketObject() const
{
    return m_socket;
}

void QtStreamConnection::abortSocket()
{
    m_socket->abort();
}

qintptr QtStreamConnection::descriptor() const
{
    return m_socket->socketDescriptor();
}

QtTransport::QtTransport(const TransportContext& context)
    : QObject(context.owner), Transport(context),
      m_server(new QWebSocketServer(u"forgewire"_s, QWebSocketServer::NonSecureMode, this)),
      m_held(context.config->pongDeadlineMs)
{
    connect(m_server, &QWebSocketServer::newConnection, this, &QtTransport::onNewConnection);
}

QtTransport::~QtTransport()
{
    collectGarbage();
    const QList<QTcpSocket*> pending = m_pending.keys();
    for (QTcpSocket* socket : pending)
        forget(socket);
    const QSet<QtClientConnection*> connections = std::exchange(m_connections, {});
    for (QtClientConnection* connection : connections) {
        QObject::disconnect(connection->socketObject(), nullptr, this, nullptr);
        if (connection->wire() == WireFormat::Wire::EventStream)
            --m_context.metrics->eventStreams;
        --*m_context.admitted;
        m_context.gate->leave(connection->address());
        delete connection; // and the session it owns
    }
}

qint64 QtTransport::now() const
{
    return m_context.clock->elapsed();
}

void QtTransport::adopt(qintptr descriptor)
{
    auto* socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(descriptor)) {
        qCWarning(lcWs) << "cannot adopt an accepted socket:" << socket->errorString();
        --*m_context.admitted;
        m_context.gate->handshakeDone(); // the slot the listener reserved
        delete socket;
        return;
    }
    // A server frame is small and must not wait for the acknowledgement of the previous one.
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    Pending& pending = m_pending[socket];
    pending.socket = socket;
    pending.peer = socket->peerAddress();
    pending.peerPort = socket->peerPort();
    pending.deadlineMs = now() + m_context.config->handshakeTimeoutMs;
    connect(socket, &QTcpSocket::disconnected, this, [this, socket] { forget(socket); });
    const WsHandshake refusal =
        admit(m_draining, pending.peer, &pending.address, &pending.inGate, &pending.handshakePending);
    if (refusal.status != 0) {
        reject(socket, refusal);
        return;
    }
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onRequestData(socket); });
    if (socket->bytesAvailable() > 0)
        onRequestData(socket);
}

void QtTransport::leaveHandshake(Pending& pending)
{
    if (!pending.handshakePending)
        return;
    pending.handshakePending = false;
    m_context.gate->handshakeDone();
}

void QtTransport::onRequestData(QTcpSocket* socket)
{
    auto it = m_pending.find(socket);
    if (it == m_pending.end())
        return;
    if (it->lingering) {
        socket->readAll(); // the rest of a request we already answered
        return;
    }
    if (it->upgrading || it->checking)
        return; // a client sends nothing before the 101; the deadline bounds what it may buffer
    // Peeked, not read: QWebSocketServer reads the same bytes again for the upgrade.
    const QByteArray buffered =
        socket->peek(std::min<qint64>(socket->bytesAvailable(), limits::kMaxRequestHeadBytes + 1));
    HttpRequestHead head;
    const HttpParseStatus parsed = parseHttpHead(buffered, limits::kMaxRequestHeadBytes, &head);
    if (parsed == HttpParseStatus::Incomplete)
        return;
    if (parsed == HttpParseStatus::Complete && !it->inGate) {
        // From a trusted proxy: counted, limited and logged as the client it names.
        const WsHandshake refusal = admitClient(it->peer, head, &it->address, &it->client, &it->inGate);
        if (refusal.status != 0) {
            reject(socket, refusal);
            return;
        }
    }
    const WsHandshake handshake = parsed == HttpParseStatus::Complete ? m_context.events->answerRequest(head)
                                                                      : WsHandshake::forParseStatus(parsed);
    if (!handshake.isAccepted()) {
        reject(socket, handshake);
        return;
    }
    if (handshake.eventStream) {
        startEventStream(socket, handshake, head);
        return;
    }
    if (handshake.checkFirst) {
        // Held (its deadline still running) until the credential is checked.
        it->checking = true;
        QPointer<QTcpSocket> guard(socket);
        m_context.events->checkBeforeUpgrade(head, it->client.isEmpty() ? it->peer.toString() : it->client,
                                             [this, guard, head](std::optional<WsHandshake> refusal) {
                                                 if (!guard)
                                                     return;
                                                 auto held = m_pending.find(guard);
                                                 if (held == m_pending.end() || !held->checking)
                                                     return;
                                                 held->checking = false;
                                                 if (refusal)
                                                     reject(guard, *refusal);
                                                 else
                                                     upgrade(guard, head);
                                             });
        return;
    }
    upgrade(socket, head);
}

void QtTransport::upgrade(QTcpSocket* socket, const HttpRequestHead& head)
{
    auto it = m_pending.find(socket);
    it->upgrading = true;
    it->head = head;
    // Qt 6.4's handshake consumes whatever is buffered behind the head (frames a client sent right
    // behind its request were lost, tst_gateway framesRightBehindTheUpgradeRequest): they are set
    // aside here and handed back once the QWebSocket exists (see onNewConnection()).
    const QByteArray all = socket->read(socket->bytesAvailable());
    it->early = all.mid(head.length);
    for (qsizetype i = head.length - 1; i >= 0; --i)
        socket->ungetChar(all.at(i));
    leaveHandshake(*it);
    QObject::disconnect(socket, nullptr, this, nullptr);
    m_upgrading.insert({it->peer, it->peerPort}, socket);
    m_server->handleConnection(socket);
}

void QtTransport::startEventStream(QTcpSocket* socket, const WsHandshake& handshake,
                                   const HttpRequestHead& head)
{
    auto it = m_pending.find(socket);
    leaveHandshake(*it);
    const ConnectionGate::Address address = it->address;
    const QString client = it->client;
    m_pending.erase(it); // now counted by the connection, which owns the socket
    QObject::disconnect(socket, nullptr, this, nullptr);
    socket->setParent(nullptr);
    // An event stream is one way: whatever the client sends after its request is read and dropped.
    socket->readAll();
    auto* connection = new QtStreamConnection(this, socket, address, handshake.allowOrigin);
    connection->setClientAddress(client);
    m_connections.insert(connection);
    ++m_context.metrics->eventStreams;
    connect(socket, &QTcpSocket::readyRead, this, [socket] { socket->readAll(); });
    connect(socket, &QTcpSocket::bytesWritten, this, [connection] { connection->account(); });
    connect(socket, &QTcpSocket::disconnected, this, [this, connection] { drop(connection); });
    m_context.events->upgraded(connection, head);
}

void QtTransport::keepAliveSent(QtClientConnection* connection)
{
    if (m_connections.contains(connection) && connection->session())
        m_context.events->pongReceived(connection);
}

void QtTransport::reject(QTcpSocket* socket, const WsHandshake& refusal)
{
    Pending& pending = m_pending[socket];
    pending.lingering = true;
    pending.checking = false;
    leaveHandshake(pending);
    pending.deadlineMs = now() + m_context.config->handshakeTimeoutMs;
    socket->readAll();
    socket->write(refusal.refusalBytes());
    connect(socket, &QTcpSocket::bytesWritten, this, [socket] {
        if (socket->bytesToWrite() == 0)
            shutdownWrite(socket);
    });
    connect(
        socket, &QTcpSocket::readyRead, this, [this, socket] { onRequestData(socket); },
        Qt::UniqueConnection);
    socket->flush();
    if (socket->bytesToWrite() == 0)
        shutdownWrite(socket);
}

void QtTransport::forget(QTcpSocket* socket)
{
    auto it = m_pending.find(socket);
    if (it == m_pending.end())
        return;
    leaveHandshake(*it);
    if (it->inGate)
        m_context.gate->leave(it->address);
    const QPointer<QTcpSocket> alive = it->socket;
    if (it->upgrading)
        m_upgrading.remove({it->peer, it->peerPort});
    const bool ours = !it->upgrading;
    m_pending.erase(it);
    --*m_context.admitted;
    if (!alive)
        return;
    QObject::disconnect(alive, nullptr, this, nullptr);
    alive->abort();
    // Once handed over, QWebSocketServer deletes the socket it refused or gave up on.
    if (ours)
        alive->deleteLater();
}

void QtTransport::onNewConnection()
{
    while (QWebSocket* socket = m_server->nextPendingConnection()) {
        QTcpSocket* tcp = m_upgrading.take({socket->peerAddress(), socket->peerPort()});
        auto it = tcp ? m_pending.find(tcp) : m_pending.end();
        if (it == m_pending.end()) {
            // Not one we handed over (cannot happen: the server never listens).
            socket->abort();
            socket->deleteLater();
            continue;
        }
        const Pending pending = *it;
        m_pending.erase(it); // now counted by the connection; QWebSocket owns the QTcpSocket
        socket->setParent(nullptr);
        socket->setMaxAllowedIncomingMessageSize(quint64(m_context.config->maxMessageBytes));
        socket->setMaxAllowedIncomingFrameSize(quint64(m_context.config->maxMessageBytes));
        auto* connection = new QtConnection(this, socket, pending.address);
        connection->setTcpSocket(pending.socket);
        connection->setClientAddress(pending.client);
        watch(connection);
        m_context.events->upgraded(connection, pending.head);
        if (pending.socket) {
            // QWebSocket answers pings itself, past queueText(): after each read it has processed
            // (queued behind its own handler), its pongs are checked against the send-queue cap.
            connect(
                pending.socket, &QTcpSocket::readyRead, this,
                [this, connection] {
                    if (m_connections.contains(connection) &&
                        connection->backlogBytes() > m_context.config->maxSendQueueBytes)
                        m_context.events->bytesQueued(connection);
                },
                Qt::QueuedConnection);
        }
        // Frames a client sent right behind its request: back into the socket's buffer, announced,
        // since QWebSocket reads only on the next readyRead, which may never come.
        if (pending.socket && !pending.early.isEmpty() && connection->isOpen()) {
            for (qsizetype i = pending.early.size() - 1; i >= 0; --i)
                pending.socket->ungetChar(pending.early.at(i));
            Q_EMIT pending.socket->readyRead();
        }
    }
}

void QtTransport::watch(QtConnection* connection)
{
    m_connections.insert(connection);
    QWebSocket* socket = connection->socket();
    ConnectionEvents* events = m_context.events;
    connect(socket, &QWebSocket::textMessageReceived, this, [events, connection](const QString& message) {
        events->messageReceived(connection, message.toUtf8(), false);
    });
    connect(socket, &QWebSocket::binaryMessageReceived, this,
            [events, connection](const QByteArray& message) {
                events->messageReceived(connection, message, true);
            });
    connect(socket, &QWebSocket::pong, this, [events, connection] { events->pongReceived(connection); });
    connect(socket, &QWebSocket::bytesWritten, this, [connection] { connection->account(); });
    connect(socket, &QWebSocket::disconnected, this, [this, connection] { drop(connection); });
}

void QtTransport::drop(QtClientConnection* connection)
{
    if (!m_connections.remove(connection))
        return;
    QObject::disconnect(connection->socketObject(), nullptr, this, nullptr);
    if (connection->wire() == WireFormat::Wire::EventStream) {
        --m_context.metrics->eventStreams;
        if (!connection->session() || connection->session()->state() != ClientSession::State::Closing)
            ++m_context.metrics->eventStreamEnds[int(Metrics::StreamEnd::ClientGone)];
    }
    connection->markClosed();
    --*m_context.admitted;
    m_context.gate->leave(connection->address());
    connection->abortSocket();
    m_context.events->connectionClosed(connection);
    m_graveyard.append(connection);
    if (m_graveyard.size() == 1)
        QMetaObject::invokeMethod(this, &QtTransport::collectGarbage, Qt::QueuedConnection);
}

void QtTransport::collectGarbage()
{
    const QList<QtClientConnection*> dead = std::exchange(m_graveyard, {});
    qDeleteAll(dead);
}

void QtTransport::sweep(qint64 nowMs)
{
    m_held.sweep(nowMs);
    const QList<QTcpSocket*> pending = m_pending.keys();
    for (QTcpSocket* socket : pending) {
        const Pending& entry = m_pending[socket];
        if (nowMs < entry.deadlineMs)
            continue;
        if (!entry.lingering && !entry.upgrading && entry.socket) {
            ++m_context.metrics->handshakeTimeouts;
            qCInfo(lcWs).noquote() << "handshake timeout for"
                                   << (entry.client.isEmpty() ? entry.peer.toString() : entry.client);
            WsHandshake timeout;
            timeout.status = 408;
            timeout.body = R"({"error":"request head not received in time"})";
            reject(socket, timeout);
        } else {
            // A peer that never read our response, or a head QWebSocketServer refused after we took it.
            forget(socket);
        }
    }
    // Pongs to a peer's pings are queued by QWebSocket itself, past queueText(): besides the check
    // after each read (onNewConnection()), the sweep keeps the node's count of them current.
    const QList<QtClientConnection*> connections = m_connections.values();
    for (QtClientConnection* connection : connections) {
        connection->account();
        if (connection->backlogBytes() > m_context.config->maxSendQueueBytes && connection->session())
            m_context.events->bytesQueued(connection);
    }
}

void QtTransport::drain()
{
    m_draining = true;
    WsHandshake refusal;
    refusal.status = 503;
    refusal.body = R"({"error":"server is shutting down"})";
    const QList<QTcpSocket*> pending = m_pending.keys();
    for (QTcpSocket* socket : pending) {
        const Pending& entry = m_pending[socket];
        if (!entry.lingering && !entry.upgrading && entry.socket)
            reject(socket, refusal);
    }
}

void QtTransport::flushAll()
{
    for (QtClientConnection* connection : std::as_const(m_connections))
        connection->flushNow();
}

} // namespace forgewire
