#pragma once

#include <QByteArray>
#include <QtGlobal>

// RFC 6455 framing constants and the server's frame encoders, for the parser (client to server) and
// every transport (server to client). The close codes a frame carries are in protocol::CloseCode.
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

// Server-to-client frames (never masked), so one encoded frame is valid for every recipient.
QByteArray textFrame(const QByteArray& utf8);
QByteArray pingFrame(const QByteArray& payload = {});
QByteArray pongFrame(const QByteArray& payload);
// `reason` is cut to fit a control frame (123 bytes after the code); kNoStatusCode: empty close.
QByteArray closeFrame(quint16 code, const QByteArray& reason);

} // namespace forgewire::ws
