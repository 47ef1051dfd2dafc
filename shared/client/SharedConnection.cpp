#include "client/SharedConnection.h"

#include "protocol/ApplicationEvent.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QNetworkRequest>
#include <QWebSocket>

namespace forgewire {

using namespace Qt::StringLiterals;
using Kind = ConnectionSchedule::Step::Kind;

namespace {

Q_LOGGING_CATEGORY(lcConnection, "forgewire.connection", QtInfoMsg)

// How long a socket we are done with may take to finish its closing handshake before it is cut.
constexpr int kGracefulCloseMs = 1000;

QString displayUrl(const QUrl& url)
{
    // access_token= in the query must not end up in logs.
    return url.toString(QUrl::RemoveQuery | QUrl::RemoveUserInfo);
}

} // namespace

SharedConnection* SharedConnection::forUrl(const QUrl& url)
{
    static QHash<QString, QPointer<SharedConnection>> registry;
    const QString key = url.toString(QUrl::FullyEncoded);
    QPointer<SharedConnection>& connection = registry[key];
    if (!connection)
        connection = new SharedConnection(url, Clock::system(), QCoreApplication::instance());
    return connection;
}

SharedConnection::SharedConnection(const QUrl& url, const Clock& clock, QObject* parent)
    : QObject(parent), m_url(url), m_schedule(clock)
{
    m_retryTimer.setSingleShot(true);
    m_retryTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_retryTimer, &QTimer::timeout, this, [this] { carryOut(m_schedule.retryDue()); });
    m_tickTimer.setInterval(m_schedule.tickInterval());
    connect(&m_tickTimer, &QTimer::timeout, this, [this] { carryOut(m_schedule.tick()); });
}

SharedConnection::~SharedConnection()
{
    dropSocket();
}

void SharedConnection::setToken(const QByteArray& token)
{
    if (token == m_token && m_schedule.state() != State::Unauthorized)
        return;
    m_token = token;
    if (!m_consumers.isEmpty())
        reconnectNow();
}

void SharedConnection::reconnectNow()
{
    if (m_consumers.isEmpty())
        return;
    m_schedule.stop();
    carryOut(m_schedule.start());
}

void SharedConnection::setTickInterval(std::chrono::milliseconds interval)
{
    m_schedule.setTickInterval(interval);
    m_tickTimer.setInterval(interval);
}

int SharedConnection::reconnectInMs() const
{
    return m_retryTimer.isActive() ? m_retryTimer.remainingTime() : 0;
}

SharedConnection::Consumer* SharedConnection::findConsumer(QObject* consumer)
{
    for (Consumer& c : m_consumers) {
        if (c.raw == consumer)
            return &c;
    }
    return nullptr;
}

void SharedConnection::addConsumer(QObject* consumer, const QStringList& types, Handler handler)
{
    Q_ASSERT(consumer);
    if (Consumer* existing = findConsumer(consumer)) {
        existing->types = types;
        existing->handler = std::move(handler);
        return;
    }
    m_consumers.append(Consumer{consumer, consumer, types, std::move(handler), {}});
    // QPointer is already null when destroyed() is emitted; the raw pointer identifies the entry.
    connect(consumer, &QObject::destroyed, this, [this, consumer] { removeConsumer(consumer); });
    if (m_consumers.size() == 1) {
        m_tickTimer.start();
        carryOut(m_schedule.start());
    }
}

void SharedConnection::removeConsumer(QObject* consumer)
{
    Consumer* entry = findConsumer(consumer);
    if (!entry)
        return;
    const QStringList topics = entry->topics;
    m_consumers.removeIf([consumer](const Consumer& c) { return c.raw == consumer; });
    disconnect(consumer, &QObject::destroyed, this, nullptr);
    for (const QString& topic : topics)
        releaseTopic(topic);
    if (m_consumers.isEmpty()) {
        m_tickTimer.stop();
        carryOut(m_schedule.stop());
    }
}

void SharedConnection::subscribe(QObject* consumer, const QString& topic)
{
    Consumer* entry = findConsumer(consumer);
    if (!entry) {
        qCWarning(lcConnection) << "subscribe from an unregistered consumer ignored:" << topic;
        return;
    }
    if (entry->topics.contains(topic))
        return;
    entry->topics.append(topic);
    if (++m_topicUsers[topic] == 1 && m_hello)
        send(protocol::Subscribe{topic});
}

void SharedConnection::unsubscribe(QObject* consumer, const QString& topic)
{
    Consumer* entry = findConsumer(consumer);
    if (!entry || !entry->topics.removeOne(topic))
        return;
    releaseTopic(topic);
}

void SharedConnection::releaseTopic(const QString& topic)
{
    auto it = m_topicUsers.find(topic);
    if (it == m_topicUsers.end())
        return;
    if (--it.value() > 0)
        return;
    m_topicUsers.erase(it);
    if (m_hello)
        send(protocol::Unsubscribe{topic});
}

bool SharedConnection::send(const protocol::ClientMessage& message)
{
    if (!m_socket || m_schedule.state() != State::Connected)
        return false;
    m_socket->sendTextMessage(QString::fromUtf8(protocol::encode(message)));
    return true;
}

void SharedConnection::carryOut(ConnectionSchedule::Step step)
{
    switch (step.kind) {
    case Kind::Nothing:
        break;
    case Kind::Ping:
        if (m_socket)
            m_socket->ping();
        break;
    case Kind::Close:
        m_retryTimer.stop();
        dropSocket();
        break;
    case Kind::Open:
        m_retryTimer.stop();
        dropSocket();
        openSocket();
        break;
    case Kind::OpenLater:
        dropSocket();
        m_retryTimer.start(step.delay);
        qCDebug(lcConnection) << "reconnecting to" << displayUrl(m_url) << "in" << step.delay.count() << "ms";
        break;
    }
    setStateFromSchedule();
    if (step.kind == Kind::OpenLater)
        Q_EMIT reconnectScheduled(int(step.delay.count()));
}

