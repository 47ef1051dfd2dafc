#include "format/WireFormat.h"

#include "format/EventStreamFormat.h"

namespace forgewire {

namespace {

class JsonFormat final : public WireFormat
{
public:
    Payload encode(const QByteArray& json, const QByteArray& frame, const Identity&) const override
    {
        return {json, frame};
    }
};

} // namespace

const WireFormat& WireFormat::json()
{
    static const JsonFormat format;
    return format;
}

const WireFormat& WireFormat::forSignIn(Wire wire, const Identity& who)
{
    Q_UNUSED(who)
    static const EventStreamFormat eventStream;
    switch (wire) {
    case Wire::EventStream:
        return eventStream;
    case Wire::WebSocket:
        break;
    }
    return json();
}

} // namespace forgewire
