#include "transport/epoll/EpollTransport.h"

#include "config/ServerConfig.h"
#include "config/ServerLimits.h"
#include "config/ServerLogging.h"
#include "metrics/Metrics.h"
#include "protocol/Protocol.h"
#include "transport/WsProtocol.h"
#include "transport/epoll/Poller.h"
#include "transport/epoll/WsConnection.h"

#include <QElapsedTimer>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

namespace forgewire {

using namespace Qt::StringLiterals;

EpollTransport::EpollTransport(const TransportContext& context) : Transport(context)
{
    // Unparented and deleted last: it is also the context of the transport's queued calls, which
    // must not run once the transport is gone.
    m_poller = new Poller(
        [this](void* tag, quint32 events) { onSocketEvent(static_cast<WsConnection*>(tag), events); });
}

EpollTransport::~EpollTransport()
{
    collectGarbage();
    const auto release = [this](WsConnection* connection) {
        --*m_context.admitted;
        leaveHandshake(connection);
        if (connection->inGate)
            m_context.gate->leave(connection->address);
        delete connection; // and the session it owns
    };
    for (WsConnection* connection : std::as_const(m_unupgraded))
        release(connection);
    for (WsConnection* connection : std::as_const(m_upgraded))
        release(connection);
    delete m_poller;
}

qint64 EpollTransport::now() const
{
    return m_context.clock->elapsed();
}

void EpollTransport::adopt(qintptr descriptor)
{
    const int fd = int(descriptor);
    // Non-blocking for epoll; no Nagle, because a server frame is small and must not wait for the
    // acknowledgement of the previous one.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const ServerConfig& config = *m_context.config;
    auto* connection = new WsConnection(this, fd, now() + config.handshakeTimeoutMs, config.maxMessageBytes,
                                        &m_context.metrics->queuedBytes);
    if (!m_poller->isValid() || !m_poller->add(fd, connection)) {
        qCWarning(lcWs) << "cannot watch an accepted socket; closing it";
        --*m_context.admitted;
        m_context.gate->handshakeDone(); // the slot the listener reserved
        delete connection;
        return;
    }
    m_unupgraded.insert(connection);
    const WsHandshake refusal = admit(m_draining, connection->socketPeer(), &connection->address,
                                      &connection->inGate, &connection->handshakePending);
    if (refusal.status != 0)
        rejectHttp(connection, refusal);
}

void EpollTransport::leaveHandshake(WsConnection* connection)
{
    if (!connection->handshakePending)
        return;
    connection->handshakePending = false;
    m_context.gate->handshakeDone();
}

void EpollTransport::onSocketEvent(WsConnection* connection, quint32 events)
{
    if (connection->phase() == WsConnection::Phase::Closed)
        return;
    if (events & EPOLLOUT)
        flushConnection(connection);
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || connection->phase() == WsConnection::Phase::Closed)
        return;
    const bool ended = connection->readAvailable() == WsConnection::ReadResult::Ended;
    switch (connection->phase()) {
    case WsConnection::Phase::Request:
        onRequestData(connection);
        break;
    case WsConnection::Phase::WebSocket:
        onFrameData(connection);
        break;
    case WsConnection::Phase::Lingering:
    case WsConnection::Phase::EventStream:
        connection->input().clear(); // the rest of a request we already answered
        break;
    case WsConnection::Phase::Closed:
        return;
    }
    if (ended)
        dropConnection(connection);
}

void EpollTransport::onRequestData(WsConnection* connection)
{
    if (connection->checkId != 0) {
        // A client sends nothing before the 101: past a request head's worth, it is dropped.
        if (connection->input().size() > 2 * limits::kMaxRequestHeadBytes)
            dropConnection(connection);
        return;
    }
    HttpRequestHead head;
    const HttpParseStatus parsed = parseHttpHead(connection->input(), limits::kMaxRequestHeadBytes, &head);
    if (parsed == HttpParseStatus::Incomplete)
        return;
    if (parsed == HttpParseStatus::Complete && !connection->inGate) {
        // From a trusted proxy: counted, limited and logged as the client it names.
        const WsHandshake refusal = admitClient(connection->socketPeer(), head, &connection->address,
                                                &connection->clientAddress, &connection->inGate);
        if (refusal.status != 0) {
            rejectHttp(connection, refusal);
            return;
        }
    }
    const WsHandshake handshake = parsed == HttpParseStatus::Complete ? m_context.events->answerRequest(head)
                                                                      : WsHandshake::forParseStatus(parsed);
    if (!handshake.isAccepted()) {
        rejectHttp(connection, handshake);
        return;
    }
    if (handshake.eventStream) {
        startEventStream(connection, handshake, head);
        return;
    }
    if (handshake.checkFirst) {
        // Held in the request phase (its deadline still running) until the credential is checked.
        const quint64 id = ++m_lastCheck;
        connection->checkId = id;
        m_checking.insert(id, connection);
        m_context.events->checkBeforeUpgrade(head, connection->peerAddress(),
                                             [this, id, handshake, head](std::optional<WsHandshake> refusal) {
                                                 WsConnection* held = m_checking.take(id);
                                                 if (!held || held->phase() != WsConnection::Phase::Request)
                                                     return;
                                                 held->checkId = 0;
                                                 if (refusal)
                                                     rejectHttp(held, *refusal);
                                                 else
                                                     upgrade(held, handshake, head);
                                             });
        return;
    }
    upgrade(connection, handshake, head);
}

