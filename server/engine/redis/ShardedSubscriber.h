#pragma once

#include <QByteArray>
#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTcpSocket>
#include <QTimer>

#include <deque>

struct redisReader;
struct redisReply;

namespace forgewire {

// A Redis Cluster shard's pub/sub connection for sharded channels (SSUBSCRIBE, Redis 7), so that a
// publish reaches only the shard that owns its topic. hiredis 0.14's async API knows SUBSCRIBE and
// PSUBSCRIBE only: a sharded confirmation would be taken for a command's reply and a sharded message
// dropped. So this connection speaks to the socket itself and reads RESP with hiredis' reader.
//
// Every request (AUTH, SSUBSCRIBE, SUNSUBSCRIBE, PING) gets one answer, in order; one unanswered for
// the timeout fails the connection, as a hung shard must turn into an error. An SUNSUBSCRIBE nobody
// asked for is the server's: the channel's slot moved to another shard.
class ShardedSubscriber : public QObject
{
    Q_OBJECT
public:
    static constexpr int kDefaultTimeoutMs = 2000;
    // Requests sent and not answered yet beyond which more are refused (the caller reconnects).
    static constexpr qsizetype kMaxPending = 10'000;

    explicit ShardedSubscriber(const QString& name, QObject* parent = nullptr);
    ~ShardedSubscriber() override;

    // An empty password sends no AUTH; an empty user the one-argument AUTH.
    void setCredentials(const QByteArray& user, const QByteArray& password);
    // Connects (and AUTHs); then emits connected(), or disconnected() if any step fails.
    void open(const QString& host, quint16 port, int timeoutMs = kDefaultTimeoutMs);
    // Drops the connection without emitting anything.
    void close();
    bool isConnected() const { return m_state == State::Connected; }

    // False (nothing sent) when not connected or too many requests wait.
    bool subscribe(const QByteArray& channel);
    bool unsubscribe(const QByteArray& channel);
    // Answered by pong(): proves the connection and the shard alive.
    bool ping();
    qsizetype pendingCount() const { return qsizetype(m_pending.size()); }

Q_SIGNALS:
    void connected();
    void disconnected(const QString& reason);
    void message(const QByteArray& channel, const QByteArray& payload);
    void subscribed(const QByteArray& channel);
    // The subscription ended: asked for, or the server's (its slot moved to another shard).
    void unsubscribed(const QByteArray& channel, bool byServer);
    // SSUBSCRIBE refused: MOVED (another shard owns the slot), or another error, in `error`.
    void refused(const QByteArray& channel, const QString& error);
    void pong();

private:
    enum class State
    {
        Closed,
        Connecting,
        Handshake,
        Connected
    };
    enum class Request
    {
        Auth,
        Subscribe,
        Unsubscribe,
        Ping
    };
    struct Pending
    {
        Request request;
        QByteArray channel;
        qint64 sentAt;
    };

    bool send(Request request, const QByteArrayList& args, const QByteArray& channel = {});
    void onReadyRead();
    void handle(const redisReply* reply);
    void fail(const QString& reason);
    void checkTimeouts();

    QString m_name;
    QByteArray m_user;
    QByteArray m_password;
    int m_timeoutMs = kDefaultTimeoutMs;
    State m_state = State::Closed;
    QTcpSocket* m_socket = nullptr;
    redisReader* m_reader = nullptr;
    std::deque<Pending> m_pending;
    QElapsedTimer m_clock;
    qint64 m_openedAt = 0;
    QTimer m_watchdog;
};

} // namespace forgewire
