#pragma once

#include <QHash>
#include <QVarLengthArray>

namespace forgewire {

class ClientSession;

// The sessions subscribed to one topic on one worker. Most topics are a user's own and have one
// member: those are held inline, with no allocation (a QSet allocated about 580 bytes per topic, a
// third of an idle connection's memory). Past kIndexedFrom members a position index keeps insert and
// remove O(1), so a broadcast topic with every connection in it stays cheap to leave.
class TopicMembers
{
public:
    static constexpr qsizetype kIndexedFrom = 32;

    // False when `session` is a member already.
    bool insert(ClientSession* session);
    // False when `session` was not a member. The last member takes the removed one's place.
    bool remove(ClientSession* session);
    bool contains(ClientSession* session) const { return indexOf(session) >= 0; }
    qsizetype size() const { return m_list.size(); }
    bool isEmpty() const { return m_list.isEmpty(); }

    ClientSession* const* begin() const { return m_list.cbegin(); }
    ClientSession* const* end() const { return m_list.cend(); }

private:
    qsizetype indexOf(ClientSession* session) const;

    QVarLengthArray<ClientSession*, 1> m_list;
    QHash<ClientSession*, qsizetype> m_positions; // empty (no allocation) below kIndexedFrom
};

} // namespace forgewire