void EpollTransport::upgrade(WsConnection* connection, const WsHandshake& handshake,
                             const HttpRequestHead& head)
{
    queueBytes(connection, handshake.response);
    // All of it, usually: clear() releases the buffer (an idle connection holds no input buffer),
    // remove() would keep its capacity (about 500 bytes per connection).
    if (head.length >= connection->input().size())
        connection->input().clear();
    else
        connection->input().remove(0, head.length);
    connection->setPhase(WsConnection::Phase::WebSocket);
    m_unupgraded.remove(connection);
    m_upgraded.insert(connection);
    leaveHandshake(connection);
    m_context.events->upgraded(connection, head);
    // Frames a client sent right behind its request.
    if (!connection->input().isEmpty() && connection->phase() == WsConnection::Phase::WebSocket)
        onFrameData(connection);
}

void EpollTransport::startEventStream(WsConnection* connection, const WsHandshake& handshake,
                                      const HttpRequestHead& head)
{
    // Whatever the client sent behind its request is not read: an event stream is one way.
    connection->input().clear();
    connection->startEventStream(handshake.allowOrigin);
    m_unupgraded.remove(connection);
    m_upgraded.insert(connection);
    leaveHandshake(connection);
    ++m_context.metrics->eventStreams;
    m_context.events->upgraded(connection, head);
}

void EpollTransport::keepAliveSent(WsConnection* connection)
{
    if (connection->session())
        m_context.events->pongReceived(connection);
}

void EpollTransport::rejectHttp(WsConnection* connection, const WsHandshake& refusal)
{
    if (connection->checkId != 0) {
        m_checking.remove(connection->checkId);
        connection->checkId = 0;
    }
    connection->setPhase(WsConnection::Phase::Lingering);
    connection->input().clear();
    leaveHandshake(connection);
    connection->deadlineMs = now() + m_context.config->handshakeTimeoutMs;
    connection->closeWhenFlushed = true;
    m_upgraded.remove(connection);
    m_unupgraded.insert(connection);
    queueBytes(connection, refusal.refusalBytes());
    flushConnection(connection);
}

void EpollTransport::onFrameData(WsConnection* connection)
{
    QList<WsFrameParser::Event> events;
    connection->parser().feed(connection->input(), &events);
    if (connection->parser().isFinished())
        connection->input().clear(); // nothing after an error or a close frame is read
    ConnectionEvents* sessions = m_context.events;
    for (WsFrameParser::Event& event : events) {
        if (connection->phase() != WsConnection::Phase::WebSocket)
            return;
        switch (event.kind) {
        case WsFrameParser::Event::Kind::Text:
            sessions->messageReceived(connection, event.payload, false);
            break;
        case WsFrameParser::Event::Kind::Binary:
            sessions->messageReceived(connection, event.payload, true);
            break;
        case WsFrameParser::Event::Kind::Ping:
            if (!connection->closeSent) {
                queueBytes(connection, ws::pongFrame(event.payload));
                // Pongs count against the send-queue cap like any frame: a ping flood from a peer
                // that does not read its pongs ends as a slow consumer.
                sessions->bytesQueued(connection);
            }
            break;
        case WsFrameParser::Event::Kind::Pong:
            sessions->pongReceived(connection);
            break;
        case WsFrameParser::Event::Kind::Close:
            if (connection->closeSent) {
                // The answer to our close: the handshake is complete, and the server closes TCP first.
                dropConnection(connection);
                return;
            }
            // The client's close: echo its code, then shut the connection down once that is sent.
            sessions->closeReceived(connection, event.code, QString::fromUtf8(event.reason));
            connection->closeWhenFlushed = true;
            flushConnection(connection);
            return;
        case WsFrameParser::Event::Kind::Error:
            // RFC 6455 section 7.1.7, failing the connection: our close frame, then the end of it,
            // without waiting for an answer (nothing more of this stream is read).
            sessions->closeReceived(connection, event.code, QString::fromUtf8(event.reason));
            connection->closeWhenFlushed = true;
            flushConnection(connection);
            return;
        }
    }
}

