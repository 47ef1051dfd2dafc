#include "engine/redis/ShardedSubscriber.h"

#include "config/ServerLogging.h"
#include "engine/redis/RedisConnection.h"

#include <hiredis/hiredis.h>

#include <utility>
#include <vector>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

// How often the watchdog looks for overdue answers; the timeout's resolution.
constexpr int kWatchdogTickMs = 100;

constexpr auto bytes = &RedisConnection::replyBytes;

} // namespace

ShardedSubscriber::ShardedSubscriber(const QString& name, QObject* parent) : QObject(parent), m_name(name)
{
    m_clock.start();
    m_watchdog.setInterval(kWatchdogTickMs);
    connect(&m_watchdog, &QTimer::timeout, this, &ShardedSubscriber::checkTimeouts);
}

ShardedSubscriber::~ShardedSubscriber()
{
    close();
}

void ShardedSubscriber::setCredentials(const QByteArray& user, const QByteArray& password)
{
    m_user = user;
    m_password = password;
}

void ShardedSubscriber::open(const QString& host, quint16 port, int timeoutMs)
{
    close();
    m_timeoutMs = timeoutMs;
    m_state = State::Connecting;
    m_openedAt = m_clock.elapsed();
    m_reader = redisReaderCreate();
    m_socket = new QTcpSocket(this);
    connect(m_socket, &QTcpSocket::readyRead, this, &ShardedSubscriber::onReadyRead);
    connect(m_socket, &QTcpSocket::errorOccurred, this,
            [this] { fail(u"connection lost: %1"_s.arg(m_socket->errorString())); });
    connect(m_socket, &QTcpSocket::connected, this, [this] {
        m_state = State::Handshake;
        if (m_password.isEmpty()) {
            m_state = State::Connected;
            Q_EMIT connected();
            return;
        }
        QByteArrayList auth{"AUTH"};
        if (!m_user.isEmpty())
            auth.append(m_user);
        auth.append(m_password);
        send(Request::Auth, auth);
    });
    m_watchdog.start();
    m_socket->connectToHost(host, port);
}

void ShardedSubscriber::close()
{
    m_watchdog.stop();
    m_state = State::Closed;
    m_pending.clear();
    if (m_socket) {
        QTcpSocket* socket = std::exchange(m_socket, nullptr);
        socket->disconnect(this);
        socket->abort();
        socket->deleteLater();
    }
    if (m_reader) {
        redisReaderFree(m_reader);
        m_reader = nullptr;
    }
}

bool ShardedSubscriber::subscribe(const QByteArray& channel)
{
    return m_state == State::Connected && send(Request::Subscribe, {"SSUBSCRIBE", channel}, channel);
}

bool ShardedSubscriber::unsubscribe(const QByteArray& channel)
{
    return m_state == State::Connected && send(Request::Unsubscribe, {"SUNSUBSCRIBE", channel}, channel);
}

bool ShardedSubscriber::ping()
{
    return m_state == State::Connected && send(Request::Ping, {"PING"});
}

bool ShardedSubscriber::send(Request request, const QByteArrayList& args, const QByteArray& channel)
{
    if (!m_socket || qsizetype(m_pending.size()) >= kMaxPending)
        return false;
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const QByteArray& a : args) {
        argv.push_back(a.constData());
        lengths.push_back(size_t(a.size()));
    }
    char* command = nullptr;
    const int length = redisFormatCommandArgv(&command, int(argv.size()), argv.data(), lengths.data());
    if (length < 0)
        return false;
    m_socket->write(command, length);
    redisFreeCommand(command);
    m_pending.push_back({request, channel, m_clock.elapsed()});
    return true;
}

void ShardedSubscriber::onReadyRead()
{
    const QByteArray data = m_socket->readAll();
    if (redisReaderFeed(m_reader, data.constData(), size_t(data.size())) != REDIS_OK) {
        fail(u"cannot read the reply"_s);
        return;
    }
    // A reply handler may close (or reopen) this connection: stop when the reader changed.
    redisReader* reader = m_reader;
    while (reader == m_reader) {
        void* reply = nullptr;
        if (redisReaderGetReply(reader, &reply) != REDIS_OK) {
            fail(u"malformed reply: %1"_s.arg(QString::fromLatin1(reader->errstr)));
            return;
        }
        if (!reply)
            return;
        handle(static_cast<redisReply*>(reply));
        freeReplyObject(reply);
    }
}

void ShardedSubscriber::handle(const redisReply* reply)
{
    const QByteArray kind =
        reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2 ? bytes(reply->element[0]) : QByteArray();
    if (kind == "smessage" && reply->elements == 3) {
        Q_EMIT message(bytes(reply->element[1]), bytes(reply->element[2]));
        return;
    }
    const QByteArray channel = kind.isEmpty() ? QByteArray() : bytes(reply->element[1]);
    const bool answersFront = !m_pending.empty() && (kind.isEmpty() || m_pending.front().channel == channel);
    if (kind == "sunsubscribe" && (!answersFront || m_pending.front().request != Request::Unsubscribe)) {
        Q_EMIT unsubscribed(channel, true); // the server's: the slot moved
        return;
    }
    if (m_pending.empty()) {
        fail(u"an answer nothing asked for"_s);
        return;
    }
    const Pending pending = m_pending.front();
    m_pending.pop_front();
    const bool error = reply->type == REDIS_REPLY_ERROR;
    switch (pending.request) {
    case Request::Auth:
        if (error) {
            fail(u"AUTH failed: %1"_s.arg(QString::fromUtf8(bytes(reply))));
            return;
        }
        m_state = State::Connected;
        Q_EMIT connected();
        return;
    case Request::Subscribe:
        if (error)
            Q_EMIT refused(pending.channel, QString::fromUtf8(bytes(reply)));
        else if (kind == "ssubscribe")
            Q_EMIT subscribed(pending.channel);
        else
            fail(u"SSUBSCRIBE answered with something else"_s);
        return;
    case Request::Unsubscribe:
        if (!error)
            Q_EMIT unsubscribed(pending.channel, false);
        return;
    case Request::Ping:
        if (error)
            fail(u"PING failed: %1"_s.arg(QString::fromUtf8(bytes(reply))));
        else
            Q_EMIT pong();
        return;
    }
}

void ShardedSubscriber::fail(const QString& reason)
{
    if (m_state == State::Closed)
        return;
    close();
    qCDebug(lcRedis).noquote() << m_name << "connection failed:" << logSafe(reason);
    Q_EMIT disconnected(reason);
}

void ShardedSubscriber::checkTimeouts()
{
    const qint64 now = m_clock.elapsed();
    if (m_state == State::Connecting && now - m_openedAt > m_timeoutMs) {
        fail(u"no connection within %1 ms"_s.arg(m_timeoutMs));
        return;
    }
    if (!m_pending.empty() && now - m_pending.front().sentAt > m_timeoutMs)
        fail(u"no answer within %1 ms"_s.arg(m_timeoutMs));
}

} // namespace forgewire
