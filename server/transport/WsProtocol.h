#pragma once

#include <QtGlobal>

// RFC 6455 framing constants, for the server's parser (client to server) and its outbox (server to
// client). The close codes a frame carries are in protocol::CloseCode.
namespace forgewire::ws {

// Section 5.2: the first byte of a frame is FIN, three reserved bits and the opcode.
constexpr quint8 kFinBit = 0x80;

constexpr quint8 kOpContinuation = 0x0;
constexpr quint8 kOpText = 0x1;
constexpr quint8 kOpBinary = 0x2;
constexpr quint8 kOpClose = 0x8;
constexpr quint8 kOpPing = 0x9;
constexpr quint8 kOpPong = 0xA;

// Section 5.5: a control frame's payload; a close frame's reason is what is left after the code.
constexpr int kMaxControlPayload = 125;

// Section 7.4.1: the code a close frame without one reports. Never sent as a code: closing with it
// sends an empty close frame.
constexpr quint16 kNoStatusCode = 1005;

} // namespace forgewire::ws
