#include "engine/redis/RedisConnection.h"

#include "config/ServerLogging.h"

#include <QHostInfo>
#include <QSocketNotifier>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <memory>
#include <vector>

namespace forgewire {

using namespace Qt::StringLiterals;

QByteArray RedisConnection::replyBytes(const redisReply* reply)
{
    return reply && reply->str ? QByteArray(reply->str, qsizetype(reply->len)) : QByteArray();
}

QString RedisConnection::replyText(const redisReply* reply)
{
    if (!reply)
        return u"connection to Redis lost"_s;
    return QString::fromUtf8(reply->str, qsizetype(reply->len));
}

namespace {

// How often the watchdog looks for overdue commands; the timeout's resolution.
constexpr int kWatchdogTickMs = 100;

struct PendingReply
{
    RedisConnection* connection;
    RedisConnection::ReplyHandler handler;
};

RedisConnection* owner(const redisAsyncContext* context)
{
    return static_cast<RedisConnection*>(context->data);
}

} // namespace

RedisConnection::RedisConnection(const QString& name, QObject* parent) : QObject(parent), m_name(name)
{
    m_clock.start();
    m_watchdog.setInterval(kWatchdogTickMs);
    connect(&m_watchdog, &QTimer::timeout, this, &RedisConnection::checkTimeouts);
}

RedisConnection::~RedisConnection()
{
    // Whoever queued commands may be gone too (the server shuts down): their handlers must not run.
    m_destroying = true;
    close();
}

void RedisConnection::setCredentials(const QByteArray& user, const QByteArray& password)
{
    m_user = user;
    m_password = password;
}

void RedisConnection::open(const QString& host, quint16 port, int db, int timeoutMs)
{
    close();
    ++m_attempt;
    m_port = port;
    m_db = db;
    m_timeoutMs = timeoutMs;
    m_state = State::Resolving;
    m_stateSince = m_clock.elapsed();
    m_watchdog.start();
    QHostAddress address;
    if (address.setAddress(host)) {
        connectTo(address);
        return;
    }
    // hiredis would resolve with a blocking getaddrinfo(); QHostInfo does it off the event loop.
    m_lookupId = QHostInfo::lookupHost(host, this, &RedisConnection::onHostResolved);
}

void RedisConnection::onHostResolved(const QHostInfo& info)
{
    if (m_state != State::Resolving || info.lookupId() != m_lookupId)
        return;
    m_lookupId = -1;
    if (info.error() != QHostInfo::NoError || info.addresses().isEmpty()) {
        fail(u"cannot resolve %1: %2"_s.arg(info.hostName(), info.errorString()));
        return;
    }
    connectTo(info.addresses().constFirst());
}

void RedisConnection::connectTo(const QHostAddress& address)
{
    m_state = State::Connecting;
    m_stateSince = m_clock.elapsed();
    redisAsyncContext* context = redisAsyncConnect(address.toString().toLatin1().constData(), m_port);
    if (!context || context->err) {
        const QString reason = context ? QString::fromLocal8Bit(context->errstr) : u"out of memory"_s;
        if (context)
            redisAsyncFree(context);
        // A connect can fail inside open() (a network that is unreachable, a refusal some kernels give
        // at once on loopback); reported from the event loop, as every other failure is, so an owner
        // never sees disconnected() before open() has returned. A later open() makes it stale.
        QTimer::singleShot(0, this, [this, attempt = m_attempt, reason] {
            if (attempt == m_attempt)
                fail(reason);
        });
        return;
    }
    m_context = context;
    context->data = this;
    context->ev.data = this;
    context->ev.addRead = &RedisConnection::addRead;
    context->ev.delRead = &RedisConnection::delRead;
    context->ev.addWrite = &RedisConnection::addWrite;
    context->ev.delWrite = &RedisConnection::delWrite;
    context->ev.cleanup = &RedisConnection::cleanup;
    // Without keepalive a peer that vanished (host down, partition) is only noticed on the next write.
    redisEnableKeepAlive(&context->c);
    redisAsyncSetDisconnectCallback(context, &RedisConnection::onDisconnect);
    // Must come after the hooks: it arms the write notifier that completes the non-blocking connect.
    redisAsyncSetConnectCallback(context, &RedisConnection::onConnect);
}

void RedisConnection::discard()
{
    disconnect();
    close();
    deleteLater();
}

void RedisConnection::close()
{
    if (m_lookupId != -1) {
        QHostInfo::abortHostLookup(m_lookupId);
        m_lookupId = -1;
    }
    m_state = State::Closed;
    m_watchdog.stop();
    // Inside a hiredis callback the free is deferred by hiredis until the callback returns; either
    // way pending handlers run with nullptr and onDisconnect sees State::Closed and stays quiet.
    if (redisAsyncContext* context = m_context) {
        m_context = nullptr;
        redisAsyncFree(context);
    }
    m_sentAt.clear();
}

void RedisConnection::fail(const QString& reason)
{
    if (m_state == State::Closed)
        return;
    close();
    Q_EMIT disconnected(reason);
}

void RedisConnection::checkTimeouts()
{
    const qint64 now = m_clock.elapsed();
    switch (m_state) {
    case State::Closed:
        return;
    case State::Resolving:
    case State::Connecting:
    case State::Handshake:
        if (now - m_stateSince > m_timeoutMs)
            fail(u"connect timed out after %1 ms"_s.arg(m_timeoutMs));
        return;
    case State::Connected:
        if (!m_sentAt.empty() && now - m_sentAt.front() > m_timeoutMs)
            fail(u"no reply for %1 ms (%2 commands waiting)"_s.arg(m_timeoutMs).arg(m_sentAt.size()));
        return;
    }
}

bool RedisConnection::send(const QByteArrayList& args, void (*callback)(redisAsyncContext*, void*, void*),
                           void* privdata)
{
    if (!m_context)
        return false;
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const QByteArray& arg : args) {
        argv.push_back(arg.constData());
        lengths.push_back(size_t(arg.size()));
    }
    return redisAsyncCommandArgv(m_context, callback, privdata, int(argv.size()), argv.data(),
                                 lengths.data()) == REDIS_OK;
}

