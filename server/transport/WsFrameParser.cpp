#include "transport/WsFrameParser.h"

#include "protocol/Protocol.h"
#include "transport/WsProtocol.h"

namespace forgewire {

using namespace ws;
using protocol::CloseCode::InvalidPayload;
using protocol::CloseCode::ProtocolError;
using protocol::CloseCode::TooBig;

namespace {

// Close codes a peer may send (RFC 6455 section 7.4 and the IANA registry); 1005, 1006 and 1015
// are reserved for reporting and never appear on the wire.
bool isValidCloseCode(quint16 code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

} // namespace

void WsFrameParser::fail(quint16 code, const char* reason, QList<Event>* events)
{
    m_finished = true;
    m_message.clear();
    events->append(Event{Event::Kind::Error, {}, code, QByteArray(reason)});
}

void WsFrameParser::feed(QByteArray& buffer, QList<Event>* events)
{
    qsizetype pos = 0;
    const auto* bytes = reinterpret_cast<const uchar*>(buffer.constData());
    while (!m_finished) {
        const qsizetype available = buffer.size() - pos;
        if (available < 2)
            break;
        const uchar* head = bytes + pos;
        const bool fin = head[0] & kFinBit;
        const quint8 opcode = head[0] & 0x0F;
        const bool masked = head[1] & 0x80;
        const quint8 length7 = head[1] & 0x7F;
        const bool isControl = opcode & 0x08;
        if (head[0] & 0x70) {
            fail(ProtocolError, "reserved bits set; no extension was negotiated", events);
            break;
        }
        if (!masked) {
            fail(ProtocolError, "client frames must be masked", events);
            break;
        }
        if (isControl) {
            if (opcode != kOpClose && opcode != kOpPing && opcode != kOpPong) {
                fail(ProtocolError, "unknown control opcode", events);
                break;
            }
            if (!fin || length7 > kMaxControlPayload) {
                fail(ProtocolError, "control frames are unfragmented and at most 125 bytes", events);
                break;
            }
        } else if (opcode != kOpContinuation && opcode != kOpText && opcode != kOpBinary) {
            fail(ProtocolError, "unknown data opcode", events);
            break;
        }
        qsizetype headerSize = 2;
        quint64 length = length7;
        if (length7 == 126) {
            if (available < 4)
                break;
            length = (quint64(head[2]) << 8) | head[3];
            headerSize = 4;
        } else if (length7 == 127) {
            if (available < 10)
                break;
            length = 0;
            for (int i = 0; i < 8; ++i)
                length = (length << 8) | head[2 + i];
            headerSize = 10;
            if (length >> 63) {
                fail(ProtocolError, "frame length has its most significant bit set", events);
                break;
            }
        }
        if (!isControl) {
            if (opcode == kOpContinuation && m_messageOpcode == 0) {
                fail(ProtocolError, "continuation frame without a message to continue", events);
                break;
            }
            if (opcode != kOpContinuation && m_messageOpcode != 0) {
                fail(ProtocolError, "new message before the fragmented one finished", events);
                break;
            }
            // Refused from the header: the payload is never buffered.
            if (length > quint64(m_maxMessageBytes - m_message.size())) {
                fail(TooBig, "message too big", events);
                break;
            }
        }
        headerSize += 4; // masking key
        if (available < headerSize || quint64(available - headerSize) < length)
            break;
        const uchar* mask = head + headerSize - 4;
        const auto* maskedPayload = head + headerSize;
        QByteArray payload(qsizetype(length), Qt::Uninitialized);
        char* out = payload.data();
        for (quint64 i = 0; i < length; ++i)
            out[i] = char(maskedPayload[i] ^ mask[i & 3]);
        pos += headerSize + qsizetype(length);

        switch (opcode) {
        case kOpPing:
            events->append(Event{Event::Kind::Ping, payload, 0, {}});
            continue;
        case kOpPong:
            events->append(Event{Event::Kind::Pong, payload, 0, {}});
            continue;
        case kOpClose: {
            m_finished = true;
            if (payload.size() == 1) {
                fail(ProtocolError, "close frame with a one-byte payload", events);
                break;
            }
            quint16 code = kNoStatusCode;
            QByteArray reason;
            if (payload.size() >= 2) {
                code = quint16((quint8(payload[0]) << 8) | quint8(payload[1]));
                reason = payload.mid(2);
                if (!isValidCloseCode(code)) {
                    fail(ProtocolError, "invalid close code", events);
                    break;
                }
                if (!reason.isValidUtf8()) {
                    fail(InvalidPayload, "close reason is not valid UTF-8", events);
                    break;
                }
            }
            events->append(Event{Event::Kind::Close, {}, code, reason});
            break;
        }
        default:
            if (opcode != kOpContinuation)
                m_messageOpcode = opcode;
            if (fin && m_message.isEmpty()) {
                // The common case, one frame per message: no copy into the accumulator.
                m_message = std::move(payload);
            } else {
                m_message.append(payload);
            }
            if (!fin)
                continue;
            const bool isText = m_messageOpcode == kOpText;
            m_messageOpcode = 0;
            QByteArray message = std::exchange(m_message, {});
            if (isText && !message.isValidUtf8()) {
                fail(InvalidPayload, "text message is not valid UTF-8", events);
                break;
            }
            events->append(
                Event{isText ? Event::Kind::Text : Event::Kind::Binary, std::move(message), 0, {}});
            continue;
        }
    }
    if (pos == buffer.size())
        buffer.clear(); // releases the allocation: an idle connection holds no input buffer
    else if (pos > 0)
        buffer.remove(0, pos);
}

} // namespace forgewire
