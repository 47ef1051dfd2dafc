#include "Worker.h"

#include "Broker.h"
#include "HttpMessage.h"
#include "ServerLogging.h"
#include "Topic.h"

#include <QTcpSocket>
#include <QTimer>
#include <QUuid>
#include <QWebSocket>
#include <QWebSocketServer>

namespace forgewire {

using namespace Qt::StringLiterals;
using protocol::ErrorCode;

namespace {

// Holds one admission for as long as the TCP socket it is a child of exists. A child object rather
// than a destroyed() connection, because QWebSocketServer drops the socket's connections on upgrade.
class AdmissionTicket : public QObject
{
public:
    AdmissionTicket(std::atomic<int>* admitted, QObject* socket) : QObject(socket), m_admitted(admitted) {}
    ~AdmissionTicket() override { --*m_admitted; }

private:
    std::atomic<int>* m_admitted;
};

int sweepIntervalMs(const ServerConfig& config)
{
    // Fine enough to honour the shortest deadline within a quarter of it, never busier than 10 ms.
    const int shortest = std::min({config.handshakeTimeoutMs, config.pingIntervalMs, config.pongDeadlineMs});
    return std::clamp(shortest / 4, 10, 1000);
}

} // namespace

Worker::Worker(int index, const ServerConfig& config, const Authenticator* authenticator, Metrics* metrics,
               std::atomic<int>* admitted, Broker* broker)
    : m_index(index), m_config(config), m_authenticator(authenticator), m_metrics(metrics),
      m_admitted(admitted), m_broker(broker)
{}

Worker::~Worker()
{
    for (auto it = m_pending.cbegin(); it != m_pending.cend(); ++it) {
        it.key()->abort();
        delete it.key();
    }
    for (ClientSession* session : std::as_const(m_sessions)) {
        session->socket()->disconnect(this);
        session->socket()->abort();
        delete session->socket();
        --m_metrics->connections;
        for (const QString& topic : std::as_const(session->subscriptions()))
            --m_metrics->subscriptions(Topic::parse(topic).kind());
        delete session;
    }
}

void Worker::init()
{
    m_clock.start();
    m_wsServer = new QWebSocketServer(u"forgewire"_s, QWebSocketServer::NonSecureMode, this);
    connect(m_wsServer, &QWebSocketServer::newConnection, this, &Worker::onUpgraded);
    m_sweepTimer = new QTimer(this);
    m_sweepTimer->setInterval(sweepIntervalMs(m_config));
    connect(m_sweepTimer, &QTimer::timeout, this, &Worker::sweep);
    m_sweepTimer->start();
}

void Worker::adoptSocket(qintptr descriptor)
{
    auto* socket = new QTcpSocket(this);
    // The one place the admission count goes down: when the TCP socket is deleted, whether it ended
    // as a pending request, a rejected one, or the transport of a session.
    new AdmissionTicket(m_admitted, socket);
    if (!socket->setSocketDescriptor(descriptor)) {
        qCWarning(lcWs) << "cannot adopt an accepted socket:" << socket->errorString();
        delete socket;
        return;
    }
    if (m_draining) {
        rejectHttp(socket, 503, R"({"error":"server is shutting down"})");
        return;
    }
    if (m_admitted->load() > m_config.maxConnections) {
        ++m_metrics->rejectedAtCap;
        qCWarning(lcWs) << "connection cap" << m_config.maxConnections << "reached; refusing"
                        << socket->peerAddress().toString();
        rejectHttp(socket, 503, R"({"error":"too many connections"})", "Retry-After: 5\r\n");
        return;
    }
    m_pending.insert(socket, PendingSocket{m_clock.elapsed() + m_config.handshakeTimeoutMs, {}});
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onHeadReadable(socket); });
    connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
        if (m_pending.remove(socket))
            socket->deleteLater();
    });
    if (socket->bytesAvailable() > 0)
        onHeadReadable(socket);
}

