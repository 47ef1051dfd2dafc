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
#include "transport/Outbox.h"
#include "transport/WsConnection.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QSet>

#include <atomic>
#include <memory>

class QTimer;

namespace forgewire {

class ConnectionGate;
class Poller;
class QueueBudget;
class SubscriberHub;
class TokenVerifier;

// Owns a share of the client connections, on its own thread: the accepted descriptors (one epoll
// set, see Poller), the upgrade, the sessions, the local topic index and one sweep timer for
// handshake deadlines and keepalive (no timer per connection).
class Worker : public QObject, public SubscriberHost
{
    Q_OBJECT
public:
    // `verifier` may be null when no forge verifier is installed (no bridge).
    Worker(int index, const ServerConfig& config, const Authenticator* authenticator, TokenVerifier* verifier,
           Metrics* metrics, std::atomic<int>* admitted, SubscriberHub* hub, QueueBudget* budget,
           ConnectionGate* gate);
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

Q_SIGNALS:
    void drained();

private:
    void onSocketEvent(WsConnection* connection, quint32 events);
    void onRequestData(WsConnection* connection);
    void rejectHttp(WsConnection* connection, int status, const QByteArray& body,
                    const QByteArray& extraHeaders = {});
    // Sends one whole HTTP response and closes the connection once it is out.
    void answerHttp(WsConnection* connection, const QByteArray& response);
    void onFrameData(WsConnection* connection);
    void startSession(WsConnection* connection, const HttpRequestHead& head);
    void finishAuthentication(ClientSession* session, const AuthResult& result);
    // Bridge mode: count the session's forge token as live on this worker (the bridge re-checks live
    // tokens) / stop counting it. Release is idempotent: it forgets the session's token key.
    void holdForgeToken(ClientSession* session);
    void releaseForgeToken(ClientSession* session);
    void onClientMessage(ClientSession* session, const QByteArray& payload, bool binary);
    void handleClientMessage(ClientSession* session, const ClientSession::DeferredMessage& message);
    void processDeferred(ClientSession* session);
    void subscribe(ClientSession* session, const QString& topic, bool automatic);
    void completeSubscribe(ClientSession* session, const QString& topic, bool automatic, bool allowed,
                           const QList<QByteArray>& retained);
    void unsubscribe(ClientSession* session, const QString& topic);
    // Live boards (PROTOCOL.md v1.1): `resync` and `list-boards`, answered through the hub. False when
    // the message is neither (the v1 codec takes it).
    bool handleBoardRequest(ClientSession* session, const QByteArray& payload);
    void sendError(ClientSession* session, protocol::ErrorCode code, const QString& message,
                   const QString& topic = {});
    // Queues one JSON message; false when the session is closing or was just closed as slow.
    bool sendMessage(ClientSession* session, const QByteArray& utf8);
    // The one way bytes enter an outbox (frames, pongs, errors, close frames, HTTP responses), so
    // every byte is counted against the client's cap and the node's budget when it is queued. Over
    // the cap (after the kernel took what it would) the session is closed as slow at once. False
    // when the bytes were not queued or the connection was closed for them.
    bool queueBytes(WsConnection* connection, const QByteArray& bytes);
    // Never closes the connection itself (callers may be iterating a topic's members): a broken one
    // is reported by epoll and dropped from onSocketEvent().
    void flushConnection(WsConnection* connection);
    void flushDirtyConnections();
    // Closes with 4008 and frees the backlog now: a peer that does not read keeps only the rest of a
    // partly sent frame and the close frame until the sweep cuts it.
    void closeSlow(ClientSession* session, const char* why);
    // What the session holds queued: its outbox and its deferred messages.
    static qint64 backlogOf(ClientSession* session);
    void releaseDeferred(ClientSession* session);
    void leaveHandshake(WsConnection* connection);
    void closeSession(ClientSession* session, quint16 code, const QString& reason);
    // `logout here`, then 4001; nothing if the session is already closing.
    void endRevokedSession(ClientSession* session);
    // Closes the descriptor at once and frees the connection (and its session) on the next pass.
    void dropConnection(WsConnection* connection);
    void removeSession(ClientSession* session);
    void collectGarbage();
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

    Poller* m_poller = nullptr;
    QTimer* m_sweepTimer = nullptr;
    QElapsedTimer m_clock;
    // Connections not (or no longer) upgraded: reading the request, or lingering after an error.
    QSet<WsConnection*> m_unupgraded;
    QHash<quint64, ClientSession*> m_sessions;
    quint64 m_nextSerial = 0;
    TopicIndex m_topics;
    // Ready sessions per forge token key; the Broker hears of 0 -> 1 and 1 -> 0 only.
    QHash<QByteArray, int> m_forgeTokenRefs;
    // Connections with a non-empty outbox, flushed together once per event-loop pass.
    QList<WsConnection*> m_dirty;
    bool m_flushPosted = false;
    // Closed connections, freed on the next pass so no caller up the stack holds a dangling pointer.
    QList<WsConnection*> m_graveyard;
    const QByteArray m_pingFrame = Outbox::pingFrame();
    bool m_draining = false;
    bool m_evicting = false;
};

} // namespace forgewire
