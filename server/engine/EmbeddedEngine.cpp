#include "engine/EmbeddedEngine.h"

#include "broker/BoardModel.h"
#include "config/ServerLogging.h"
#include "protocol/Topic.h"

#include <QDateTime>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

// Expired revocations are deleted from the state file this often (they are ignored before that).
constexpr int kPruneRevokedIntervalMs = 60 * 60 * 1000;

} // namespace

EmbeddedEngine::EmbeddedEngine(const QString& statePath, QObject* parent) : Engine(parent), m_store(statePath)
{
    m_pruneTimer.setInterval(kPruneRevokedIntervalMs);
    connect(&m_pruneTimer, &QTimer::timeout, this, &EmbeddedEngine::pruneRevoked);
    m_healthTimer.setInterval(StateHealth::kCheckIntervalMs);
    connect(&m_healthTimer, &QTimer::timeout, this, &EmbeddedEngine::checkState);
    m_clock.start();
}

Readiness EmbeddedEngine::readiness() const
{
    return {{u"state"_s, m_ready ? m_stateFailure : u"state store is not open"_s}};
}

void EmbeddedEngine::checkState()
{
    // A publish that wrote since the last check is the probe: none is added to the traffic.
    const bool wroteLately =
        m_lastWriteMs >= 0 && m_clock.elapsed() - m_lastWriteMs < StateHealth::kCheckIntervalMs;
    setStateFailure(m_health.check(!wroteLately));
}

QString EmbeddedEngine::writeFailed(const QString& error)
{
    QString reason = StateHealth::reasonFor(m_store.lastWriteCode());
    if (reason.isEmpty())
        reason = error;
    setStateFailure(reason);
    return u"state store cannot write: %1 (%2)"_s.arg(reason, error);
}

void EmbeddedEngine::setStateFailure(const QString& reason)
{
    if (reason == m_stateFailure)
        return;
    if (m_stateFailure.isEmpty()) {
        m_failingSinceMs = m_clock.elapsed();
        qCWarning(lcState).noquote() << "state store cannot write:" << logSafe(reason)
                                     << "- not ready; publishes fail with 503 until it can";
    } else if (reason.isEmpty()) {
        qCInfo(lcState).noquote() << "state store writes again after"
                                  << (m_clock.elapsed() - m_failingSinceMs) / 1000 << "s - ready";
    }
    m_stateFailure = reason;
}

void EmbeddedEngine::pruneRevoked()
{
    const QString error = m_store.pruneRevoked(QDateTime::currentMSecsSinceEpoch());
    if (!error.isEmpty())
        qCWarning(lcState).noquote() << error;
}

void EmbeddedEngine::start()
{
    m_startError = m_store.open();
    m_ready = m_startError.isEmpty();
    if (!m_ready) {
        qCCritical(lcState).noquote() << m_startError;
    } else {
        m_pruneTimer.start();
        m_health.opened();
        m_healthTimer.start();
        const QHash<QString, qint64> revoked = m_store.revokedSessions();
        if (!revoked.isEmpty())
            Q_EMIT sessionsRevoked(revoked);
    }
    Q_EMIT readyChanged(m_ready);
}

void EmbeddedEngine::publish(const QList<Publication>& batch, Done done)
{
    if (!m_ready) {
        done(u"state store is not open"_s);
        return;
    }
    // Board events are applied to copies first: one that does not fit rejects the whole batch before
    // anything is stored or sent. Runs on the main thread only, so nothing interleaves.
    QList<Publication> out = batch;
    QHash<qint64, std::optional<BoardState>> boards;
    QSet<qint64> removedAccess;
    for (qsizetype i = 0; i < out.size(); ++i) {
        // Read through a const reference: only a board event is edited, so only then is the list
        // copied (its publications share their strings with the caller's batch until one changes).
        if (std::as_const(out)[i].type != protocol::MessageType::Board)
            continue;
        Publication& p = out[i];
        const Topic topic = Topic::parse(p.topic);
        if (topic.kind() != Topic::Kind::ProjectBoard)
            continue;
        const qint64 id = topic.id();
        std::optional<BoardState> model = boards.contains(id) ? boards.value(id) : m_store.board(id);
        if (model) {
            if (!p.endsTopic) {
                const BoardModel::Result applied = BoardModel::applyMessage(model->board, p.payload);
                if (!applied.ok()) {
                    done(conflictError(applied.error));
                    return;
                }
            }
            p.seq = ++model->seq;
            p.payload = BoardModel::withSeq(p.payload, p.seq);
            boards.insert(id, model);
        }
        if (p.endsTopic) {
            boards.insert(id, std::nullopt);
            removedAccess.insert(id);
        }
    }
    const QString error = m_store.storeRetained(out, boards, removedAccess);
    if (!error.isEmpty()) {
        done(writeFailed(error));
        return;
    }
    m_lastWriteMs = m_clock.elapsed();
    QHash<QString, qint64> revoked;
    for (const Publication& p : batch) {
        if (!p.logoutSession.isEmpty() && p.revokeUntilMs > 0)
            revoked.insert(p.logoutSession, std::max(revoked.value(p.logoutSession), p.revokeUntilMs));
    }
    if (!revoked.isEmpty())
        Q_EMIT sessionsRevoked(revoked);
    for (const Publication& p : std::as_const(out))
        Q_EMIT delivered(p);
    done({});
}

void EmbeddedEngine::storeBoard(qint64 projectId, const QJsonObject& board, const ProjectAccess& access,
                                StoreBoardDone done)
{
    if (!m_ready) {
        done(0, u"state store is not open"_s);
        return;
    }
    const std::optional<BoardState> previous = m_store.board(projectId);
    const BoardState state{projectId, previous ? previous->seq + 1 : 1, board, std::nullopt};
    const QString error = m_store.storeRetained({}, {{projectId, state}});
    if (!error.isEmpty()) {
        done(0, writeFailed(error));
        return;
    }
    m_lastWriteMs = m_clock.elapsed();
    Publication p;
    p.topic = Topic::projectBoard(projectId);
    p.type = protocol::MessageType::BoardSnapshot;
    p.payload = BoardModel::snapshotMessage(p.topic, state.seq, board);
    p.access = access;
    p.seq = state.seq;
    Q_EMIT delivered(p);
    done(state.seq, {});
}

void EmbeddedEngine::board(qint64 projectId, std::function<void(std::optional<BoardState>)> reply)
{
    std::optional<BoardState> state = m_store.board(projectId);
    if (state)
        state->access = m_store.projectAccess(projectId);
    reply(state);
}

void EmbeddedEngine::boards(std::function<void(QList<BoardState>)> reply)
{
    QList<BoardState> all = m_store.boards();
    for (BoardState& state : all)
        state.access = m_store.projectAccess(state.projectId);
    reply(all);
}

void EmbeddedEngine::retained(const QString& topic, std::function<void(QList<RetainedMessage>)> reply)
{
    reply(m_store.retained(topic));
}

void EmbeddedEngine::projectAccess(qint64 projectId, std::function<void(std::optional<ProjectAccess>)> reply)
{
    reply(m_store.projectAccess(projectId));
}

void EmbeddedEngine::setProjectAccess(qint64 projectId, const ProjectAccess& access, Done done)
{
    const QString error = m_store.storeProjectAccess(projectId, access);
    if (!error.isEmpty()) {
        done(writeFailed(error));
        return;
    }
    m_lastWriteMs = m_clock.elapsed();
    done({});
}

} // namespace forgewire