void Worker::onHeadReadable(QTcpSocket* socket)
{
    auto it = m_pending.find(socket);
    if (it == m_pending.end())
        return;
    // Peek, don't read: QWebSocketServer must see the whole upgrade request.
    const QByteArray peeked = socket->peek(limits::kMaxRequestHeadBytes + 1);
    HttpRequestHead head;
    switch (parseHttpHead(peeked, limits::kMaxRequestHeadBytes, &head)) {
    case HttpParseStatus::Incomplete:
        return;
    case HttpParseStatus::TooLarge:
        rejectHttp(socket, 431, R"({"error":"request head too large"})");
        return;
    case HttpParseStatus::Invalid:
        rejectHttp(socket, 400, R"({"error":"malformed HTTP request"})");
        return;
    case HttpParseStatus::Complete:
        break;
    }
    if (head.path != m_config.wsPath()) {
        rejectHttp(socket, 404,
                   R"({"error":"not found; the WebSocket endpoint is )" + m_config.wsPath().toUtf8() + "\"}");
        return;
    }
    if (head.method != "GET") {
        rejectHttp(socket, 405, R"({"error":"use GET with Upgrade: websocket"})", "Allow: GET\r\n");
        return;
    }
    if (!head.isWebSocketUpgrade()) {
        rejectHttp(socket, 426, R"x({"error":"this endpoint speaks WebSocket only (Upgrade: websocket)"})x",
                   "Upgrade: websocket\r\n");
        return;
    }
    // From here QWebSocketServer owns the handshake; the deadline stays armed until the session is ready.
    detachRequestHandlers(socket);
    const qint64 deadline = it->deadlineMs;
    m_pending.erase(it);
    // QWebSocket does not take ownership of the TCP socket it wraps: remember it so the session can
    // release it. If QWebSocketServer refuses the handshake no session claims it, and the sweep frees
    // it at the handshake deadline.
    m_upgrading.insert(UpgradeKey{socket->peerAddress().toString(), socket->peerPort()},
                       Upgrading{socket, deadline});
    m_wsServer->handleConnection(socket);
}

void Worker::rejectHttp(QTcpSocket* socket, int status, const QByteArray& body,
                        const QByteArray& extraHeaders)
{
    m_pending.remove(socket);
    detachRequestHandlers(socket);
    socket->write(httpResponse(status, body, "application/json", extraHeaders));
    socket->disconnectFromHost();
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    // A peer that never reads the response must not keep the fd.
    QTimer::singleShot(m_config.handshakeTimeoutMs, socket, [socket] {
        socket->abort();
        socket->deleteLater();
    });
}

void Worker::detachRequestHandlers(QTcpSocket* socket)
{
    // Only the request-phase handlers; the admission ticket is a child object and stays.
    disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
    disconnect(socket, &QTcpSocket::disconnected, this, nullptr);
}

void Worker::onUpgraded()
{
    while (QWebSocket* socket = m_wsServer->nextPendingConnection())
        startSession(socket);
}

