#pragma once

#include "auth/Authenticator.h"
#include "broker/Publication.h"
#include "broker/SubscriberHost.h"
#include "config/ServerConfig.h"
#include "http/BrowserAssets.h"
#include "http/HttpMessage.h"
#include "metrics/Metrics.h"
#include "session/ClientSession.h"
#include "session/TopicIndex.h"
#include "transport/ClientConnection.h"
#include "transport/Transport.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QSet>

#include <atomic>
#include <memory>

class QTimer;

namespace forgewire {

class ConnectionGate;
class QueueBudget;
class SubscriberHub;
class TokenVerifier;

// Owns a share of the client connections, on its own thread: their transport (the sockets, the
// upgrade and framing, see Transport) and the session side that both transports drive through
// ConnectionEvents: authentication, client messages, the local topic index and delivery, the
// send-queue and budget caps, keepalive and drain, with one sweep timer for the deadlines of both
// (no timer per connection).
class Worker : public QObject, public SubscriberHost, private ConnectionEvents
{
    Q_OBJECT
public:
    // `verifier` may be null when no forge verifier is installed (no bridge).
    // `transport` creates the worker's transport on its thread (in init()).
    Worker(int index, const ServerConfig& config, const Authenticator* authenticator, TokenVerifier* verifier,
           Metrics* metrics, std::atomic<int>* admitted, SubscriberHub* hub, QueueBudget* budget,
           ConnectionGate* gate, Transport::Factory transport);
    ~Worker() override;

    int index() const { return m_index; }

    // All of these run on the worker's thread (Server, ClientListener, Broker and QueueBudget post them
    // there).
    void init();
    void adoptSocket(qintptr descriptor);
    QObject* hostContext() override { return this; }
    void deliver(const QList<forgewire::Publication>& batch) override;
    // Closes every connection with 1001; emits drained() when none is left.
    void drain();
    // The node is over max_queued_bytes: close this worker's largest backlogs with 4008 while they
    // are the node's largest, or ask the worker that holds a larger one (see QueueBudget).
    void evictForBudget();
    // Sends `logout here` to every connection whose token carries one of these sessions, then closes
    // it with 4001.
    void revokeSessions(const QSet<QString>& sessionIds) override;
    // Bridge mode: close every connection signed in with one forge token (by its SHA-256).
    void closeToken(const QByteArray& tokenKey, quint16 code, const QString& reason) override;

    // Sessions on this worker.
    int sessionCount() const { return int(m_sessions.size()); }

Q_SIGNALS:
    void drained();

private:
    // ConnectionEvents: what the transport reports.
    // The one place a request head is answered (upgrade or HTTP error), for both transports.
    WsHandshake answerRequest(const HttpRequestHead& head) override;
    void checkBeforeUpgrade(const HttpRequestHead& head, const QString& peerAddress, CheckDone done) override;
    void upgraded(ClientConnection* connection, const HttpRequestHead& head) override;
    void messageReceived(ClientConnection* connection, const QByteArray& payload, bool binary) override;
    void pongReceived(ClientConnection* connection) override;
    void closeReceived(ClientConnection* connection, quint16 code, const QString& reason) override;
    void bytesQueued(ClientConnection* connection) override;
    void connectionClosed(ClientConnection* connection) override;

    void startSession(ClientConnection* connection, const HttpRequestHead& head);
    // `[forge] cookie_auth`: a request to /-/ws or /user/events without a token (no Authorization
    // header, no access_token) whose Cookie header is its credential.
    bool signsInByCookie(const HttpRequestHead& head) const;
    void finishAuthentication(ClientSession* session, const AuthResult& result);
    // Bridge mode: count the session's forge token as live on this worker (the bridge re-checks live
    // tokens) / stop counting it. Release is idempotent: it forgets the session's token key.
    void holdForgeToken(ClientSession* session);
    void releaseForgeToken(ClientSession* session);
    void onClientMessage(ClientSession* session, const QByteArray& payload, bool binary);
    // The one place a client message is dispatched (after the rate limit and the deferral queue).
    void handleClientMessage(ClientSession* session, const ClientSession::DeferredMessage& message);
    void processDeferred(ClientSession* session);
    void subscribe(ClientSession* session, const QString& topic, bool automatic);
    void completeSubscribe(ClientSession* session, const QString& topic, bool automatic, bool allowed,
                           const QList<QByteArray>& retained);
    void unsubscribe(ClientSession* session, const QString& topic);
    // Live boards (PROTOCOL.md v1.1): a fresh `board-snapshot` of a subscribed board, and the boards
    // with a model this connection may read; both answered through the hub.
    void resync(ClientSession* session, const QString& topic);
    void listBoards(ClientSession* session);
    void sendError(ClientSession* session, protocol::ErrorCode code, const QString& message,
                   const QString& topic = {});
    // Queues one JSON message; false when the session is closing or was just closed as slow.
    bool sendMessage(ClientSession* session, const QByteArray& utf8);
    // The one way a message reaches a connection (replies, errors, publications), so every byte is
    // counted against the client's cap and the node's budget when it is queued. Over the cap (after
    // the kernel took what it would) the session is closed as slow at once. False when the message
    // was not queued or the connection was closed for it. `frame`: see ClientConnection::queueText.
    bool queueText(ClientSession* session, const QByteArray& utf8, const QByteArray& frame = {});
    // The caps after bytes were queued for `session`: false when it was closed for them.
    bool checkBacklog(ClientSession* session);
    // Closes with 4008 and frees the backlog now: a peer that does not read keeps only the rest of a
    // partly sent frame and the close frame until the sweep cuts it.
    void closeSlow(ClientSession* session, const char* why);
    // What the session holds queued: its outbox and its deferred messages.
    static qint64 backlogOf(ClientSession* session);
    void releaseDeferred(ClientSession* session);
    void closeSession(ClientSession* session, quint16 code, const QString& reason,
                      ClientConnection::CloseMode mode = ClientConnection::CloseMode::AwaitReply);
    // `logout here`, then 4001; nothing if the session is already closing.
    void endRevokedSession(ClientSession* session);
    void removeSession(ClientSession* session);
    void sweep();
    void checkDrained();
    ClientSession* sessionFor(quint64 serial) const { return m_sessions.value(serial); }

    int m_index;
    const ServerConfig m_config;
    // Built from m_config, declared above it.
    const BrowserAssets m_assets = BrowserAssets::fromResources(m_config.pathPrefix, m_config.demoPage);
    const Authenticator* m_authenticator;
    TokenVerifier* m_verifier;
    Metrics* m_metrics;
    std::atomic<int>* m_admitted;
    SubscriberHub* m_hub;
    QueueBudget* m_budget;
    ConnectionGate* m_gate;
    Transport::Factory m_transportFactory;

    std::unique_ptr<Transport> m_transport;
    QTimer* m_sweepTimer = nullptr;
    QElapsedTimer m_clock;
    QHash<quint64, ClientSession*> m_sessions;
    quint64 m_nextSerial = 0;
    TopicIndex m_topics;
    // Ready sessions per forge token key; the Broker hears of 0 -> 1 and 1 -> 0 only.
    QHash<QByteArray, int> m_forgeTokenRefs;
    bool m_draining = false;
    bool m_evicting = false;
};

} // namespace forgewire
