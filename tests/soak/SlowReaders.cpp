#include "SlowReaders.h"

#include <QRandomGenerator>
#include <QString>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace forgewire {

namespace {

// A masked client text frame (payloads under 126 bytes only).
QByteArray textFrame(const QByteArray& payload)
{
    QByteArray frame;
    frame.append(char(0x81));
    frame.append(char(0x80 | payload.size()));
    const quint32 key = QRandomGenerator::global()->generate();
    const char mask[4] = {char(key >> 24), char(key >> 16), char(key >> 8), char(key)};
    frame.append(mask, 4);
    for (qsizetype i = 0; i < payload.size(); ++i)
        frame.append(char(payload.at(i) ^ mask[i % 4]));
    return frame;
}

} // namespace

bool SlowReaders::open(quint16 port, const QByteArrayList& tokens, const QString& topic)
{
    for (const QByteArray& token : tokens) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return false;
        int buffer = kReceiveBuffer;
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            ::close(fd);
            return false;
        }
        m_descriptors.append(fd);
        // The 101 and hello stay unread with the rest; the subscribe goes right behind the request.
        const QByteArray request = "GET /-/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                   "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer " +
                                   token + "\r\n\r\n" +
                                   textFrame(R"({"type":"subscribe","topic":")" + topic.toUtf8() + R"("})");
        if (::send(fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL) != request.size())
            return false;
    }
    return true;
}

void SlowReaders::closeAll()
{
    for (int fd : std::as_const(m_descriptors))
        ::close(fd);
    m_descriptors.clear();
}

} // namespace forgewire
