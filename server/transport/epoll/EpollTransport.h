#pragma once

#include "transport/Transport.h"

#include <QHash>
#include <QList>
#include <QSet>

namespace forgewire {

class Poller;
class WsConnection;

// The Linux transport: the worker's accepted descriptors in one epoll set (Poller), the upgrade read
// and answered by hand (WsHandshake), frames parsed by WsFrameParser and written from each
// connection's Outbox with scatter/gather sends, flushed once per event-loop pass.
//
// Why not QTcpSocket + QWebSocket (the "qt" transport): an idle connection here holds a WsConnection
// and its session and no buffers; see README, Performance.
class EpollTransport final : public Transport
{
public:
    explicit EpollTransport(const TransportContext& context);
    ~EpollTransport() override;

    void adopt(qintptr descriptor) override;
    void sweep(qint64 nowMs) override;
    void drain() override;
    void flushAll() override;

    // For WsConnection (the ClientConnection the session side holds).
    // Appends to the connection's outbox and flushes it on this event-loop pass.
    void queueBytes(WsConnection* connection, const QByteArray& bytes);
    // Never closes the connection itself (callers may be iterating a topic's members): a broken one
    // is reported by epoll and dropped from onSocketEvent().
    void flushConnection(WsConnection* connection);
    // Closes the descriptor at once and frees the connection (and its session) on the next pass.
    void dropConnection(WsConnection* connection);
    // An event stream's keep-alive went out: its client cannot answer it, so it counts as answered.
    void keepAliveSent(WsConnection* connection);
    Metrics* metrics() const { return m_context.metrics; }

private:
    void onSocketEvent(WsConnection* connection, quint32 events);
    void onRequestData(WsConnection* connection);
    void rejectHttp(WsConnection* connection, const WsHandshake& refusal);
    // Sends the 101 and hands the connection to the session side.
    void upgrade(WsConnection* connection, const WsHandshake& handshake, const HttpRequestHead& head);
    void startEventStream(WsConnection* connection, const WsHandshake& handshake,
                          const HttpRequestHead& head);
    void onFrameData(WsConnection* connection);
    void leaveHandshake(WsConnection* connection);
    void collectGarbage();

    qint64 now() const;

    Poller* m_poller = nullptr;
    // Connections not (or no longer) upgraded: reading the request, or lingering after an error.
    QSet<WsConnection*> m_unupgraded;
    // Upgraded connections, owned here (each owns its session).
    QSet<WsConnection*> m_upgraded;
    // Connections with a non-empty outbox, flushed together once per event-loop pass.
    QList<WsConnection*> m_dirty;
    bool m_flushPosted = false;
    // Closed connections, freed on the next pass so no caller up the stack holds a dangling pointer.
    QList<WsConnection*> m_graveyard;
    bool m_draining = false;
    // Requests held for ConnectionEvents::checkBeforeUpgrade(), by WsConnection::checkId.
    QHash<quint64, WsConnection*> m_checking;
    quint64 m_lastCheck = 0;
};

} // namespace forgewire
