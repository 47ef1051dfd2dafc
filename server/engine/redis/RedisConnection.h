#pragma once

#include <QByteArrayList>
#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>
#include <QString>
#include <QTimer>

#include <deque>
#include <functional>

struct redisAsyncContext;
struct redisReply;
class QHostInfo;
class QSocketNotifier;

namespace forgewire {

// One Redis connection on the Qt event loop: hiredis' async API speaks the protocol, two
// QSocketNotifiers on its fd tell it when the socket is readable or writable, so nothing ever blocks
// the thread. Also bounds how long Redis may keep a command unanswered: a hung Redis must turn into
// an error the caller can report, not a request that waits forever.
class RedisConnection : public QObject
{
    Q_OBJECT
public:
    // `reply` is nullptr when the command did not complete (connection lost, timed out or closed).
    using ReplyHandler = std::function<void(const redisReply* reply)>;

    // A command (or a connection attempt) unanswered for this long fails the whole connection.
    static constexpr int kDefaultTimeoutMs = 2000;

    // A reply's text (an error's message, a status, a string), for errors and logs; what a null
    // reply means for the caller: the connection is gone.
    static QString replyText(const redisReply* reply);
    // A string, status or error reply's bytes; empty for any other (or none).
    static QByteArray replyBytes(const redisReply* reply);

    explicit RedisConnection(const QString& name, QObject* parent = nullptr);
    ~RedisConnection() override;

    // Sent as AUTH by every later open() before anything else; an empty password sends no AUTH, an
    // empty user sends the one-argument AUTH of a server with only `requirepass`.
    void setCredentials(const QByteArray& user, const QByteArray& password);
    // Resolves `host` (asynchronously), connects, AUTHs and SELECTs `db`; then emits connected(), or
    // disconnected() if any step fails, always from the event loop, never before open() returns.
    void open(const QString& host, quint16 port, int db, int timeoutMs = kDefaultTimeoutMs);
    // Drops the connection without emitting anything; pending handlers get nullptr.
    void close();
    // close(), forgets every receiver and deletes itself once control is back in the event loop: how
    // an owner lets go of a connection, safe from within the connection's own handlers and signals.
    void discard();
    bool isConnected() const { return m_state == State::Connected; }

    // Queues one command. Returns false, without calling `handler`, if the connection cannot take it.
    bool command(const QByteArrayList& args, ReplyHandler handler = {});
    // Subscriber connections: messages on the channel arrive through message(); the server's
    // confirmation through subscribed(). Only (P)(UN)SUBSCRIBE may be sent on such a connection.
    bool subscribe(const QByteArray& channel);
    bool unsubscribe(const QByteArray& channel);
    // A glob pattern of channels: its messages arrive through patternMessage(), its confirmation
    // through subscribed(pattern).
    bool psubscribe(const QByteArray& pattern);
    bool punsubscribe(const QByteArray& pattern);

    // Commands sent and not answered yet.
    qsizetype pendingCount() const { return qsizetype(m_sentAt.size()); }

Q_SIGNALS:
    void connected();
    void disconnected(const QString& reason);
    void message(const QByteArray& channel, const QByteArray& payload);
    void subscribed(const QByteArray& channel);
    void patternMessage(const QByteArray& pattern, const QByteArray& channel, const QByteArray& payload);

private:
    enum class State
    {
        Closed,
        Resolving,
        Connecting,
        Handshake, // AUTH and SELECT sent, not all answered yet
        Connected
    };

    void onHostResolved(const QHostInfo& info);
    void connectTo(const QHostAddress& address);
    void fail(const QString& reason);
    void checkTimeouts();
    bool send(const QByteArrayList& args, void (*callback)(redisAsyncContext*, void*, void*), void* privdata);

    // hiredis callbacks (plain C function pointers) forward here through the context's `data`.
    static void onConnect(const redisAsyncContext* context, int status);
    static void onDisconnect(const redisAsyncContext* context, int status);
    static void onReply(redisAsyncContext* context, void* reply, void* privdata);
    static void onSubscription(redisAsyncContext* context, void* reply, void* privdata);
    static void addRead(void* self);
    static void delRead(void* self);
    static void addWrite(void* self);
    static void delWrite(void* self);
    static void cleanup(void* self);

    QString m_name;
    quint16 m_port = 0;
    int m_db = 0;
    QByteArray m_user;
    QByteArray m_password;
    int m_timeoutMs = kDefaultTimeoutMs;
    int m_lookupId = -1;
    quint64 m_attempt = 0; // counts open() calls: a failure reported late belongs to one of them
    State m_state = State::Closed;
    bool m_destroying = false;
    redisAsyncContext* m_context = nullptr;
    QSocketNotifier* m_readNotifier = nullptr;
    QSocketNotifier* m_writeNotifier = nullptr;
    QElapsedTimer m_clock;
    qint64 m_stateSince = 0;
    // Send times of unanswered commands; Redis answers in order, so the front is the oldest.
    std::deque<qint64> m_sentAt;
    QTimer m_watchdog;
};

} // namespace forgewire