void EpollTransport::queueBytes(WsConnection* connection, const QByteArray& bytes)
{
    if (connection->phase() == WsConnection::Phase::Closed)
        return;
    connection->outbox().append(bytes);
    if (!connection->inDirtyList) {
        connection->inDirtyList = true;
        m_dirty.append(connection);
        if (!m_flushPosted) {
            m_flushPosted = true;
            QMetaObject::invokeMethod(
                m_poller, [this] { flushAll(); }, Qt::QueuedConnection);
        }
    }
}

void EpollTransport::flushConnection(WsConnection* connection)
{
    if (connection->phase() == WsConnection::Phase::Closed)
        return;
    switch (connection->outbox().flushTo(connection->fd())) {
    case Outbox::FlushResult::Blocked:
        if (!connection->writeInterest)
            connection->writeInterest = m_poller->setWritable(connection->fd(), connection, true);
        return;
    case Outbox::FlushResult::Failed:
        // Reset by the peer: epoll reports it as readable (an error), and onSocketEvent drops it.
        return;
    case Outbox::FlushResult::Done:
        break;
    }
    if (connection->writeInterest) {
        m_poller->setWritable(connection->fd(), connection, false);
        connection->writeInterest = false;
    }
    if (connection->closeWhenFlushed) {
        connection->closeWhenFlushed = false;
        // Our FIN now, the descriptor when the peer's FIN arrives (onSocketEvent) or at the sweep's
        // deadline: closing with unread bytes would send a reset, which can destroy the response or
        // close frame before the peer has read it.
        ::shutdown(connection->fd(), SHUT_WR);
    }
}

void EpollTransport::flushAll()
{
    m_flushPosted = false;
    const QList<WsConnection*> dirty = std::exchange(m_dirty, {});
    for (WsConnection* connection : dirty) {
        connection->inDirtyList = false;
        flushConnection(connection);
    }
}

void EpollTransport::dropConnection(WsConnection* connection)
{
    if (connection->phase() == WsConnection::Phase::Closed)
        return;
    if (connection->wire() == WireFormat::Wire::EventStream) {
        --m_context.metrics->eventStreams;
        if (!connection->closeSent)
            ++m_context.metrics->eventStreamEnds[int(Metrics::StreamEnd::ClientGone)];
    }
    if (connection->checkId != 0) {
        m_checking.remove(connection->checkId);
        connection->checkId = 0;
    }
    m_poller->remove(connection->fd());
    connection->closeDescriptor(); // and its outbox, uncounted from the node's queued bytes
    m_unupgraded.remove(connection);
    m_upgraded.remove(connection);
    leaveHandshake(connection);
    if (connection->inGate) {
        connection->inGate = false;
        m_context.gate->leave(connection->address);
    }
    if (connection->inDirtyList) {
        m_dirty.removeOne(connection);
        connection->inDirtyList = false;
    }
    --*m_context.admitted;
    m_graveyard.append(connection);
    if (m_graveyard.size() == 1)
        QMetaObject::invokeMethod(
            m_poller, [this] { collectGarbage(); }, Qt::QueuedConnection);
    if (connection->session())
        m_context.events->connectionClosed(connection);
}

void EpollTransport::collectGarbage()
{
    const QList<WsConnection*> dead = std::exchange(m_graveyard, {});
    qDeleteAll(dead);
}

void EpollTransport::sweep(qint64 nowMs)
{
    const QList<WsConnection*> unupgraded = m_unupgraded.values();
    for (WsConnection* connection : unupgraded) {
        if (nowMs < connection->deadlineMs)
            continue;
        if (connection->phase() == WsConnection::Phase::Request) {
            ++m_context.metrics->handshakeTimeouts;
            qCInfo(lcWs).noquote() << "handshake timeout for" << connection->peerAddress();
            WsHandshake timeout;
            timeout.status = 408;
            timeout.body = R"({"error":"request head not received in time"})";
            rejectHttp(connection, timeout);
        } else {
            connection->abort(); // a peer that never read our response: reset
        }
    }
}

void EpollTransport::drain()
{
    m_draining = true;
    WsHandshake refusal;
    refusal.status = 503;
    refusal.body = R"({"error":"server is shutting down"})";
    const QList<WsConnection*> unupgraded = m_unupgraded.values();
    for (WsConnection* connection : unupgraded) {
        if (connection->phase() == WsConnection::Phase::Request)
            rejectHttp(connection, refusal);
    }
}

} // namespace forgewire
