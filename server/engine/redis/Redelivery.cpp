#include "engine/redis/Redelivery.h"

#include "broker/BoardModel.h"
#include "engine/Engine.h"
#include "protocol/Topic.h"

#include <utility>

namespace forgewire {

Redelivery::Redelivery(Engine* engine, Wanted wanted, Deliver deliver)
    : m_engine(engine), m_wanted(std::move(wanted)), m_deliver(std::move(deliver))
{}

void Redelivery::noteLive(const Publication& publication)
{
    const auto catchUp = m_catchingUp.find(publication.topic);
    if (catchUp == m_catchingUp.end())
        return;
    const bool board = Topic::parse(publication.topic).kind() == Topic::Kind::ProjectBoard;
    catchUp->live.insert(board ? QString(protocol::MessageType::BoardSnapshot) : publication.type);
}

void Redelivery::answered(const QString& topic)
{
    const auto catchUp = m_catchingUp.find(topic);
    if (catchUp != m_catchingUp.end() && --catchUp->reads <= 0)
        m_catchingUp.erase(catchUp);
}

void Redelivery::start(const QString& topic)
{
    const Topic parsed = Topic::parse(topic);
    const bool isBoard = parsed.kind() == Topic::Kind::ProjectBoard;
    m_catchingUp.insert(topic, CatchUp{isBoard ? 2 : 1, {}});
    m_engine->retained(topic, [this, topic](const QList<RetainedMessage>& messages) {
        const QSet<QString> live = m_catchingUp.value(topic).live;
        answered(topic);
        if (!m_wanted(topic))
            return;
        for (const RetainedMessage& message : messages) {
            if (live.contains(message.type))
                continue; // a newer one was delivered live while this was read
            Publication p;
            p.topic = topic;
            p.type = message.type;
            p.payload = message.payload;
            m_deliver(p);
        }
    });
    // A live board's events published meanwhile are a gap to its readers: a fresh snapshot closes it
    // without each client asking for a resync.
    if (!isBoard)
        return;
    m_engine->board(parsed.id(), [this, topic](const std::optional<BoardState>& state) {
        const bool superseded =
            m_catchingUp.value(topic).live.contains(QString(protocol::MessageType::BoardSnapshot));
        answered(topic);
        if (!state || superseded || !m_wanted(topic))
            return;
        Publication p;
        p.topic = topic;
        p.type = protocol::MessageType::BoardSnapshot;
        p.payload = BoardModel::snapshotMessage(topic, state->seq, state->board);
        p.access = state->access.value_or(ProjectAccess{});
        p.seq = state->seq;
        m_deliver(p);
    });
}

} // namespace forgewire