void Worker::startSession(QWebSocket* socket)
{
    const auto upgrading =
        m_upgrading.constFind(UpgradeKey{socket->peerAddress().toString(), socket->peerPort()});
    if (upgrading == m_upgrading.cend() || !upgrading->socket) {
        // The peer vanished during the upgrade (no address left to find it by): nothing to serve.
        // Its TCP socket, if any, is freed by the sweep at the handshake deadline.
        socket->abort();
        socket->deleteLater();
        return;
    }
    auto* session =
        new ClientSession(socket, QUuid::createUuid().toString(QUuid::WithoutBraces), m_clock.elapsed());
    // Frames are written to the transport directly (Outbox), so every session needs it.
    session->setTransport(upgrading->socket);
    m_upgrading.erase(upgrading);
    m_sessions.insert(socket, session);
    ++m_metrics->connections;
    ++m_metrics->connectionsTotal;
    socket->setMaxAllowedIncomingMessageSize(m_config.maxMessageBytes);
    socket->setMaxAllowedIncomingFrameSize(m_config.maxMessageBytes);
    session->nextPingAtMs = m_clock.elapsed() + m_config.pingIntervalMs;

    connect(socket, &QWebSocket::textMessageReceived, this, [this, socket](const QString& text) {
        if (ClientSession* s = sessionFor(socket))
            onTextMessage(s, text);
    });
    connect(socket, &QWebSocket::binaryMessageReceived, this, [this, socket](const QByteArray&) {
        if (ClientSession* s = sessionFor(socket))
            sendError(s, ErrorCode::BadRequest, u"binary frames are not supported; send JSON text frames"_s);
    });
    connect(socket, &QWebSocket::pong, this, [this, socket](quint64, const QByteArray&) {
        if (ClientSession* s = sessionFor(socket))
            s->pingSentAtMs = 0;
    });
    connect(socket, &QWebSocket::disconnected, this, [this, socket] {
        if (ClientSession* s = sessionFor(socket))
            removeSession(s);
    });

    const QNetworkRequest request = socket->request();
    const QByteArray authorization = request.rawHeader("Authorization").trimmed();
    const QByteArray token =
        Authenticator::extractToken(authorization, request.url().query(QUrl::FullyEncoded));
    AuthResult result;
    if (token.isEmpty() && !authorization.isEmpty()) {
        // The client meant to sign in: silently serving it as anonymous would hide its mistake.
        result.error = u"Authorization header carries no 'Bearer <token>' or 'token <token>'"_s;
    } else {
        result = m_authenticator->authenticate(token);
    }
    if (!result.ok && !token.isEmpty() && m_authenticator->hasForgeVerifier() &&
        !Authenticator::looksLikeJwt(token)) {
        m_broker->verifyForgeToken(m_authenticator, this, token, [this, socket](const AuthResult& forge) {
            if (ClientSession* s = sessionFor(socket))
                finishAuthentication(s, forge);
        });
        return;
    }
    finishAuthentication(session, result);
}

void Worker::finishAuthentication(ClientSession* session, const AuthResult& result)
{
    if (session->state() != ClientSession::State::Authenticating)
        return;
    if (!result.ok && result.transient) {
        qCInfo(lcWs).noquote() << "turning away" << session->socket()->peerAddress().toString() << "for now -"
                               << result.error;
        closeSession(session, protocol::CloseCode::GoingAway,
                     u"cannot verify the token now; try again later"_s);
        return;
    }
    if (!result.ok) {
        ++m_metrics->authFailures;
        qCInfo(lcWs).noquote() << "refusing" << session->socket()->peerAddress().toString() << "-"
                               << result.error;
        closeSession(session, protocol::CloseCode::Unauthorized, u"unauthorized"_s);
        return;
    }
    session->setIdentity(result.identity);
    session->setState(ClientSession::State::Ready);
    const Identity& who = session->identity();
    protocol::Hello hello;
    if (!who.isAnonymous())
        hello.user = protocol::UserInfo{who.userId, who.login};
    hello.session = session->id();
    hello.heartbeat = std::max(1, m_config.pingIntervalMs / 1000);
    if (!sendMessage(session, protocol::encode(hello)))
        return;
    qCDebug(lcWs).noquote() << "session" << session->id() << "user" << who.userId << who.login;
    if (!who.isAnonymous())
        subscribe(session, Topic::user(who.userId), true);
    processDeferred(session);
}

void Worker::onTextMessage(ClientSession* session, const QString& text)
{
    if (session->state() == ClientSession::State::Closing)
        return;
    // The rate limit counts arrivals, so a client cannot pile up work behind a slow lookup.
    const bool rateLimited = !session->takeMessageToken(m_clock.elapsed());
    if (session->isBusy()) {
        // Replies go out in request order: wait for the token check or the topic lookup in flight
        // (the retained state it brings must precede any later reply).
        session->deferred().append({text, rateLimited});
        return;
    }
    handleClientMessage(session, text, rateLimited);
}

