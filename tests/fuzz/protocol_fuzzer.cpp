// protocol::decodeClientMessage and decodeServerMessage on arbitrary bytes (clients send the
// former; the tray and the publish API decode the latter).
//
// Invariant: whatever decodes re-encodes to bytes that decode again, and encoding is then stable
// (encode(decode(encode(m))) == encode(m)), so nothing a peer sends changes meaning on a relay.

#include "FuzzSupport.h"
#include "protocol/Protocol.h"

using namespace forgewire;

namespace {

template<typename Message, typename Decode>
void roundTrip(const QByteArray& bytes, Decode decode)
{
    const protocol::Decoded<Message> decoded = decode(bytes);
    FUZZ_ASSERT(decoded.value.has_value() == decoded.error.isEmpty());
    if (!decoded)
        return;
    protocol::typeName(*decoded.value);
    const QByteArray encoded = protocol::encode(*decoded.value);
    const protocol::Decoded<Message> again = decode(encoded);
    if (!again) {
        std::fprintf(stderr, "re-decoding failed: %s\n  input:   %s\n  encoded: %s\n",
                     qPrintable(again.error), bytes.constData(), encoded.constData());
    }
    FUZZ_ASSERT(again.value.has_value());
    FUZZ_ASSERT(protocol::encode(*again.value) == encoded);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    fuzz::silenceQtLogging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));
    roundTrip<protocol::ClientMessage>(bytes,
                                       [](const QByteArray& b) { return protocol::decodeClientMessage(b); });
    roundTrip<protocol::ServerMessage>(bytes,
                                       [](const QByteArray& b) { return protocol::decodeServerMessage(b); });
    return 0;
}
