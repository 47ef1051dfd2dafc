#pragma once

#include "broker/Publication.h"

#include <QHash>
#include <QSet>
#include <QString>

#include <functional>

namespace forgewire {

class Engine;

// A topic's state delivered again after a gap in its live stream (a subscription lost and made
// again, a slot that moved to another shard): other nodes may have published meanwhile, so its
// retained messages (and its board's snapshot) are read again and sent to the local subscribers.
//
// The reads and the live publications come on different connections, so a read Redis answered
// before a publish can reach this node after it: a type delivered live while the read was on its
// way is newer than what the read holds and is not sent again (for a board, any live event
// supersedes the snapshot: a reader behind it closes its gap by resync).
class Redelivery
{
public:
    using Deliver = std::function<void(const Publication&)>;
    // Whether the topic still has local subscribers when the read comes back.
    using Wanted = std::function<bool(const QString& topic)>;

    Redelivery(Engine* engine, Wanted wanted, Deliver deliver);

    // Reads `topic`'s state through the engine and delivers it, minus what noteLive() saw meanwhile.
    void start(const QString& topic);
    // A publication about to be delivered live.
    void noteLive(const Publication& publication);
    // Forgets the reads under way (their answers then deliver all they hold).
    void clear() { m_catchingUp.clear(); }

private:
    struct CatchUp
    {
        int reads = 0;
        QSet<QString> live;
    };

    void answered(const QString& topic);

    Engine* m_engine;
    Wanted m_wanted;
    Deliver m_deliver;
    // Bounded by the watched topics.
    QHash<QString, CatchUp> m_catchingUp;
};

} // namespace forgewire
