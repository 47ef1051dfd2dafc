#include "protocol/ApplicationEvent.h"

#include "protocol/Protocol.h"

#include <algorithm>

namespace forgewire::protocol {

namespace ApplicationEvent {

using namespace Qt::StringLiterals;

bool isReserved(QStringView type)
{
    // PROTOCOL.md v1.1's list, and the client-to-server names, so an event can never be mistaken for
    // a protocol message by any side.
    static constexpr QLatin1StringView kReserved[] = {
        MessageType::Hello,  MessageType::Subscribed,    MessageType::Unsubscribed, MessageType::Error,
        MessageType::Pong,   MessageType::Ping,          MessageType::Subscribe,    MessageType::Unsubscribe,
        MessageType::Boards, MessageType::BoardSnapshot, MessageType::Resync,       MessageType::ListBoards,
    };
    return std::any_of(std::begin(kReserved), std::end(kReserved),
                       [type](QLatin1StringView reserved) { return type == reserved; });
}

bool isApplicationType(QStringView type)
{
    if (type.isEmpty() || type.size() > kMaxTypeLength)
        return false;
    const bool allowed = std::all_of(type.begin(), type.end(), [](QChar c) {
        return (c >= u'a' && c <= u'z') || (c >= u'0' && c <= u'9') || c == u'.' || c == u'_' || c == u'-';
    });
    if (!allowed || isReserved(type))
        return false;
    return !isPublishableType(type);
}

} // namespace ApplicationEvent

bool isPublishableType(QStringView type)
{
    return type == MessageType::NotificationCount || type == MessageType::Stopwatches ||
           type == MessageType::Logout || type == MessageType::Board;
}

} // namespace forgewire::protocol
