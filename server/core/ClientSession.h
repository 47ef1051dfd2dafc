#pragma once

#include "Identity.h"
#include "Outbox.h"
#include "Protocol.h"
#include "Publication.h"

#include <QElapsedTimer>
#include <QSet>
#include <QString>

class QTcpSocket;
class QWebSocket;

namespace forgewire {

// One client connection on a worker thread: who it is, what it reads, and its liveness clock.
class ClientSession
{
public:
    enum class State
    {
        Authenticating,
        Ready,
        Closing
    };

    ClientSession(QWebSocket* socket, QString id, qint64 nowMs);

    QWebSocket* socket() const { return m_socket; }
    // The TCP socket under the QWebSocket, which the worker must release itself.
    QTcpSocket* transport() const { return m_transport; }
    void setTransport(QTcpSocket* transport) { m_transport = transport; }
    const QString& id() const { return m_id; }
    State state() const { return m_state; }
    void setState(State state) { m_state = state; }

    const Identity& identity() const { return m_identity; }
    void setIdentity(Identity identity) { m_identity = std::move(identity); }

    // Frames waiting for the worker's next flush (every server->client frame goes through it, so
    // their order is the order they were queued in).
    Outbox& outbox() { return m_outbox; }

    QSet<QString>& subscriptions() { return m_subscriptions; }
    // The topic whose access and retained state are being looked up (empty: none). One at a time:
    // client messages that arrive meanwhile wait in deferred(), so replies keep request order.
    const QString& pendingTopic() const { return m_pendingTopic; }
    void setPendingTopic(const QString& topic) { m_pendingTopic = topic; }
    struct DeferredMessage
    {
        QString text;
        bool rateLimited;
    };
    QList<DeferredMessage>& deferred() { return m_deferred; }
    // Publications of pendingTopic() that arrived during its lookup, released after its retained state.
    struct HeldFrame
    {
        QByteArray frame;
        std::optional<ProjectAccess> access;
    };
    QList<HeldFrame>& held() { return m_held; }
    bool isBusy() const { return m_state == State::Authenticating || !m_pendingTopic.isEmpty(); }

    // May this connection read `topic` given the board ACL (if any) as it is now?
    bool mayRead(const QString& topic, const std::optional<ProjectAccess>& access) const;
    bool tokenGrants(const QString& topic) const;

    // Client message rate limit (token bucket).
    bool takeMessageToken(qint64 nowMs);

    // Keepalive bookkeeping driven by the worker's sweep.
    qint64 createdAtMs() const { return m_createdAtMs; }
    qint64 nextPingAtMs = 0;
    qint64 pingSentAtMs = 0; // 0: no ping outstanding
    // Listed in the worker's sessions to flush this event-loop pass.
    bool inDirtyList = false;

private:
    QWebSocket* m_socket;
    QTcpSocket* m_transport = nullptr;
    QString m_id;
    State m_state = State::Authenticating;
    Identity m_identity;
    Outbox m_outbox;
    QSet<QString> m_subscriptions;
    QString m_pendingTopic;
    QList<DeferredMessage> m_deferred;
    QList<HeldFrame> m_held;
    qint64 m_createdAtMs;
    double m_tokens;
    qint64 m_tokensAtMs;
};

} // namespace forgewire
