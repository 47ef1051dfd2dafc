#pragma once

#include "model/BoardState.h"
#include "protocol/Protocol.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>

namespace forgewire {

// The live models of the boards the tray is subscribed to (PROTOCOL.md v1.1): a board-snapshot
// replaces a board's model, board events are applied in seq order, a gap or a model that no longer
// matches asks for one `resync`, and `project.deleted` leaves the board in its deleted state. While
// the connection is down every board is marked as reconnecting; the snapshots that follow the
// re-subscription on the next connection bring them back. Also keeps the last `boards` answer.
class LiveBoards : public QObject
{
    Q_OBJECT
public:
    explicit LiveBoards(QObject* parent = nullptr);

    // Takes the board messages (board, board-snapshot, boards); also looks at `subscribed` and
    // `error` of project-board topics, returning false for them as for any other message.
    bool handle(const protocol::ServerMessage& message);

    // Starts (or stops) keeping a model for the board; a board no longer tracked is forgotten.
    void track(qint64 projectId);
    void untrack(qint64 projectId);
    bool isTracked(qint64 projectId) const { return m_boards.contains(projectId); }

    // The model of a tracked board (without a snapshot yet it has no columns), or null.
    const BoardState* board(qint64 projectId) const;
    // False from a lost connection until the board's snapshot (or, for a board without a model on
    // the server, its `subscribed`) arrives on the new one.
    bool isLive(qint64 projectId) const
    {
        return m_boards.contains(projectId) && !m_waiting.contains(projectId);
    }

    // Why the server refused the board (its `error` for the topic), empty otherwise.
    QString refusal(qint64 projectId) const { return m_refusals.value(projectId); }

    void setConnected(bool connected);
    bool isConnected() const { return m_connected; }

    // The last `boards` answer: the boards with a model this connection may read.
    const QList<protocol::BoardInfo>& listed() const { return m_listed; }

Q_SIGNALS:
    // The board's model changed: `cause` is the event applied, or empty (event "") for a snapshot.
    void boardChanged(qint64 projectId, const forgewire::protocol::BoardEvent& cause);
    // Reconnecting, live again, deleted: what a window shows besides the board.
    void boardStatusChanged(qint64 projectId);
    // Send `{"type":"resync","topic":...}`; asked once until the snapshot arrives.
    void resyncNeeded(const QString& topic);
    void boardsListed();

private:
    void onSnapshot(qint64 projectId, const protocol::BoardSnapshot& snapshot);
    void onEvent(qint64 projectId, const protocol::BoardEvent& event);
    void requestResync(qint64 projectId, const QString& topic);

    QHash<qint64, BoardState> m_boards;
    // Boards waiting for their snapshot after a reconnect.
    QSet<qint64> m_waiting;
    // Boards whose resync was asked for and not yet answered.
    QSet<qint64> m_resyncing;
    QHash<qint64, QString> m_refusals;
    QList<protocol::BoardInfo> m_listed;
    bool m_connected = false;
};

} // namespace forgewire