void Worker::processDeferred(ClientSession* session)
{
    while (session->state() == ClientSession::State::Ready && !session->isBusy() &&
           !session->deferred().isEmpty()) {
        const ClientSession::DeferredMessage message = session->deferred().takeFirst();
        handleClientMessage(session, message.text, message.rateLimited);
    }
}

void Worker::handleClientMessage(ClientSession* session, const QString& text, bool rateLimited)
{
    if (rateLimited) {
        sendError(
            session, ErrorCode::RateLimited,
            u"more than %1 messages per second; message dropped"_s.arg(limits::kClientMessagesPerSecond));
        return;
    }
    const auto decoded = protocol::decodeClientMessage(text.toUtf8());
    if (!decoded) {
        sendError(session, ErrorCode::BadRequest, decoded.error);
        return;
    }
    const protocol::ClientMessage& message = *decoded.value;
    if (const auto* s = std::get_if<protocol::Subscribe>(&message))
        subscribe(session, s->topic, false);
    else if (const auto* u = std::get_if<protocol::Unsubscribe>(&message))
        unsubscribe(session, u->topic);
    else if (std::holds_alternative<protocol::Ping>(message))
        sendMessage(session, protocol::encode(protocol::ServerMessage(protocol::Pong{})));
    // A JSON pong needs no answer.
}

void Worker::subscribe(ClientSession* session, const QString& name, bool automatic)
{
    const Topic topic = Topic::parse(name);
    if (!topic.isValid()) {
        sendError(session, ErrorCode::UnknownTopic,
                  u"unknown topic; expected user-{id}, project-board.{id} or public.<name>"_s,
                  name.left(Topic::kMaxLength));
        return;
    }
    if (session->subscriptions().contains(name)) {
        // Bridge mode: re-subscribing to one's own user topic is the client's "poll the forge now"
        // (after it acted on the forge directly); PROTOCOL.md allows clients no other message for it.
        if (topic.kind() == Topic::Kind::User && topic.id() == session->identity().userId)
            m_broker->requestRefresh(topic.id());
        sendMessage(session, protocol::encode(protocol::ServerMessage(protocol::Subscribed{name})));
        return;
    }
    const Identity& who = session->identity();
    // The connection's own user topic does not count against the cap.
    const qsizetype own =
        (!who.isAnonymous() && session->subscriptions().contains(Topic::user(who.userId))) ? 1 : 0;
    if (!automatic && session->subscriptions().size() - own >= limits::kMaxSubscriptionsPerConnection) {
        sendError(session, ErrorCode::RateLimited,
                  u"at most %1 subscriptions per connection"_s.arg(limits::kMaxSubscriptionsPerConnection),
                  name);
        return;
    }
    bool checkAccess = false;
    switch (topic.kind()) {
    case Topic::Kind::User:
        if (topic.id() != who.userId && !session->tokenGrants(name)) {
            sendError(session, ErrorCode::Forbidden, u"user topics are private to their user"_s, name);
            return;
        }
        break;
    case Topic::Kind::ProjectBoard:
        if (who.isAnonymous()) {
            sendError(session, ErrorCode::Forbidden, u"sign in to read project boards"_s, name);
            return;
        }
        checkAccess = !session->tokenGrants(name);
        break;
    case Topic::Kind::Public:
    case Topic::Kind::Invalid:
        break;
    }
    session->setPendingTopic(name);
    // Registered before the retained state is read, so no publication can fall between that read and
    // the registration; what arrives meanwhile is held until the lookup answers (see deliver()).
    addToIndex(session, name);
    QWebSocket* socket = session->socket();
    m_broker->resolveTopic(this, who.userId, checkAccess, name,
                           [this, socket, name, automatic](bool allowed, const QList<QByteArray>& retained) {
                               if (ClientSession* s = sessionFor(socket))
                                   completeSubscribe(s, name, automatic, allowed, retained);
                           });
}