bool RedisConnection::command(const QByteArrayList& args, ReplyHandler handler)
{
    if (m_state != State::Connected &&
        !(m_state == State::Handshake && (args.value(0) == "AUTH" || args.value(0) == "SELECT")))
        return false;
    auto* pending = new PendingReply{this, std::move(handler)};
    if (!send(args, &RedisConnection::onReply, pending)) {
        delete pending;
        return false;
    }
    m_sentAt.push_back(m_clock.elapsed());
    return true;
}

bool RedisConnection::subscribe(const QByteArray& channel)
{
    return m_state == State::Connected &&
           send({"SUBSCRIBE", channel}, &RedisConnection::onSubscription, this);
}

bool RedisConnection::unsubscribe(const QByteArray& channel)
{
    return m_state == State::Connected && send({"UNSUBSCRIBE", channel}, nullptr, nullptr);
}

bool RedisConnection::psubscribe(const QByteArray& pattern)
{
    return m_state == State::Connected &&
           send({"PSUBSCRIBE", pattern}, &RedisConnection::onSubscription, this);
}

bool RedisConnection::punsubscribe(const QByteArray& pattern)
{
    return m_state == State::Connected && send({"PUNSUBSCRIBE", pattern}, nullptr, nullptr);
}

void RedisConnection::onConnect(const redisAsyncContext* context, int status)
{
    RedisConnection* self = owner(context);
    if (context != self->m_context)
        return;
    if (status != REDIS_OK) {
        // hiredis frees the context once this returns.
        const QString reason = QString::fromLocal8Bit(context->errstr);
        self->m_context = nullptr;
        self->fail(reason);
        return;
    }
    self->m_state = State::Handshake;
    self->m_stateSince = self->m_clock.elapsed();
    auto ready = [self] {
        self->m_state = State::Connected;
        // Queued: hiredis still uses the context after this callback, so no one may free it yet.
        QMetaObject::invokeMethod(
            self,
            [self] {
                if (self->m_state == State::Connected)
                    Q_EMIT self->connected();
            },
            Qt::QueuedConnection);
    };
    // Redis answers in order: AUTH, then SELECT (which needs the AUTH), and only then is the
    // connection handed out, so nothing else ever runs unauthenticated or on db 0 by mistake.
    auto steps = std::make_shared<int>(0);
    auto step = [self, steps, ready](const QString& what) {
        ++*steps;
        return [self, steps, ready, what](const redisReply* reply) {
            if (self->m_state != State::Handshake)
                return;
            if (!reply || reply->type == REDIS_REPLY_ERROR) {
                // The reply is Redis' own sentence (WRONGPASS, NOAUTH...), which never holds the password.
                self->fail(u"%1 failed: %2"_s.arg(
                    what, reply ? QString::fromUtf8(reply->str, qsizetype(reply->len)) : u"no reply"_s));
                return;
            }
            if (--*steps == 0)
                ready();
        };
    };
    bool sent = true;
    if (!self->m_password.isEmpty()) {
        QByteArrayList auth{"AUTH"};
        if (!self->m_user.isEmpty())
            auth.append(self->m_user);
        auth.append(self->m_password);
        const QString what =
            self->m_user.isEmpty() ? u"AUTH"_s : u"AUTH as user '%1'"_s.arg(QString::fromUtf8(self->m_user));
        sent = self->command(auth, step(what));
    }
    if (sent && self->m_db != 0)
        sent =
            self->command({"SELECT", QByteArray::number(self->m_db)}, step(u"SELECT %1"_s.arg(self->m_db)));
    if (!sent)
        self->fail(u"cannot send the connection handshake"_s);
    else if (*steps == 0)
        ready();
}

