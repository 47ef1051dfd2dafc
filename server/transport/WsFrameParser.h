#pragma once

#include <QByteArray>
#include <QList>

namespace forgewire {

// Server side of RFC 6455 framing: turns the bytes a client sent into messages and control frames.
//
// Incremental and bounded: feed() consumes the complete frames at the front of a buffer and leaves
// an incomplete one in place, and a frame that would take the message past the limit is refused from
// its header alone, so a client can never make the server buffer more than one frame header plus
// the message limit. After an error or a close frame it consumes nothing more.
class WsFrameParser
{
public:
    struct Event
    {
        enum class Kind
        {
            Text,   // payload: a complete message, valid UTF-8
            Binary, // payload: a complete message
            Ping,   // payload: the application data to echo in the pong
            Pong,
            Close, // code (ws::kNoStatusCode when the frame carried none) and reason
            Error  // the connection must close with code (a protocol::CloseCode) and reason
        };
        Kind kind;
        QByteArray payload;
        quint16 code = 0;
        QByteArray reason;
    };

    explicit WsFrameParser(qint64 maxMessageBytes) : m_maxMessageBytes(maxMessageBytes) {}

    // Parses the complete frames at the front of `buffer`, removes them, and appends what they
    // carried to `events`.
    void feed(QByteArray& buffer, QList<Event>* events);
    // An error or a close frame was seen: the rest of the stream is not read.
    bool isFinished() const { return m_finished; }
    // Bytes of a fragmented message received so far.
    qint64 pendingMessageBytes() const { return m_message.size(); }

private:
    void fail(quint16 code, const char* reason, QList<Event>* events);

    qint64 m_maxMessageBytes;
    quint8 m_messageOpcode = 0; // opcode of the fragmented message in progress, 0: none
    QByteArray m_message;
    bool m_finished = false;
};

} // namespace forgewire