void Worker::completeSubscribe(ClientSession* session, const QString& topic, bool automatic, bool allowed,
                               const QList<QByteArray>& retained)
{
    if (session->pendingTopic() != topic || session->state() != ClientSession::State::Ready)
        return;
    session->setPendingTopic({});
    const QList<ClientSession::HeldFrame> held = std::exchange(session->held(), {});
    if (!allowed) {
        removeFromIndex(session, topic);
        sendError(session, ErrorCode::Forbidden, u"no access to this project board"_s, topic);
    } else {
        if (!automatic)
            sendMessage(session, protocol::encode(protocol::ServerMessage(protocol::Subscribed{topic})));
        for (const QByteArray& payload : retained)
            sendMessage(session, payload);
        // Publications that arrived during the lookup come after the retained state they may repeat
        // (a repeated count or stopwatch list is harmless; a missed one would stay wrong).
        for (const ClientSession::HeldFrame& frame : held) {
            if (session->state() == ClientSession::State::Ready && session->mayRead(topic, frame.access)) {
                queueFrame(session, frame.frame);
                ++m_metrics->delivered;
            }
        }
    }
    processDeferred(session);
}

void Worker::unsubscribe(ClientSession* session, const QString& name)
{
    if (!Topic::parse(name).isValid()) {
        sendError(session, ErrorCode::UnknownTopic, u"unknown topic"_s, name.left(Topic::kMaxLength));
        return;
    }
    if (session->subscriptions().contains(name))
        removeFromIndex(session, name);
    sendMessage(session, protocol::encode(protocol::ServerMessage(protocol::Unsubscribed{name})));
}

void Worker::addToIndex(ClientSession* session, const QString& topic)
{
    session->subscriptions().insert(topic);
    ++m_metrics->subscriptions(Topic::parse(topic).kind());
    QSet<ClientSession*>& members = m_topicIndex[topic];
    members.insert(session);
    if (members.size() == 1)
        m_broker->topicRefChanged(m_index, topic, +1);
}

void Worker::removeFromIndex(ClientSession* session, const QString& topic)
{
    if (!session->subscriptions().remove(topic))
        return;
    --m_metrics->subscriptions(Topic::parse(topic).kind());
    auto it = m_topicIndex.find(topic);
    if (it == m_topicIndex.end())
        return;
    it->remove(session);
    if (it->isEmpty()) {
        m_topicIndex.erase(it);
        m_broker->topicRefChanged(m_index, topic, -1);
    }
}

void Worker::deliver(const QList<Publication>& batch)
{
    QList<ClientSession*> slow;
    qint64 delivered = 0;
    for (const Publication& publication : batch) {
        const auto it = m_topicIndex.constFind(publication.topic);
        if (it == m_topicIndex.cend())
            continue;
        // Framed once by the Broker, the only caller.
        const QByteArray& frame = publication.frame;
        const QByteArray& frameHere = publication.frameHere;
        for (ClientSession* session : *it) {
            const bool isHere = !publication.logoutSession.isEmpty() &&
                                session->identity().sessionId == publication.logoutSession;
            if (session->pendingTopic() == publication.topic) {
                session->held().append({isHere ? frameHere : frame, publication.access});
                continue;
            }
            if (!session->mayRead(publication.topic, publication.access)) {
                ++m_metrics->droppedForbidden;
                continue;
            }
            if (session->state() != ClientSession::State::Ready)
                continue;
            if (isOverSendQueue(session)) {
                if (!slow.contains(session))
                    slow.append(session);
                continue;
            }
            queueFrame(session, isHere ? frameHere : frame);
            ++delivered;
        }
    }
    m_metrics->delivered += delivered;
    for (ClientSession* session : std::as_const(slow)) {
        ++m_metrics->droppedSlowConsumer;
        ++m_metrics->slowConsumerDisconnects;
        qCWarning(lcWs).noquote() << "slow consumer" << session->id() << "has"
                                  << session->outbox().bytes() + session->socket()->bytesToWrite()
                                  << "bytes queued; closing with 4008";
        closeSession(session, protocol::CloseCode::SlowConsumer, u"slow consumer"_s);
    }
}

