#include "transport/WsProtocol.h"

namespace forgewire::ws {

namespace {

// RFC 6455 section 5.2, server to client: never masked.
QByteArray encodeFrame(quint8 opcode, const QByteArray& payload)
{
    const quint64 length = quint64(payload.size());
    QByteArray frame;
    frame.reserve(payload.size() + 10);
    frame.append(char(kFinBit | opcode));
    if (length <= 125) {
        frame.append(char(length));
    } else if (length <= 0xFFFF) {
        frame.append(char(126));
        frame.append(char(length >> 8));
        frame.append(char(length & 0xFF));
    } else {
        frame.append(char(127));
        for (int shift = 56; shift >= 0; shift -= 8)
            frame.append(char((length >> shift) & 0xFF));
    }
    frame.append(payload);
    return frame;
}

} // namespace

QByteArray textFrame(const QByteArray& utf8)
{
    return encodeFrame(kOpText, utf8);
}

QByteArray pingFrame(const QByteArray& payload)
{
    // Control frames carry at most 125 bytes (RFC 6455 section 5.5).
    return encodeFrame(kOpPing, payload.left(kMaxControlPayload));
}

QByteArray pongFrame(const QByteArray& payload)
{
    return encodeFrame(kOpPong, payload.left(kMaxControlPayload));
}

QByteArray closeFrame(quint16 code, const QByteArray& reason)
{
    // "No code": the frame carries none (the echo of a client's empty close).
    if (code == kNoStatusCode)
        return encodeFrame(kOpClose, {});
    QByteArray payload;
    payload.append(char(code >> 8));
    payload.append(char(code & 0xFF));
    // Cut at a character boundary: a close reason must stay valid UTF-8.
    QByteArray cut = reason.left(kMaxControlPayload - 2);
    while (!cut.isEmpty() && !cut.isValidUtf8())
        cut.chop(1);
    payload.append(cut);
    return encodeFrame(kOpClose, payload);
}

} // namespace forgewire::ws