void RedisConnection::onDisconnect(const redisAsyncContext* context, int status)
{
    RedisConnection* self = owner(context);
    // Our own close() already let go of the context; hiredis frees it once this returns.
    if (context != self->m_context || self->m_destroying || self->m_state == State::Closed)
        return;
    self->m_context = nullptr;
    self->fail(status == REDIS_OK ? u"connection closed"_s
                                  : u"connection lost: %1"_s.arg(QString::fromLocal8Bit(context->errstr)));
}

void RedisConnection::onReply(redisAsyncContext*, void* reply, void* privdata)
{
    auto* pending = static_cast<PendingReply*>(privdata);
    RedisConnection* self = pending->connection;
    if (!self->m_sentAt.empty())
        self->m_sentAt.pop_front();
    if (!self->m_destroying && pending->handler)
        pending->handler(static_cast<const redisReply*>(reply));
    delete pending;
}

void RedisConnection::onSubscription(redisAsyncContext*, void* reply, void* privdata)
{
    auto* self = static_cast<RedisConnection*>(privdata);
    const auto* r = static_cast<const redisReply*>(reply);
    if (self->m_destroying || self->m_state != State::Connected || !r || r->type != REDIS_REPLY_ARRAY ||
        r->elements < 3)
        return;
    const QByteArray kind(r->element[0]->str, qsizetype(r->element[0]->len));
    const QByteArray channel(r->element[1]->str, qsizetype(r->element[1]->len));
    if (kind == "message")
        Q_EMIT self->message(channel, QByteArray(r->element[2]->str, qsizetype(r->element[2]->len)));
    else if (kind == "pmessage" && r->elements >= 4)
        Q_EMIT self->patternMessage(channel, QByteArray(r->element[2]->str, qsizetype(r->element[2]->len)),
                                    QByteArray(r->element[3]->str, qsizetype(r->element[3]->len)));
    else if (kind == "subscribe" || kind == "psubscribe")
        Q_EMIT self->subscribed(channel);
}

void RedisConnection::addRead(void* data)
{
    auto* self = static_cast<RedisConnection*>(data);
    if (!self->m_readNotifier) {
        self->m_readNotifier = new QSocketNotifier(self->m_context->c.fd, QSocketNotifier::Read, self);
        connect(self->m_readNotifier, &QSocketNotifier::activated, self, [self] {
            if (self->m_context)
                redisAsyncHandleRead(self->m_context);
        });
    }
    self->m_readNotifier->setEnabled(true);
}

void RedisConnection::delRead(void* data)
{
    auto* self = static_cast<RedisConnection*>(data);
    if (self->m_readNotifier)
        self->m_readNotifier->setEnabled(false);
}

void RedisConnection::addWrite(void* data)
{
    auto* self = static_cast<RedisConnection*>(data);
    if (!self->m_writeNotifier) {
        self->m_writeNotifier = new QSocketNotifier(self->m_context->c.fd, QSocketNotifier::Write, self);
        connect(self->m_writeNotifier, &QSocketNotifier::activated, self, [self] {
            if (self->m_context)
                redisAsyncHandleWrite(self->m_context);
        });
    }
    self->m_writeNotifier->setEnabled(true);
}

void RedisConnection::delWrite(void* data)
{
    auto* self = static_cast<RedisConnection*>(data);
    if (self->m_writeNotifier)
        self->m_writeNotifier->setEnabled(false);
}

void RedisConnection::cleanup(void* data)
{
    auto* self = static_cast<RedisConnection*>(data);
    // The fd closes right after this; a notifier may be the caller, so it is deleted later.
    for (QSocketNotifier** notifier : {&self->m_readNotifier, &self->m_writeNotifier}) {
        if (*notifier) {
            (*notifier)->setEnabled(false);
            (*notifier)->deleteLater();
            *notifier = nullptr;
        }
    }
}

} // namespace forgewire