void Worker::sendError(ClientSession* session, ErrorCode code, const QString& message, const QString& topic)
{
    ++m_metrics->clientErrors;
    sendMessage(session, protocol::encode(protocol::ServerMessage(protocol::Error{code, message, topic})));
}

bool Worker::sendMessage(ClientSession* session, const QByteArray& utf8)
{
    if (session->state() == ClientSession::State::Closing)
        return false;
    if (isOverSendQueue(session)) {
        ++m_metrics->droppedSlowConsumer;
        ++m_metrics->slowConsumerDisconnects;
        closeSession(session, protocol::CloseCode::SlowConsumer, u"slow consumer"_s);
        return false;
    }
    queueFrame(session, Outbox::textFrame(utf8));
    return true;
}

void Worker::queueFrame(ClientSession* session, const QByteArray& frame)
{
    if (!session->inDirtyList) {
        session->inDirtyList = true;
        m_dirty.append(session);
    }
    session->outbox().append(frame);
    if (!m_flushPosted) {
        m_flushPosted = true;
        QMetaObject::invokeMethod(this, &Worker::flushDirtySessions, Qt::QueuedConnection);
    }
}

void Worker::flushSession(ClientSession* session)
{
    if (session->outbox().isEmpty())
        return;
    // After a close frame (ours or the peer's) nothing more may be sent.
    if (session->socket()->state() == QAbstractSocket::ConnectedState && session->transport())
        session->outbox().flushTo(session->transport());
    else
        session->outbox().clear();
}

void Worker::flushDirtySessions()
{
    m_flushPosted = false;
    const QList<ClientSession*> dirty = std::exchange(m_dirty, {});
    for (ClientSession* session : dirty) {
        session->inDirtyList = false;
        flushSession(session);
    }
}

bool Worker::isOverSendQueue(ClientSession* session)
{
    QWebSocket* socket = session->socket();
    if (session->outbox().bytes() + socket->bytesToWrite() <= m_config.maxSendQueueBytes)
        return false;
    // A burst fills the outbox before the event loop writes it out; only what the kernel refuses
    // counts against the client, so hand the kernel what it takes first.
    flushSession(session);
    socket->flush();
    return socket->bytesToWrite() > m_config.maxSendQueueBytes;
}

void Worker::closeSession(ClientSession* session, quint16 code, const QString& reason)
{
    if (session->state() == ClientSession::State::Closing)
        return;
    session->setState(ClientSession::State::Closing);
    // Stop delivering at once; the session itself goes when the socket reports disconnected.
    for (const QString& topic : QSet<QString>(session->subscriptions()))
        removeFromIndex(session, topic);
    session->setPendingTopic({});
    session->held().clear();
    session->deferred().clear();
    // The close handshake may not finish (a peer that stopped reading): the sweep aborts it later.
    session->pingSentAtMs = m_clock.elapsed();
    // What was queued before the close goes out before the close frame.
    flushSession(session);
    session->socket()->close(static_cast<QWebSocketProtocol::CloseCode>(code), reason);
}

