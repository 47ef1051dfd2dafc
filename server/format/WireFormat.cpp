#include "format/WireFormat.h"

#include "format/EventStreamFormat.h"
#include "format/EventTypeFormat.h"

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

const WireFormat& WireFormat::forSignIn(Wire wire, bool forgeSession, PageFormat pageFormat)
{
    static const EventStreamFormat eventStream;
    static const EventTypeFormat eventType;
    switch (wire) {
    case Wire::EventStream:
        return eventStream;
    case Wire::WebSocket:
        break;
    }
    return forgeSession && pageFormat == PageFormat::EventType ? static_cast<const WireFormat&>(eventType)
                                                               : json();
}

} // namespace forgewire
