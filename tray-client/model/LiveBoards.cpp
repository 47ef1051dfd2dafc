#include "model/LiveBoards.h"

#include "app/TrayLogging.h"
#include "protocol/Topic.h"

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

// The project id of a `project-board.{id}` topic, or 0.
qint64 boardId(const QString& topic)
{
    const Topic parsed = Topic::parse(topic);
    return parsed.kind() == Topic::Kind::ProjectBoard ? parsed.id() : 0;
}

} // namespace

LiveBoards::LiveBoards(QObject* parent) : QObject(parent)
{}

void LiveBoards::track(qint64 projectId)
{
    if (projectId <= 0 || m_boards.contains(projectId))
        return;
    m_boards.insert(projectId, BoardState(projectId));
    // Until the server confirms the subscription there is nothing live to show.
    m_waiting.insert(projectId);
}

void LiveBoards::untrack(qint64 projectId)
{
    m_boards.remove(projectId);
    m_refusals.remove(projectId);
    m_waiting.remove(projectId);
    m_resyncing.remove(projectId);
}

const BoardState* LiveBoards::board(qint64 projectId) const
{
    const auto it = m_boards.constFind(projectId);
    return it == m_boards.cend() ? nullptr : &it.value();
}

void LiveBoards::setConnected(bool connected)
{
    if (connected == m_connected)
        return;
    m_connected = connected;
    if (connected) {
        // Still waiting for the boards' snapshots, but no longer for a connection.
        for (auto it = m_boards.cbegin(); it != m_boards.cend(); ++it)
            Q_EMIT boardStatusChanged(it.key());
        return;
    }
    // A resync asked on the old socket is answered on none; the new socket's snapshots replace it.
    m_resyncing.clear();
    for (auto it = m_boards.cbegin(); it != m_boards.cend(); ++it) {
        if (!m_waiting.contains(it.key()) && !it->isDeleted()) {
            m_waiting.insert(it.key());
            Q_EMIT boardStatusChanged(it.key());
        }
    }
}

bool LiveBoards::handle(const protocol::ServerMessage& message)
{
    if (const auto* boards = std::get_if<protocol::Boards>(&message)) {
        m_listed = boards->boards;
        Q_EMIT boardsListed();
        return true;
    }
    if (const auto* snapshot = std::get_if<protocol::BoardSnapshot>(&message)) {
        if (const qint64 id = boardId(snapshot->topic); m_boards.contains(id))
            onSnapshot(id, *snapshot);
        return true;
    }
    if (const auto* event = std::get_if<protocol::BoardEvent>(&message)) {
        if (const qint64 id = boardId(event->topic); m_boards.contains(id))
            onEvent(id, *event);
        return true;
    }
    if (const auto* subscribed = std::get_if<protocol::Subscribed>(&message)) {
        const qint64 id = boardId(subscribed->topic);
        // A board with a model on the server is followed at once by its snapshot; one without is
        // live from here (v1: events only).
        const bool refused = m_refusals.remove(id) > 0;
        if (m_waiting.remove(id) || refused)
            Q_EMIT boardStatusChanged(id);
        return false;
    }
    if (const auto* error = std::get_if<protocol::Error>(&message)) {
        const qint64 id = boardId(error->topic);
        // A rate-limited resync is retried by the next gap; only a refusal stops the board.
        const bool refusal =
            error->code == protocol::ErrorCode::Forbidden || error->code == protocol::ErrorCode::UnknownTopic;
        if (refusal && m_boards.contains(id)) {
            m_refusals.insert(id, error->message);
            Q_EMIT boardStatusChanged(id);
        }
        return false;
    }
    return false;
}

void LiveBoards::onSnapshot(qint64 projectId, const protocol::BoardSnapshot& snapshot)
{
    QString error;
    std::optional<BoardState> state =
        BoardState::fromSnapshot(projectId, snapshot.seq, snapshot.board, &error);
    if (!state) {
        // The old model stays; it is better than none and the next snapshot may be fine.
        qCWarning(lcTray).noquote() << "ignoring a bad board-snapshot for" << snapshot.topic << "-" << error;
        return;
    }
    m_boards.insert(projectId, std::move(*state));
    m_resyncing.remove(projectId);
    const bool wasWaiting = m_waiting.remove(projectId);
    Q_EMIT boardChanged(projectId, {});
    if (wasWaiting)
        Q_EMIT boardStatusChanged(projectId);
}

void LiveBoards::onEvent(qint64 projectId, const protocol::BoardEvent& event)
{
    BoardState& state = m_boards[projectId];
    switch (state.apply(event)) {
    case BoardState::Applied::Changed:
        Q_EMIT boardChanged(projectId, event);
        if (state.isDeleted())
            Q_EMIT boardStatusChanged(projectId);
        return;
    case BoardState::Applied::Stale:
        qCDebug(lcTray) << "stale board event" << event.event << "seq" << event.seq.value_or(-1) << "on"
                        << event.topic << "ignored";
        return;
    case BoardState::Applied::Gap:
        qCInfo(lcTray) << "board" << event.topic << "missed events (at seq" << state.seq().value_or(-1)
                       << ", got" << event.seq.value_or(-1) << "); resyncing";
        requestResync(projectId, event.topic);
        return;
    case BoardState::Applied::Diverged:
        // Only a board with a model on the server can be resynced; a v1 board just shows less.
        if (state.hasSnapshot() || event.seq) {
            qCInfo(lcTray) << "board" << event.topic << "event" << event.event
                           << "does not match the model; resyncing";
            requestResync(projectId, event.topic);
        }
        return;
    }
}

void LiveBoards::requestResync(qint64 projectId, const QString& topic)
{
    // Every later event of the gap would ask again; one snapshot answers them all.
    if (m_resyncing.contains(projectId))
        return;
    m_resyncing.insert(projectId);
    Q_EMIT resyncNeeded(topic);
}

} // namespace forgewire
