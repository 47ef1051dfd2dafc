#pragma once

#include "broker/Publication.h"
#include "format/WireFormat.h"
#include "protocol/Protocol.h"
#include "session/Identity.h"

#include <QElapsedTimer>
#include <QSet>
#include <QString>

namespace forgewire {

class ClientConnection;

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

    ClientSession(ClientConnection* connection, quint64 serial, QString id, qint64 nowMs);

    // The connection this session runs on (which owns the session).
    ClientConnection* connection() const { return m_connection; }
    // Unique per worker for its lifetime: what asynchronous lookups hold instead of a pointer.
    quint64 serial() const { return m_serial; }
    const QString& id() const { return m_id; }
    State state() const { return m_state; }
    void setState(State state) { m_state = state; }

    // How its client gets messages: set once, when it signs in.
    const WireFormat& format() const { return *m_format; }
    void setFormat(const WireFormat& format) { m_format = &format; }

    const Identity& identity() const { return m_identity; }
    void setIdentity(Identity identity) { m_identity = std::move(identity); }

    // At most limits::kMaxSubscriptionsPerConnection (plus the own user topic): a list, searched
    // linearly, costs 48 bytes for the usual one topic where a QSet allocated 1.3 KB.
    QList<QString>& subscriptions() { return m_subscriptions; }
    // The topic whose access and retained state are being looked up (empty: none). One at a time:
    // client messages that arrive meanwhile wait in deferred(), so replies keep request order.
    const QString& pendingTopic() const { return m_pendingTopic; }
    void setPendingTopic(const QString& topic) { m_pendingTopic = topic; }
    struct DeferredMessage
    {
        QByteArray payload;
        bool binary;
        // Refused (rate limit, or the deferred bounds): no payload, answered with `rate_limited`.
        bool rateLimited;
        // Refused messages in a row share one entry, so a flood costs no memory per message.
        int count = 1;
    };
    QList<DeferredMessage>& deferred() { return m_deferred; }
    // Payload bytes in deferred(), counted in the node's queued bytes too.
    qint64 deferredBytes = 0;
    // Publications of pendingTopic() that arrived during its lookup, released after its retained state.
    struct HeldFrame
    {
        QByteArray payload;
        QByteArray frame; // of payload, shared by every recipient (see ClientConnection::queueText)
        std::optional<ProjectAccess> access;
    };
    // Holds one; false (and nothing held) when that would put more than `maxBytes` on hold. They are
    // all queued for the client once the lookup answers, so the send-queue cap bounds them too, and
    // is checked here, as they arrive, not only when they are released.
    bool hold(HeldFrame frame, qint64 maxBytes);
    QList<HeldFrame> takeHeld();
    qint64 heldBytes() const { return m_heldBytes; }
    bool isBusy() const { return m_state == State::Authenticating || !m_pendingTopic.isEmpty(); }

    // May this connection read `topic` given the board ACL (if any) as it is now?
    bool mayRead(const QString& topic, const std::optional<ProjectAccess>& access) const;
    bool tokenGrants(const QString& topic) const;

    // Client message rate limit (token bucket).
    bool takeMessageToken(qint64 nowMs);

    // Keepalive bookkeeping driven by the worker's sweep.
    qint64 createdAtMs() const { return m_createdAtMs; }
    qint64 nextPingAtMs = 0;
    // Ready: when the outstanding ping went out (0: none). Closing: when the close began.
    qint64 pingSentAtMs = 0;

private:
    ClientConnection* m_connection;
    quint64 m_serial;
    QString m_id;
    State m_state = State::Authenticating;
    Identity m_identity;
    const WireFormat* m_format = &WireFormat::json();
    QList<QString> m_subscriptions;
    QString m_pendingTopic;
    QList<DeferredMessage> m_deferred;
    QList<HeldFrame> m_held;
    qint64 m_heldBytes = 0;
    qint64 m_createdAtMs;
    double m_tokens;
    qint64 m_tokensAtMs;
};

} // namespace forgewire
