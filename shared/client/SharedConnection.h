#pragma once

#include "client/Clock.h"
#include "client/ConnectionSchedule.h"
#include "protocol/Protocol.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QTimer>
#include <QUrl>

#include <functional>
#include <memory>
#include <optional>

class QWebSocket;

namespace forgewire {

// One WebSocket to a forgewire-server, shared by every consumer in the process (tray icon, windows,
// the headless printer), the way Gitea's SharedWorker shares one socket between browser tabs.
//
// Consumers register for message types; the first one opens the socket, the last one leaving closes
// it and cancels the retry timer. A lost connection is retried on the PROTOCOL.md backoff (50 ms
// doubling to 10 s, reset once `hello` arrives) except after 4001, which waits for a new token. Topics
// consumers subscribed to are subscribed again on every new socket. Malformed frames are logged and dropped,
// `ping` messages are answered, and a heartbeat that fires far too late (the machine slept) or a
// silent peer forces a fresh socket.
class SharedConnection : public QObject
{
    Q_OBJECT
public:
    using State = ConnectionSchedule::State;
    using Handler = std::function<void(const protocol::ServerMessage&)>;

    // The process-wide connection to `url` (ws:// or wss://, path included), created on first use and
    // kept until the application object goes away.
    static SharedConnection* forUrl(const QUrl& url);

    explicit SharedConnection(const QUrl& url, const Clock& clock = Clock::system(),
                              QObject* parent = nullptr);
    ~SharedConnection() override;

    QUrl url() const { return m_url; }
    QByteArray token() const { return m_token; }
    // Sent as `Authorization: Bearer`; empty connects anonymously. A different token replaces the
    // open socket and lifts the Unauthorized state.
    void setToken(const QByteArray& token);

    // Registers `consumer` for the message types in `types` ("notification-count", "board", ...; every
    // type when empty). `handler` runs for each matching message while `consumer` lives. Registering
    // again replaces the types and handler.
    void addConsumer(QObject* consumer, const QStringList& types, Handler handler);
    // Also drops the consumer's topics. Destroying the consumer does the same.
    void removeConsumer(QObject* consumer);
    int consumerCount() const { return int(m_consumers.size()); }

    // Topics beyond the automatic `user-{id}`, counted per consumer: the first subscribe is sent to
    // the server, the last unsubscribe too.
    void subscribe(QObject* consumer, const QString& topic);
    void unsubscribe(QObject* consumer, const QString& topic);
    QStringList topics() const { return m_topicUsers.keys(); }

    // Sends now if connected; false otherwise (subscriptions need not be resent, they are kept).
    bool send(const protocol::ClientMessage& message);

    State state() const { return m_schedule.state(); }
    // The hello of the current socket; empty while not connected.
    const std::optional<protocol::Hello>& hello() const { return m_hello; }
    // Remaining delay of a scheduled retry (0 when none).
    int reconnectInMs() const;

    // Tests shorten the heartbeat tick to see sleep detection without waiting.
    void setTickInterval(std::chrono::milliseconds interval);
    // Drops the socket and opens a new one now (after a network change, or on the user's request).
    void reconnectNow();

Q_SIGNALS:
    void stateChanged(forgewire::SharedConnection::State state);
    // "Reconnecting in N ms".
    void reconnectScheduled(int delayMs);
    // The server closed the socket; code 0 when it went away without a close frame.
    void closed(int code, const QString& reason);

private:
    struct Consumer
    {
        QPointer<QObject> object;
        QObject* raw = nullptr; // identity only, never dereferenced
        QStringList types;
        Handler handler;
        QStringList topics;
    };

    void carryOut(ConnectionSchedule::Step step);
    void openSocket();
    void dropSocket();
    void onConnected();
    void onDisconnected();
    void onTextMessage(const QString& text);
    void deliver(const protocol::ServerMessage& message);
    void sendSubscriptions();
    void setStateFromSchedule();
    Consumer* findConsumer(QObject* consumer);
    void releaseTopic(const QString& topic);

    QUrl m_url;
    QByteArray m_token;
    ConnectionSchedule m_schedule;
    State m_reportedState = State::Idle;
    QList<Consumer> m_consumers;
    QHash<QString, int> m_topicUsers;
    std::optional<protocol::Hello> m_hello;
    QWebSocket* m_socket = nullptr;
    QTimer m_retryTimer;
    QTimer m_tickTimer;
};

} // namespace forgewire