void Worker::removeSession(ClientSession* session)
{
    QWebSocket* socket = session->socket();
    for (const QString& topic : QSet<QString>(session->subscriptions()))
        removeFromIndex(session, topic);
    m_sessions.remove(socket);
    if (session->inDirtyList)
        m_dirty.removeOne(session);
    socket->disconnect(this);
    // Deleted from a queued call rather than deleteLater(): this runs inside the socket's own signal,
    // and the TCP socket under it is not owned by the QWebSocket, so it goes right after it.
    QPointer<QTcpSocket> tcp = session->transport();
    QMetaObject::invokeMethod(
        this,
        [this, socket, tcp] {
            delete socket;
            if (tcp && tcp->parent() == this)
                delete tcp.data();
        },
        Qt::QueuedConnection);
    delete session;
    --m_metrics->connections;
    checkDrained();
}

void Worker::closeUser(qint64 userId, quint16 code, const QString& reason)
{
    const QList<ClientSession*> sessions = m_sessions.values();
    for (ClientSession* session : sessions) {
        if (session->identity().userId == userId)
            closeSession(session, code, reason);
    }
}

void Worker::sweep()
{
    const qint64 now = m_clock.elapsed();
    QList<QTcpSocket*> expired;
    for (auto it = m_pending.cbegin(); it != m_pending.cend(); ++it) {
        if (now >= it->deadlineMs)
            expired.append(it.key());
    }
    for (QTcpSocket* socket : std::as_const(expired)) {
        ++m_metrics->handshakeTimeouts;
        qCInfo(lcWs).noquote() << "handshake timeout for" << socket->peerAddress().toString();
        rejectHttp(socket, 408, R"({"error":"request head not received in time"})");
    }

    for (auto it = m_upgrading.begin(); it != m_upgrading.end();) {
        if (now < it->deadlineMs) {
            ++it;
            continue;
        }
        ++m_metrics->handshakeTimeouts;
        if (it->socket) {
            it->socket->abort();
            it->socket->deleteLater();
        }
        it = m_upgrading.erase(it);
    }

    const QList<ClientSession*> sessions = m_sessions.values();
    for (ClientSession* session : sessions) {
        QWebSocket* socket = session->socket();
        switch (session->state()) {
        case ClientSession::State::Authenticating:
            if (now - session->createdAtMs() > m_config.handshakeTimeoutMs) {
                ++m_metrics->handshakeTimeouts;
                closeSession(session, QWebSocketProtocol::CloseCodeGoingAway, u"authentication timed out"_s);
            }
            break;
        case ClientSession::State::Closing:
            // Give the close handshake one pong deadline, then cut the TCP connection.
            if (now - session->pingSentAtMs > m_config.pongDeadlineMs)
                socket->abort();
            break;
        case ClientSession::State::Ready:
            if (session->pingSentAtMs != 0 && now - session->pingSentAtMs > m_config.pongDeadlineMs) {
                ++m_metrics->pongTimeouts;
                qCInfo(lcWs).noquote() << "no pong from" << session->id() << "within"
                                       << m_config.pongDeadlineMs << "ms; dropping";
                socket->abort();
            } else if (session->pingSentAtMs == 0 && now >= session->nextPingAtMs) {
                session->pingSentAtMs = now;
                session->nextPingAtMs = now + m_config.pingIntervalMs;
                // Through the outbox like every other frame; QWebSocket reports the pong all the same.
                queueFrame(session, m_pingFrame);
            } else if (isOverSendQueue(session)) {
                ++m_metrics->slowConsumerDisconnects;
                closeSession(session, protocol::CloseCode::SlowConsumer, u"slow consumer"_s);
            }
            break;
        }
    }
}

void Worker::drain()
{
    m_draining = true;
    const QList<QTcpSocket*> pending = m_pending.keys();
    for (QTcpSocket* socket : pending)
        rejectHttp(socket, 503, R"({"error":"server is shutting down"})");
    const QList<ClientSession*> sessions = m_sessions.values();
    for (ClientSession* session : sessions)
        closeSession(session, protocol::CloseCode::GoingAway, u"server going away"_s);
    checkDrained();
}

void Worker::checkDrained()
{
    if (m_draining && m_sessions.isEmpty())
        Q_EMIT drained();
}

} // namespace forgewire
