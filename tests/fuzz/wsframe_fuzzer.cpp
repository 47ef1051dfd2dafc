// WsFrameParser: a client byte stream cut into fuzzer-chosen chunks, as TCP may deliver it.
//
// Invariants: the parser never leaves more buffered than one frame header plus what the message
// limit still allows, never accumulates more than the limit, reports sane events, stops after an
// error or a close, and yields exactly the same events however the stream is chunked.

#include "FuzzSupport.h"
#include "transport/WsFrameParser.h"
#include "transport/WsProtocol.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>

using forgewire::WsFrameParser;
using Kind = WsFrameParser::Event::Kind;

namespace {

// Largest frame header: 2 bytes, 8 bytes of extended length, 4 bytes of masking key.
constexpr qint64 kMaxHeaderBytes = 14;
constexpr qint64 kMaxControlPayload = 125;

bool isValidCloseCode(quint16 code)
{
    return code == forgewire::ws::kNoStatusCode || (code >= 1000 && code <= 1003) ||
           (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

void checkEvent(const WsFrameParser::Event& event, qint64 limit)
{
    switch (event.kind) {
    case Kind::Text:
        FUZZ_ASSERT(event.payload.isValidUtf8());
        [[fallthrough]];
    case Kind::Binary:
        FUZZ_ASSERT(event.payload.size() <= limit);
        break;
    case Kind::Ping:
    case Kind::Pong:
        FUZZ_ASSERT(event.payload.size() <= kMaxControlPayload);
        break;
    case Kind::Close:
        FUZZ_ASSERT(isValidCloseCode(event.code));
        FUZZ_ASSERT(event.reason.size() <= kMaxControlPayload - 2);
        FUZZ_ASSERT(event.reason.isValidUtf8());
        break;
    case Kind::Error:
        FUZZ_ASSERT(event.code == 1002 || event.code == 1007 || event.code == 1009);
        FUZZ_ASSERT(!event.reason.isEmpty());
        break;
    }
}

bool sameEvents(const QList<WsFrameParser::Event>& a, const QList<WsFrameParser::Event>& b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (a[i].kind != b[i].kind || a[i].payload != b[i].payload || a[i].code != b[i].code ||
            a[i].reason != b[i].reason)
            return false;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    forgewire::fuzz::silenceQtLogging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    FuzzedDataProvider provider(data, size);
    // Small limits reach the 1009 paths with short inputs; 0 refuses every non-empty data frame.
    const qint64 limit = provider.ConsumeIntegralInRange<qint64>(0, 1024);

    WsFrameParser chunked(limit);
    QByteArray buffer;
    QByteArray stream;
    QList<WsFrameParser::Event> events;
    while (provider.remaining_bytes() > 0) {
        const size_t chunkSize = provider.ConsumeIntegralInRange<size_t>(1, 64);
        const std::string chunk = provider.ConsumeBytesAsString(chunkSize);
        buffer.append(chunk.data(), qsizetype(chunk.size()));
        stream.append(chunk.data(), qsizetype(chunk.size()));

        const bool wasFinished = chunked.isFinished();
        const qsizetype before = events.size();
        chunked.feed(buffer, &events);
        if (wasFinished)
            FUZZ_ASSERT(events.size() == before);
        for (qsizetype i = before; i < events.size(); ++i) {
            checkEvent(events[i], limit);
            const bool terminal = events[i].kind == Kind::Error || events[i].kind == Kind::Close;
            FUZZ_ASSERT(!terminal || i == events.size() - 1);
        }
        FUZZ_ASSERT(chunked.pendingMessageBytes() <= limit);
        if (!chunked.isFinished()) {
            // What is left is one incomplete frame whose header already passed the size check.
            const qint64 room = std::max(kMaxControlPayload, limit - chunked.pendingMessageBytes());
            FUZZ_ASSERT(buffer.size() < kMaxHeaderBytes + room);
        } else {
            FUZZ_ASSERT(!events.isEmpty());
            FUZZ_ASSERT(events.last().kind == Kind::Error || events.last().kind == Kind::Close);
            FUZZ_ASSERT(chunked.pendingMessageBytes() == 0 || events.last().kind == Kind::Close);
        }
    }

    WsFrameParser whole(limit);
    QList<WsFrameParser::Event> wholeEvents;
    whole.feed(stream, &wholeEvents);
    FUZZ_ASSERT(sameEvents(events, wholeEvents));
    FUZZ_ASSERT(whole.isFinished() == chunked.isFinished());
    return 0;
}
