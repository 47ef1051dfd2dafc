#include "session/Worker.h"

#include "auth/RevokedSessions.h"
#include "auth/TokenVerifier.h"
#include "broker/BoardModel.h"
#include "broker/SubscriberHub.h"
#include "config/ServerLogging.h"
#include "http/CookieHeader.h"
#include "http/EventStream.h"
#include "http/HttpMessage.h"
#include "http/OriginCheck.h"
#include "protocol/Topic.h"
#include "transport/ConnectionGate.h"
#include "transport/QueueBudget.h"
#include "transport/WsHandshake.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>
#include <QUuid>

namespace forgewire {

using namespace Qt::StringLiterals;
using protocol::ErrorCode;

namespace {

QByteArray errorBody(const QString& error)
{
    return QJsonDocument(QJsonObject{{u"error"_s, error}}).toJson(QJsonDocument::Compact);
}

int sweepIntervalMs(const ServerConfig& config)
{
    // Fine enough to honour the shortest deadline within a quarter of it, never busier than 10 ms.
    const int shortest = std::min({config.handshakeTimeoutMs, config.pingIntervalMs, config.pongDeadlineMs});
    return std::clamp(shortest / 4, 10, 1000);
}

} // namespace

Worker::Worker(int index, const ServerConfig& config, const Authenticator* authenticator,
               TokenVerifier* verifier, Metrics* metrics, std::atomic<int>* admitted, SubscriberHub* hub,
               QueueBudget* budget, ConnectionGate* gate, Transport::Factory transport)
    : m_index(index), m_config(config), m_authenticator(authenticator), m_verifier(verifier),
      m_metrics(metrics), m_admitted(admitted), m_hub(hub), m_budget(budget), m_gate(gate),
      m_transportFactory(std::move(transport)), m_topics(metrics, [this](const QString& topic, int delta) {
          m_hub->topicRefChanged(m_index, topic, delta);
      })
{}

Worker::~Worker()
{
    for (ClientSession* session : std::as_const(m_sessions)) {
        --m_metrics->connections;
        for (const QString& topic : std::as_const(session->subscriptions()))
            --m_metrics->subscriptions(Topic::parse(topic).kind());
        releaseDeferred(session);
    }
    m_sessions.clear();
    // Frees every connection and the session each one owns, uncounting them from the caps.
    m_transport.reset();
}

void Worker::init()
{
    m_clock.start();
    TransportContext context;
    context.config = &m_config;
    context.metrics = m_metrics;
    context.admitted = m_admitted;
    context.gate = m_gate;
    context.events = this;
    context.clock = &m_clock;
    context.owner = this;
    m_transport = m_transportFactory(context);
    m_sweepTimer = new QTimer(this);
    m_sweepTimer->setInterval(sweepIntervalMs(m_config));
    connect(m_sweepTimer, &QTimer::timeout, this, &Worker::sweep);
    m_sweepTimer->start();
}

void Worker::adoptSocket(qintptr descriptor)
{
    m_transport->adopt(descriptor);
}

WsHandshake Worker::answerRequest(const HttpRequestHead& head)
{
    // The browser files, then the Origin check of an upgrade (PROTOCOL.md v1.1), then the upgrade.
    if (std::optional<QByteArray> asset = m_assets.respond(head))
        return WsHandshake::answer(std::move(*asset));
    if (!origin::isAllowed(m_config.allowedOrigins, head))
        return WsHandshake::refusal(403,
                                    R"({"error":"this page's origin may not connect; see allowed_origins"})");
    const bool cookieSignIn = signsInByCookie(head);
    if (cookieSignIn) {
        // The cookie is the credential: a hostile one is refused before it can go anywhere.
        const cookie::Parsed cookies = cookie::parse(head, m_config.sessionCookie.toUtf8());
        if (!cookies.ok())
            return WsHandshake::refusal(400, errorBody(cookies.error));
    }
    if (head.path == m_config.eventStreamPath()) {
        // An allowed cross-origin page needs its Origin echoed (CORS); a same-origin one sends none.
        return EventStream::evaluate(
            head, m_config.allowedOrigins.isEmpty() ? QByteArray() : head.header("origin").trimmed(),
            cookieSignIn);
    }
    WsHandshake upgrade = WsHandshake::evaluate(head, m_config.wsPath());
    // A forge session cookie: the pages of Gitea's WebSocket PR back off from a 401 before the
    // upgrade (they retry a post-upgrade 4001 at 50 ms for ever); the newest ones stop at a close.
    upgrade.checkFirst =
        upgrade.isAccepted() && cookieSignIn &&
        WireFormat::forSignIn(WireFormat::Wire::WebSocket, true, m_config.pageFormat).refusesBeforeUpgrade();
    return upgrade;
}

void Worker::checkBeforeUpgrade(const HttpRequestHead& head, const QString& peerAddress, CheckDone done)
{
    const cookie::Parsed cookies = cookie::parse(head, m_config.sessionCookie.toUtf8());
    auto refuse = [](int status, const QString& why) {
        return WsHandshake::refusal(status, errorBody(why));
    };
    if (cookies.sessionId.isEmpty()) {
        done(refuse(401, u"not signed in to the forge"_s));
        return;
    }
    // The session checks the cookie again once upgraded: an answer the bridge just cached.
    m_verifier->verifyCookie(
        this, cookies.header, cookies.sessionId, peerAddress, [done, refuse](const AuthResult& result) {
            if (result.ok)
                done(std::nullopt);
            else if (result.transient)
                done(refuse(503, result.reason.isEmpty() ? u"try later"_s : result.reason));
            else
                done(refuse(401, result.reason.isEmpty() ? u"unauthorized"_s : result.reason));
        });
}

void Worker::upgraded(ClientConnection* connection, const HttpRequestHead& head)
{
    startSession(connection, head);
}

void Worker::messageReceived(ClientConnection* connection, const QByteArray& payload, bool binary)
{
    onClientMessage(connection->session(), payload, binary);
}

void Worker::pongReceived(ClientConnection* connection)
{
    ClientSession* session = connection->session();
    if (session->state() == ClientSession::State::Ready)
        session->pingSentAtMs = 0;
}

void Worker::closeReceived(ClientConnection* connection, quint16 code, const QString& reason)
{
    ClientSession* session = connection->session();
    qCDebug(lcWs).noquote() << "closing" << session->id() << "with" << code << "-" << logSafe(reason);
    closeSession(session, code, reason);
}

void Worker::bytesQueued(ClientConnection* connection)
{
    checkBacklog(connection->session());
}

void Worker::connectionClosed(ClientConnection* connection)
{
    removeSession(connection->session());
    checkDrained();
}

void Worker::startSession(ClientConnection* connection, const HttpRequestHead& head)
{
    const quint64 serial = ++m_nextSerial;
    auto owned = std::make_unique<ClientSession>(
        connection, serial, QUuid::createUuid().toString(QUuid::WithoutBraces), m_clock.elapsed());
    ClientSession* session = owned.get();
    connection->setSession(std::move(owned));
    m_sessions.insert(serial, session);
    ++m_metrics->connections;
    ++m_metrics->connectionsTotal;
    session->nextPingAtMs = m_clock.elapsed() + m_config.pingIntervalMs;

    const QByteArray authorization = head.header("authorization").trimmed();
    const QByteArray token = Authenticator::extractToken(authorization, head.query);
    if (signsInByCookie(head)) {
        // Checked in answerRequest(); the forge session cookie is what the forge's logout names. A
        // refusal is already in the format of the forge's pages.
        session->setFormat(WireFormat::forSignIn(connection->wire(), true, m_config.pageFormat));
        const cookie::Parsed cookies = cookie::parse(head, m_config.sessionCookie.toUtf8());
        if (cookies.sessionId.isEmpty()) {
            AuthResult none;
            none.error = u"no forge session cookie (%1)"_s.arg(m_config.sessionCookie);
            none.reason = u"not signed in to the forge"_s;
            finishAuthentication(session, none);
            return;
        }
        m_verifier->verifyCookie(this, cookies.header, cookies.sessionId, connection->peerAddress(),
                                 [this, serial](const AuthResult& forge) {
                                     if (ClientSession* s = sessionFor(serial))
                                         finishAuthentication(s, forge);
                                 });
        return;
    }
    AuthResult result;
    if (token.isEmpty() && !authorization.isEmpty()) {
        // The client meant to sign in: silently serving it as anonymous would hide its mistake.
        result.error = u"Authorization header carries no 'Bearer <token>' or 'token <token>'"_s;
    } else {
        // Checks the token's syntax first (a malformed one never reaches the forge or a log).
        result = m_authenticator->authenticate(token);
    }
    if (!result.ok && protocol::isWellFormedToken(token) && m_verifier &&
        m_authenticator->hasForgeVerifier() && !Jwt::looksLikeJwt(token)) {
        m_verifier->verify(this, token, connection->peerAddress(), [this, serial](const AuthResult& forge) {
            if (ClientSession* s = sessionFor(serial))
                finishAuthentication(s, forge);
        });
        return;
    }
    finishAuthentication(session, result);
}

bool Worker::signsInByCookie(const HttpRequestHead& head) const
{
    // A request that names a token (even an unusable one) signs in by it, never by its cookie.
    if (!m_config.cookieAuth || !m_verifier || !head.header("authorization").isEmpty() ||
        !Authenticator::extractToken({}, head.query).isEmpty())
        return false;
    if (head.header("cookie").isEmpty()) {
        // The newest forge pages cannot read an anonymous connection's messages: a page of theirs
        // without a session is an unknown session (closed with 3000, where their worker stops).
        return m_config.pageFormat == PageFormat::EventType && head.path == m_config.wsPath() &&
               !head.header("origin").isEmpty();
    }
    // An event stream is read same-origin (an allowed Origin, if sent, passed answerRequest()). On
    // /-/ws a browser sends the forge's cookie with any site's upgrade: it counts only with an Origin,
    // which answerRequest() found in allowed_origins (cross-site WebSocket hijacking).
    if (head.path == m_config.eventStreamPath())
        return true;
    return head.path == m_config.wsPath() && !head.header("origin").isEmpty();
}

void Worker::finishAuthentication(ClientSession* session, const AuthResult& result)
{
    if (session->state() != ClientSession::State::Authenticating)
        return;
    if (!result.ok && result.transient) {
        qCInfo(lcWs).noquote() << "turning away" << session->connection()->peerAddress() << "for now -"
                               << logSafe(result.error);
        closeSession(session, result.transientCode,
                     result.reason.isEmpty() ? u"cannot verify the token now; try again later"_s
                                             : result.reason);
        return;
    }
    if (!result.ok) {
        ++m_metrics->authFailures;
        qCInfo(lcWs).noquote() << "refusing" << session->connection()->peerAddress() << "-"
                               << logSafe(result.error);
        closeSession(session, protocol::CloseCode::Unauthorized,
                     result.reason.isEmpty() ? u"unauthorized"_s : result.reason);
        return;
    }
    const QString& sid = result.identity.sessionId;
    if (!sid.isEmpty() && !m_hub->revokedSessions().isLoaded()) {
        // Redis unreachable since start-up: whether this session was logged out is unknown.
        closeSession(session, protocol::CloseCode::GoingAway,
                     u"cannot verify the session now; try again later"_s);
        return;
    }
    if (m_hub->revokedSessions().contains(sid)) {
        ++m_metrics->authFailures;
        qCInfo(lcWs).noquote() << "refusing" << session->connection()->peerAddress() << "- revoked session";
        closeSession(session, protocol::CloseCode::Unauthorized, u"revoked session"_s);
        return;
    }
    session->setIdentity(result.identity);
    const Identity& who = session->identity();
    session->setFormat(WireFormat::forSignIn(session->connection()->wire(), !who.forgeSessionTopic.isEmpty(),
                                             m_config.pageFormat));
    session->setState(ClientSession::State::Ready);
    session->connection()->signedIn();
    holdForgeToken(session);
    protocol::Hello hello;
    if (!who.isAnonymous())
        hello.user = protocol::UserInfo{who.userId, who.login};
    hello.session = session->id();
    hello.forgeSession = !who.forgeSessionTopic.isEmpty();
    hello.heartbeat = std::max(1, m_config.pingIntervalMs / 1000);
    if (!sendMessage(session, protocol::encode(hello)))
        return;
    qCDebug(lcWs).noquote() << "session" << session->id() << "user" << who.userId << logSafe(who.login);
    if (session->format().readsEveryBoard()) {
        // Nothing retained to fetch: board events are read live, each checked as it is delivered.
        m_topics.add(session, Topic::everyBoard());
    }
    if (!who.isAnonymous())
        subscribe(session, Topic::user(who.userId), true);
    else if (!who.forgeSessionTopic.isEmpty())
        subscribe(session, who.forgeSessionTopic, true);
    processDeferred(session);
}

void Worker::onClientMessage(ClientSession* session, const QByteArray& payload, bool binary)
{
    if (session->state() == ClientSession::State::Closing)
        return;
    // The rate limit counts arrivals, so a client cannot pile up work behind a slow lookup.
    const bool rateLimited = !session->takeMessageToken(m_clock.elapsed());
    if (session->isBusy()) {
        // Replies go out in request order: wait for the token check or the topic lookup in flight
        // (the retained state it brings must precede any later reply).
        // Past kMaxDeferredMessages / kMaxDeferredBytes a message is refused like a rate-limited one
        // (`rate_limited`, payload not kept) rather than closing the connection: PROTOCOL.md has no
        // close code for it, the client learns exactly which requests were dropped, and a client
        // that sends a burst while its token is checked keeps its connection. Refusals in a row
        // share one entry, so the list holds at most 2 x kMaxDeferredMessages + 1 entries.
        QList<ClientSession::DeferredMessage>& deferred = session->deferred();
        const bool overflow =
            !rateLimited && (deferred.size() >= limits::kMaxDeferredMessages ||
                             session->deferredBytes + payload.size() > limits::kMaxDeferredBytes);
        if (overflow)
            ++m_metrics->deferredOverflow;
        if (rateLimited || overflow) {
            if (!deferred.isEmpty() && deferred.last().rateLimited)
                ++deferred.last().count;
            else
                deferred.append({QByteArray(), binary, true});
            return;
        }
        deferred.append({payload, binary, false});
        session->deferredBytes += payload.size();
        m_metrics->queuedBytes += payload.size();
        if (m_budget->isOver())
            evictForBudget();
        return;
    }
    handleClientMessage(session, {payload, binary, rateLimited});
}

void Worker::processDeferred(ClientSession* session)
{
    while (session->state() == ClientSession::State::Ready && !session->isBusy() &&
           !session->deferred().isEmpty()) {
        const ClientSession::DeferredMessage message = session->deferred().takeFirst();
        session->deferredBytes -= message.payload.size();
        m_metrics->queuedBytes -= message.payload.size();
        handleClientMessage(session, message);
    }
}

void Worker::handleClientMessage(ClientSession* session, const ClientSession::DeferredMessage& message)
{
    if (message.rateLimited) {
        const QString dropped =
            message.count == 1 ? u"message dropped"_s : u"%1 messages dropped"_s.arg(message.count);
        sendError(session, ErrorCode::RateLimited,
                  u"more than %1 messages per second, or more than %2 waiting for a reply; %3"_s
                      .arg(limits::kClientMessagesPerSecond)
                      .arg(limits::kMaxDeferredMessages)
                      .arg(dropped));
        return;
    }
    if (message.binary) {
        sendError(session, ErrorCode::BadRequest,
                  u"binary frames are not supported; send JSON text frames"_s);
        return;
    }
    const auto decoded = protocol::decodeClientMessage(message.payload);
    if (!decoded) {
        sendError(session, ErrorCode::BadRequest, decoded.error);
        return;
    }
    const protocol::ClientMessage& request = *decoded.value;
    if (const auto* s = std::get_if<protocol::Subscribe>(&request))
        subscribe(session, s->topic, false);
    else if (const auto* u = std::get_if<protocol::Unsubscribe>(&request))
        unsubscribe(session, u->topic);
    else if (std::holds_alternative<protocol::Ping>(request))
        sendMessage(session, protocol::encode(protocol::ServerMessage(protocol::Pong{})));
    else if (const auto* r = std::get_if<protocol::Resync>(&request))
        resync(session, r->topic);
    else if (std::holds_alternative<protocol::ListBoards>(request))
        listBoards(session);
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
            m_hub->requestRefresh(topic.id());
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
        if (who.isAnonymous() && who.forgeSessionTopic.isEmpty()) {
            sendError(session, ErrorCode::Forbidden, u"sign in to read project boards"_s, name);
            return;
        }
        checkAccess = !session->tokenGrants(name);
        break;
    case Topic::Kind::ForgeSession:
        if (name != who.forgeSessionTopic) {
            sendError(session, ErrorCode::Forbidden, u"a forge session's topic is private to it"_s, name);
            return;
        }
        break;
    case Topic::Kind::Public:
    case Topic::Kind::Invalid:
        break;
    }
    session->setPendingTopic(name);
    // Registered before the retained state is read, so no publication can fall between that read and
    // the registration; what arrives meanwhile is held until the lookup answers (see deliver()).
    m_topics.add(session, name);
    const quint64 serial = session->serial();
    if (topic.kind() == Topic::Kind::ForgeSession)
        m_hub->requestSessionState(name); // registered above, so it reaches this connection too
    m_hub->resolveTopic(this, who.userId, checkAccess, name,
                        [this, serial, name, automatic](bool allowed, const QList<QByteArray>& retained) {
                            if (ClientSession* s = sessionFor(serial))
                                completeSubscribe(s, name, automatic, allowed, retained);
                        });
}

void Worker::completeSubscribe(ClientSession* session, const QString& topic, bool automatic, bool allowed,
                               const QList<QByteArray>& retained)
{
    if (session->pendingTopic() != topic || session->state() != ClientSession::State::Ready)
        return;
    session->setPendingTopic({});
    const QList<ClientSession::HeldFrame> held = session->takeHeld();
    if (!allowed) {
        m_topics.remove(session, topic);
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
                queueText(session, frame.payload, frame.frame);
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
    m_topics.remove(session, name);
    sendMessage(session, protocol::encode(protocol::ServerMessage(protocol::Unsubscribed{name})));
}

void Worker::listBoards(ClientSession* session)
{
    const quint64 serial = session->serial();
    // The same rule as subscribe and delivery: the project's ACL or the token's topics.
    m_hub->listBoards(this, [this, serial](const QList<SubscriberHub::BoardEntry>& boards) {
        ClientSession* s = sessionFor(serial);
        if (!s || s->state() != ClientSession::State::Ready)
            return;
        QJsonArray readable;
        for (const SubscriberHub::BoardEntry& board : boards) {
            if (s->mayRead(board.topic, board.access.value_or(ProjectAccess{})))
                readable.append(board.summary);
        }
        sendMessage(s, QJsonDocument(QJsonObject{{u"type"_s, QString(protocol::MessageType::Boards)},
                                                 {u"boards"_s, readable}})
                           .toJson(QJsonDocument::Compact));
    });
}

void Worker::resync(ClientSession* session, const QString& topic)
{
    const quint64 serial = session->serial();
    if (Topic::parse(topic).kind() != Topic::Kind::ProjectBoard) {
        sendError(session, ErrorCode::UnknownTopic, u"resync needs a project-board.{id} topic"_s,
                  topic.left(Topic::kMaxLength));
        return;
    }
    if (!session->subscriptions().contains(topic)) {
        sendError(session, ErrorCode::BadRequest, u"subscribe to the board before asking to resync it"_s,
                  topic);
        return;
    }
    m_hub->boardSnapshot(this, topic, [this, serial, topic](const QList<SubscriberHub::BoardEntry>& boards) {
        ClientSession* s = sessionFor(serial);
        if (!s || s->state() != ClientSession::State::Ready || !s->subscriptions().contains(topic))
            return;
        if (boards.isEmpty())
            sendError(s, ErrorCode::UnknownTopic,
                      u"this board has no live model (no snapshot was published)"_s, topic);
        else if (!s->mayRead(topic, boards.first().access.value_or(ProjectAccess{})))
            sendError(s, ErrorCode::Forbidden, u"no access to this project board"_s, topic);
        else
            sendMessage(s, boards.first().snapshot);
    });
}

void Worker::deliver(const QList<Publication>& batch)
{
    // A session queueText() closes as slow stays in the member set being iterated until the end.
    m_topics.beginDelivery();
    QList<ClientSession*> revoked;
    // project.deleted: its readers are unsubscribed once it is queued to them (PROTOCOL.md v1.1).
    QList<std::pair<ClientSession*, QString>> ended;
    qint64 delivered = 0;
    for (const Publication& publication : batch) {
        // Framed once by the Broker, the only caller.
        const QByteArray& frame = publication.frame;
        // Readers of every board (event streams, which cannot subscribe): a board publication carries
        // its ACL, which mayRead() checks for them as for any subscriber.
        if (publication.access && Topic::parse(publication.topic).kind() == Topic::Kind::ProjectBoard) {
            if (const TopicMembers* readers = m_topics.members(Topic::everyBoard())) {
                for (ClientSession* session : *readers) {
                    if (session->state() != ClientSession::State::Ready)
                        continue;
                    if (!session->mayRead(publication.topic, publication.access)) {
                        ++m_metrics->droppedForbidden;
                        continue;
                    }
                    if (queueText(session, publication.payload, frame))
                        ++delivered;
                }
            }
        }
        const TopicMembers* members = m_topics.members(publication.topic);
        if (!members)
            continue;
        for (ClientSession* session : *members) {
            const bool isHere = !publication.logoutSession.isEmpty() &&
                                session->identity().sessionId == publication.logoutSession;
            if (isHere || revoked.contains(session)) {
                // Its logout comes with its close, after this loop (closing edits this topic's set).
                if (!revoked.contains(session))
                    revoked.append(session);
                continue;
            }
            if (session->pendingTopic() == publication.topic) {
                if (!session->hold({publication.payload, frame, publication.access},
                                   m_config.maxSendQueueBytes))
                    closeSlow(session, "publications held during a topic lookup over the send-queue cap");
                continue;
            }
            if (!session->mayRead(publication.topic, publication.access)) {
                ++m_metrics->droppedForbidden;
                continue;
            }
            if (session->state() != ClientSession::State::Ready)
                continue;
            if (queueText(session, publication.payload, frame))
                ++delivered;
            if (publication.endsTopic)
                ended.append({session, publication.topic});
        }
    }
    m_metrics->delivered += delivered;
    m_topics.endDelivery();
    for (const auto& [session, topic] : std::as_const(ended)) {
        m_topics.remove(session, topic);
        sendMessage(session, protocol::encode(protocol::ServerMessage(protocol::Unsubscribed{topic})));
    }
    for (ClientSession* session : std::as_const(revoked))
        endRevokedSession(session);
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
    return queueText(session, utf8);
}

bool Worker::queueText(ClientSession* session, const QByteArray& utf8, const QByteArray& frame)
{
    ClientConnection* connection = session->connection();
    if (!connection->isOpen())
        return false;
    const WireFormat::Payload payload = session->format().encode(utf8, frame, session->identity());
    if (payload.bytes.isEmpty())
        return true; // this client's format has no such message
    connection->queueText(payload.bytes, payload.frame);
    return checkBacklog(session);
}

bool Worker::checkBacklog(ClientSession* session)
{
    ClientConnection* connection = session->connection();
    const bool wasClosing = session->state() == ClientSession::State::Closing;
    if (connection->backlogBytes() > m_config.maxSendQueueBytes) {
        // A burst fills the queue before the event loop writes it out; only what the kernel
        // refuses counts against the client, so hand the kernel what it takes first.
        connection->flushNow();
        if (connection->backlogBytes() > m_config.maxSendQueueBytes &&
            session->state() != ClientSession::State::Closing) {
            closeSlow(session, "send queue over the limit");
            return false;
        }
    }
    m_budget->noteBacklog(m_index, connection->backlogBytes());
    if (m_budget->isOver())
        evictForBudget();
    // Evicted for the budget just now: what was queued is gone with the rest of its backlog.
    return connection->isOpen() && !(!wasClosing && session->state() == ClientSession::State::Closing);
}

qint64 Worker::backlogOf(ClientSession* session)
{
    return session->connection()->backlogBytes() + session->deferredBytes;
}

void Worker::releaseDeferred(ClientSession* session)
{
    m_metrics->queuedBytes -= session->deferredBytes;
    session->deferredBytes = 0;
    session->deferred().clear();
}

void Worker::closeSlow(ClientSession* session, const char* why)
{
    ++m_metrics->droppedSlowConsumer;
    ++m_metrics->slowConsumerDisconnects;
    qCWarning(lcWs).noquote() << "slow consumer" << session->id() << "has" << backlogOf(session)
                              << "bytes queued," << why << "- closing with 4008";
    // What it has not read is dropped, not sent (see ClientConnection::CloseMode).
    closeSession(session, protocol::CloseCode::SlowConsumer, u"slow consumer"_s,
                 ClientConnection::CloseMode::DiscardUnsent);
}

void Worker::evictForBudget()
{
    m_budget->evictionStarted(m_index);
    // Closing a session for the budget must not start another eviction pass from inside this one.
    if (m_evicting || !m_budget->isOver())
        return;
    m_evicting = true;
    // A broadcast fills every outbox for a moment before the pass that writes them out; only what
    // a client leaves unread makes it a slow consumer, so the kernel takes what it can first.
    m_transport->flushAll();
    QList<std::pair<qint64, ClientSession*>> candidates;
    if (m_budget->isOver()) {
        for (ClientSession* session : std::as_const(m_sessions)) {
            const qint64 backlog = backlogOf(session);
            if (backlog > 0 && session->state() != ClientSession::State::Closing)
                candidates.append({backlog, session});
        }
        std::sort(candidates.begin(), candidates.end(),
                  [](const auto& a, const auto& b) { return a.first > b.first; });
    }
    qsizetype next = 0;
    while (m_budget->isOver() && next < candidates.size()) {
        const qint64 mine = candidates[next].first;
        m_budget->setBacklog(m_index, mine);
        qint64 theirs = 0;
        const int holder = m_budget->largestHolder(&theirs);
        if (holder != m_index && theirs > mine) {
            // The largest backlog is on another thread: that worker evicts it on its own thread.
            m_budget->requestEviction(holder);
            break;
        }
        ClientSession* session = candidates[next++].second;
        if (session->state() == ClientSession::State::Closing)
            continue;
        ++m_metrics->budgetEvictions;
        closeSlow(session, "node over max_queued_bytes");
    }
    m_budget->setBacklog(m_index, next < candidates.size() ? candidates[next].first : 0);
    if (m_budget->isOver() && next >= candidates.size()) {
        // Nothing left here: the rest of the backlog is held by other workers.
        qint64 theirs = 0;
        const int holder = m_budget->largestHolder(&theirs);
        if (holder >= 0 && holder != m_index)
            m_budget->requestEviction(holder);
    }
    m_evicting = false;
}

void Worker::closeSession(ClientSession* session, quint16 code, const QString& reason,
                          ClientConnection::CloseMode mode)
{
    if (session->state() == ClientSession::State::Closing)
        return;
    session->setState(ClientSession::State::Closing);
    releaseForgeToken(session);
    // Stop delivering at once; the session itself goes when the connection does.
    m_topics.removeAllAfterDelivery(session);
    session->setPendingTopic({});
    session->takeHeld();
    releaseDeferred(session);
    // The close handshake may not finish (a peer that stopped reading): the sweep cuts it later.
    session->pingSentAtMs = m_clock.elapsed();
    session->connection()->close(session->format().closeCode(code), reason, mode);
}

void Worker::removeSession(ClientSession* session)
{
    releaseDeferred(session);
    releaseForgeToken(session);
    m_topics.removeAll(session);
    m_sessions.remove(session->serial());
    --m_metrics->connections;
}

void Worker::revokeSessions(const QSet<QString>& sessionIds)
{
    const QList<ClientSession*> sessions = m_sessions.values();
    for (ClientSession* session : sessions) {
        if (sessionIds.contains(session->identity().sessionId))
            endRevokedSession(session);
    }
}

void Worker::endRevokedSession(ClientSession* session)
{
    // Also reached for a session whose user topic delivered the logout: whichever comes first ends it.
    if (session->state() != ClientSession::State::Ready)
        return;
    if (!sendMessage(session, protocol::encode(protocol::ServerMessage(protocol::Logout{u"here"_s}))))
        return;
    closeSession(session, protocol::CloseCode::Unauthorized, u"session revoked"_s);
}

void Worker::closeToken(const QByteArray& tokenKey, quint16 code, const QString& reason)
{
    if (!m_forgeTokenRefs.contains(tokenKey))
        return;
    const QList<ClientSession*> sessions = m_sessions.values();
    for (ClientSession* session : sessions) {
        if (session->identity().forgeTokenKey != tokenKey)
            continue;
        // A forge session the forge signed out: its pages hear `logout` `here`, as from a logout.
        if (!session->identity().forgeSessionTopic.isEmpty() &&
            session->state() == ClientSession::State::Ready)
            sendMessage(session, protocol::encode(protocol::ServerMessage(protocol::Logout{u"here"_s})));
        closeSession(session, code, reason);
    }
}

void Worker::holdForgeToken(ClientSession* session)
{
    const QByteArray& key = session->identity().forgeTokenKey;
    if (!key.isEmpty() && ++m_forgeTokenRefs[key] == 1)
        m_hub->tokenRefChanged(m_index, key, +1);
}

void Worker::releaseForgeToken(ClientSession* session)
{
    const QByteArray key = session->identity().forgeTokenKey;
    if (key.isEmpty())
        return;
    Identity identity = session->identity();
    identity.forgeTokenKey.clear();
    session->setIdentity(std::move(identity));
    auto it = m_forgeTokenRefs.find(key);
    if (it != m_forgeTokenRefs.end() && --*it == 0) {
        m_forgeTokenRefs.erase(it);
        m_hub->tokenRefChanged(m_index, key, -1);
    }
}

void Worker::sweep()
{
    const qint64 now = m_clock.elapsed();
    m_transport->sweep(now);

    const QList<ClientSession*> sessions = m_sessions.values();
    // This worker's largest backlog, measured once per sweep: what the budget's eviction compares
    // (queueText() only ever raises it).
    qint64 largest = 0;
    for (ClientSession* session : sessions) {
        ClientConnection* connection = session->connection();
        if (session->state() != ClientSession::State::Closing)
            largest = std::max(largest, backlogOf(session));
        switch (session->state()) {
        case ClientSession::State::Authenticating:
            if (now - session->createdAtMs() > m_config.handshakeTimeoutMs) {
                ++m_metrics->handshakeTimeouts;
                closeSession(session, protocol::CloseCode::GoingAway, u"authentication timed out"_s);
            }
            break;
        case ClientSession::State::Closing:
            // Give the close handshake one pong deadline, then cut the TCP connection.
            if (now - session->pingSentAtMs > m_config.pongDeadlineMs)
                connection->abort();
            break;
        case ClientSession::State::Ready:
            if (session->pingSentAtMs != 0 && now - session->pingSentAtMs > m_config.pongDeadlineMs) {
                ++m_metrics->pongTimeouts;
                qCInfo(lcWs).noquote() << "no pong from" << session->id() << "within"
                                       << m_config.pongDeadlineMs << "ms; dropping";
                connection->abort();
            } else if (session->pingSentAtMs == 0 && now >= session->nextPingAtMs) {
                session->pingSentAtMs = now;
                session->nextPingAtMs = now + m_config.pingIntervalMs;
                connection->sendPing();
            }
            break;
        }
    }
    m_budget->setBacklog(m_index, largest);
}

void Worker::drain()
{
    m_draining = true;
    m_transport->drain();
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