void SharedConnection::setStateFromSchedule()
{
    const State state = m_schedule.state();
    if (state == m_reportedState)
        return;
    m_reportedState = state;
    if (state == State::Unauthorized)
        qCWarning(lcConnection) << displayUrl(m_url) << "refused the token (4001); not retrying with it";
    Q_EMIT stateChanged(state);
}

void SharedConnection::openSocket()
{
    auto* socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    m_socket = socket;
    // A close frame's code is only known once it arrived; QWebSocket reports it before disconnecting.
    socket->setProperty("forgewireCloseCode", 0);
    connect(socket, &QWebSocket::aboutToClose, this,
            [socket] { socket->setProperty("forgewireCloseCode", int(socket->closeCode())); });
    connect(socket, &QWebSocket::connected, this, [this, socket] {
        if (socket == m_socket)
            onConnected();
    });
    connect(socket, &QWebSocket::disconnected, this, [this, socket] {
        if (socket == m_socket)
            onDisconnected();
    });
    connect(socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            [this, socket](QAbstractSocket::SocketError error) {
                qCDebug(lcConnection)
                    << displayUrl(m_url) << "socket error" << error << socket->errorString();
                // The disconnect that normally follows carries the close code; an error that is not
                // followed by one (a failed handshake) still has to count as a failure.
                QMetaObject::invokeMethod(
                    this,
                    [this, socket = QPointer<QWebSocket>(socket)] {
                        if (socket && socket == m_socket)
                            onDisconnected();
                    },
                    Qt::QueuedConnection);
            });
    connect(socket, &QWebSocket::textMessageReceived, this, [this, socket](const QString& text) {
        if (socket == m_socket)
            onTextMessage(text);
    });
    connect(socket, &QWebSocket::pong, this, [this, socket] {
        if (socket == m_socket)
            m_schedule.received();
    });

    QNetworkRequest request(m_url);
    if (!m_token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_token);
    qCDebug(lcConnection) << "connecting to" << displayUrl(m_url);
    socket->open(request);
}

void SharedConnection::dropSocket()
{
    m_hello.reset();
    QWebSocket* socket = m_socket;
    if (!socket)
        return;
    m_socket = nullptr;
    disconnect(socket, nullptr, this, nullptr);
    if (socket->state() == QAbstractSocket::ConnectedState) {
        // Say goodbye properly so the server logs a normal close, but do not wait for it forever.
        connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
        QTimer::singleShot(kGracefulCloseMs, socket, &QObject::deleteLater);
        socket->close(QWebSocketProtocol::CloseCodeNormal);
    } else {
        socket->abort();
        socket->deleteLater();
    }
}

void SharedConnection::onConnected()
{
    qCInfo(lcConnection) << "connected to" << displayUrl(m_url);
    carryOut(m_schedule.opened());
}

void SharedConnection::onDisconnected()
{
    const int code = m_socket->property("forgewireCloseCode").toInt();
    const QString reason = code ? m_socket->closeReason() : m_socket->errorString();
    if (m_schedule.state() == State::Connected)
        qCInfo(lcConnection) << displayUrl(m_url) << "closed:" << code << reason;
    carryOut(m_schedule.closed(code));
    Q_EMIT closed(code, reason);
}

void SharedConnection::onTextMessage(const QString& text)
{
    m_schedule.received();
    const auto object = protocol::parseObject(text.toUtf8());
    // PROTOCOL.md v1.1: a forge may publish events of its own type; they are not ours to read, and
    // not malformed either.
    if (object && protocol::ApplicationEvent::isApplicationType(object.value->value("type"_L1).toString())) {
        qCDebug(lcConnection) << "ignoring the application event"
                              << object.value->value("type"_L1).toString();
        return;
    }
    const protocol::Decoded<protocol::ServerMessage> decoded =
        object ? protocol::decodeServerMessage(*object.value) : protocol::Decoded<protocol::ServerMessage>{};
    if (!decoded) {
        qCWarning(lcConnection) << "dropping a malformed message from" << displayUrl(m_url) << "-"
                                << (object ? decoded.error : object.error);
        return;
    }
    const protocol::ServerMessage& message = *decoded.value;
    if (std::holds_alternative<protocol::Ping>(message)) {
        send(protocol::Pong{});
        return;
    }
    if (const auto* hello = std::get_if<protocol::Hello>(&message)) {
        m_hello = *hello;
        m_schedule.helloReceived(std::chrono::seconds(hello->heartbeat));
        sendSubscriptions();
    }
    deliver(message);
}

void SharedConnection::sendSubscriptions()
{
    for (auto it = m_topicUsers.cbegin(); it != m_topicUsers.cend(); ++it)
        send(protocol::Subscribe{it.key()});
}

void SharedConnection::deliver(const protocol::ServerMessage& message)
{
    const QString type = protocol::typeName(message);
    // A handler may add or remove consumers (a logout removes its own): walk a snapshot and check
    // each entry is still registered before calling it.
    const QList<Consumer> snapshot = m_consumers;
    for (const Consumer& c : snapshot) {
        if (!c.object || !findConsumer(c.raw))
            continue;
        if (c.types.isEmpty() || c.types.contains(type))
            c.handler(message);
    }
}

} // namespace forgewire
