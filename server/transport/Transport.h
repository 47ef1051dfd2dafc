#pragma once

#include "transport/ConnectionGate.h"
#include "transport/WsHandshake.h"

#include <QByteArray>
#include <QHostAddress>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

class QElapsedTimer;
class QObject;

namespace forgewire {

class ClientConnection;
class Metrics;
struct ServerConfig;

// What a transport tells the session side (a Worker) about its connections, on the worker's thread.
// The transport owns sockets, the HTTP upgrade, framing, its handshake deadlines and the admission
// caps; everything after the upgrade (authentication, topics, keepalive decisions, closing) is
// decided on the other side of this interface.
class ConnectionEvents
{
public:
    // The one answer to a complete request head, asked by every transport: the upgrade (status 101)
    // or the HTTP error that refuses it (426 for a plain GET, 404 for another path, ...).
    virtual WsHandshake answerRequest(const HttpRequestHead& head) = 0;
    // For a handshake answered with checkFirst: `done` gets nothing (upgrade now) or the refusal to
    // send instead. Called on the worker's thread, later; the transport ignores an answer for a
    // request it no longer holds (timed out, gone).
    using CheckDone = std::function<void(std::optional<WsHandshake> refusal)>;
    virtual void checkBeforeUpgrade(const HttpRequestHead& head, const QString& peerAddress,
                                    CheckDone done) = 0;
    // The connection was upgraded for `head`: the session side gives it its session.
    virtual void upgraded(ClientConnection* connection, const HttpRequestHead& head) = 0;
    virtual void messageReceived(ClientConnection* connection, const QByteArray& payload, bool binary) = 0;
    virtual void pongReceived(ClientConnection* connection) = 0;
    // The peer sent a close frame, or its stream broke the protocol: the session closes with `code`.
    virtual void closeReceived(ClientConnection* connection, quint16 code, const QString& reason) = 0;
    // The transport queued bytes of its own (the answer to a ping): counted against the caps too.
    virtual void bytesQueued(ClientConnection* connection) = 0;
    // The connection is gone (the object stays valid until the next event-loop pass).
    virtual void connectionClosed(ClientConnection* connection) = 0;

protected:
    ~ConnectionEvents() = default;
};

// What a transport is given by the worker that owns it. All pointers outlive the transport.
struct TransportContext
{
    const ServerConfig* config = nullptr;
    Metrics* metrics = nullptr;
    // Connections counted by the ClientListener; the transport uncounts each one it drops.
    std::atomic<int>* admitted = nullptr;
    ConnectionGate* gate = nullptr;
    ConnectionEvents* events = nullptr;
    // The worker's clock, for deadlines.
    const QElapsedTimer* clock = nullptr;
    // Parent of the transport's QObjects: lives on the worker's thread.
    QObject* owner = nullptr;
};

// The socket side of one worker: accepted descriptors in, sessions' connections out. One per worker
// thread, created there (see Server::createTransport). Two exist: "epoll" (Linux, the default there)
// and "qt" (QWebSocketServer, any platform Qt supports; the reference implementation).
class Transport
{
public:
    using Factory = std::function<std::unique_ptr<Transport>(const TransportContext&)>;

    // Names accepted by the `transport` setting on this platform, the default first.
    static QStringList available();
    static QString defaultName();

    explicit Transport(const TransportContext& context) : m_context(context) {}
    virtual ~Transport() = default;
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    // Takes over one accepted descriptor (counted in `admitted` by the listener).
    virtual void adopt(qintptr descriptor) = 0;
    // From the worker's sweep: handshake deadlines of connections not (yet) upgraded.
    virtual void sweep(qint64 nowMs) = 0;
    // Refuses requests still being read, and every later connection, with 503.
    virtual void drain() = 0;
    // Hands the kernel what every connection has queued (before the budget picks whom to evict).
    virtual void flushAll() = 0;

protected:
    // The admission caps, in order: draining, the node's connection cap, then the ConnectionGate's
    // per-address and pending-handshake caps. Status 0: admitted. Otherwise the 503 to answer with.
    // `*inGate` tells whether the gate counted the connection for `*address` (it then needs leave(),
    // whatever the verdict); `*handshakePending` whether it holds a handshake slot (handshakeDone()).
    // A peer in trusted_proxies is counted by its client's address instead, once the request head
    // names it (admitClient()): the proxy's own address is shared by all of its users.
    WsHandshake admit(bool draining, const QHostAddress& peer, ConnectionGate::Address* address, bool* inGate,
                      bool* handshakePending) const;
    // For a connection admit() left uncounted (`!*inGate`), once its request head is read: who the
    // trusted proxy says the client is (`*client`, for logs and rate limits), counted by the gate
    // now. Status 0: admitted.
    WsHandshake admitClient(const QHostAddress& peer, const HttpRequestHead& head,
                            ConnectionGate::Address* address, QString* client, bool* inGate) const;

private:
    WsHandshake enterGate(const ConnectionGate::Address& address, bool* inGate) const;

protected:
    TransportContext m_context;
};

} // namespace forgewire
