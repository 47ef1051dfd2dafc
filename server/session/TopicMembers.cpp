#include "session/TopicMembers.h"

namespace forgewire {

qsizetype TopicMembers::indexOf(ClientSession* session) const
{
    if (!m_positions.isEmpty())
        return m_positions.value(session, -1);
    for (qsizetype i = 0; i < m_list.size(); ++i) {
        if (m_list[i] == session)
            return i;
    }
    return -1;
}

bool TopicMembers::insert(ClientSession* session)
{
    if (contains(session))
        return false;
    m_list.append(session);
    if (!m_positions.isEmpty()) {
        m_positions.insert(session, m_list.size() - 1);
    } else if (m_list.size() >= kIndexedFrom) {
        m_positions.reserve(m_list.size() * 2);
        for (qsizetype i = 0; i < m_list.size(); ++i)
            m_positions.insert(m_list[i], i);
    }
    return true;
}

bool TopicMembers::remove(ClientSession* session)
{
    const qsizetype i = indexOf(session);
    if (i < 0)
        return false;
    ClientSession* last = m_list.back();
    m_list[i] = last;
    m_list.removeLast();
    if (!m_positions.isEmpty()) {
        m_positions.remove(session);
        if (last != session)
            m_positions[last] = i;
        // Well below the threshold, so a topic hovering around it does not rebuild the index often.
        if (m_list.size() < kIndexedFrom / 2)
            m_positions = {};
    }
    if (m_list.isEmpty())
        m_list = {}; // back to the inline storage
    return true;
}

} // namespace forgewire
