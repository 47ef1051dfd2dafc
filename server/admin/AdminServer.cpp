#include "admin/AdminServer.h"

#include "config/ServerLimits.h"
#include "config/ServerLogging.h"

#include <QTcpSocket>
#include <QTimer>

#include <sys/socket.h>

namespace forgewire {

namespace {
// After a closing response the write side is shut and input is read and dropped for this long, so
// a client still sending a body reads the response instead of a reset (RFC 9112 9.6). It holds the
// connection's slot meanwhile.
constexpr int kLingerMs = 2'000;
// Qt's per-socket read buffer: a connection that is not being read (its request is with the
// handler) holds at most this much in the process; the kernel and TCP flow control hold the rest.
constexpr qint64 kSocketReadBufferBytes = 64 * 1024;
} // namespace

AdminServer::AdminServer(Handler handler, QObject* parent)
    : QObject(parent), m_handler(std::move(handler)), m_maxConnections(limits::kMaxAdminConnections),
      m_requestTimeoutMs(limits::kAdminRequestTimeoutMs), m_idleTimeoutMs(limits::kAdminIdleTimeoutMs)
{
    connect(&m_server, &QTcpServer::newConnection, this, &AdminServer::onNewConnection);
}

bool AdminServer::listen(const QHostAddress& address, quint16 port)
{
    return m_server.listen(address, port);
}

void AdminServer::onNewConnection()
{
    while (QTcpSocket* socket = m_server.nextPendingConnection()) {
        const bool overCap = m_open >= m_maxConnections;
        if (overCap && m_refused >= m_maxConnections) {
            // A flood: even the 503s are capped.
            socket->abort();
            socket->deleteLater();
            continue;
        }
        socket->setParent(this);
        socket->setReadBufferSize(kSocketReadBufferBytes);
        Connection connection;
        connection.counted = !overCap;
        connection.timer = new QTimer(socket);
        connection.timer->setSingleShot(true);
        connect(connection.timer, &QTimer::timeout, this, [this, socket] { onTimeout(socket); });
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::bytesWritten, this, [this, socket] { halfCloseWhenFlushed(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            const auto it = m_connections.constFind(socket);
            if (it != m_connections.cend()) {
                --(it->counted ? m_open : m_refused);
                m_connections.erase(it);
            }
            socket->deleteLater();
        });
        m_connections.insert(socket, connection);
        if (overCap) {
            ++m_refused;
            qCWarning(lcHttp) << "admin connection cap" << m_maxConnections << "reached; refusing"
                              << socket->peerAddress();
            replyAndClose(socket, {503, R"({"error":"too many admin connections"})", "application/json",
                                   "Retry-After: 1\r\n"});
            continue;
        }
        ++m_open;
        // The first request's deadline runs from the accept: a silent connection is a slow one.
        connection.timer->start(m_requestTimeoutMs);
    }
}

void AdminServer::onReadyRead(QTcpSocket* socket)
{
    const auto it = m_connections.find(socket);
    if (it == m_connections.end())
        return;
    switch (it->phase) {
    case Phase::Closing:
        socket->readAll();
        return;
    case Phase::Busy:
        return;
    case Phase::Idle:
        it->phase = Phase::Request;
        it->timer->start(m_requestTimeoutMs);
        break;
    case Phase::Request:
        break; // the deadline keeps running: bytes do not extend it
    }
    process(socket);
}

void AdminServer::onTimeout(QTcpSocket* socket)
{
    const auto it = m_connections.find(socket);
    if (it == m_connections.end())
        return;
    switch (it->phase) {
    case Phase::Request:
        qCInfo(lcHttp) << "admin request not complete within" << m_requestTimeoutMs << "ms; closing"
                       << socket->peerAddress();
        replyAndClose(socket, {408, R"({"error":"request not complete in time"})"});
        return;
    case Phase::Idle:
        socket->disconnectFromHost();
        return;
    case Phase::Closing:
        socket->abort();
        return;
    case Phase::Busy:
        return;
    }
}

void AdminServer::process(QTcpSocket* socket)
{
    auto it = m_connections.find(socket);
    if (it == m_connections.end() || it->phase != Phase::Request)
        return;
    Connection& connection = *it;

    if (!connection.head) {
        // One byte past the head limit at most: enough to tell a head that is too large.
        const qint64 room = limits::kMaxRequestHeadBytes + 1 - connection.buffer.size();
        if (room > 0)
            connection.buffer += socket->read(room);
        HttpRequestHead head;
        switch (parseHttpHead(connection.buffer, limits::kMaxRequestHeadBytes, &head)) {
        case HttpParseStatus::Incomplete:
            return;
        case HttpParseStatus::TooLarge:
            replyAndClose(socket, {431, R"({"error":"request head too large"})"});
            return;
        case HttpParseStatus::Invalid:
            replyAndClose(socket, {400, R"({"error":"malformed HTTP request"})"});
            return;
        case HttpParseStatus::Complete:
            break;
        }
        if (!head.header("transfer-encoding").isEmpty()) {
            replyAndClose(socket, {411, R"({"error":"send the body with Content-Length"})"});
            return;
        }
        const qint64 length = qMax<qint64>(head.contentLength, 0);
        if (m_guard) {
            if (const std::optional<Response> refusal = m_guard(head)) {
                qCDebug(lcHttp).noquote() << refusal->status << logSafe(head.method) << logSafe(head.path)
                                          << "refused before the body";
                if (length > 0) {
                    replyAndClose(socket, *refusal); // its body is never read
                    return;
                }
                connection.buffer.remove(0, head.length);
                connection.phase = Phase::Busy;
                connection.timer->stop();
                reply(socket, *refusal, head.minorVersion >= 1 && !head.hasToken("connection", "close"));
                return;
            }
        }
        if (length > limits::kMaxPublishBodyBytes) {
            replyAndClose(socket,
                          {413, R"({"error":"body over )" + QByteArray::number(limits::kMaxPublishBodyBytes) +
                                    R"( bytes"})"});
            return;
        }
        connection.head = std::move(head);
    }

    const qint64 length = qMax<qint64>(connection.head->contentLength, 0);
    const qint64 total = connection.head->length + length;
    if (connection.buffer.size() < total) {
        connection.buffer.reserve(total);
        connection.buffer += socket->read(total - connection.buffer.size());
        if (connection.buffer.size() < total)
            return;
    }
    const HttpRequestHead head = std::move(*connection.head);
    connection.head.reset();
    const QByteArray body = connection.buffer.mid(head.length, length);
    connection.buffer.remove(0, total);
    connection.phase = Phase::Busy;
    connection.timer->stop();
    // HTTP/1.0 has no reliable keep-alive: answer with Connection: close and close.
    const bool keepAlive = head.minorVersion >= 1 && !head.hasToken("connection", "close");
    qCDebug(lcHttp).noquote() << logSafe(head.method) << logSafe(head.path) << length << "bytes";
    QPointer<QTcpSocket> guard(socket);
    m_handler(head, body, [this, guard, keepAlive](const Response& r) {
        if (guard)
            reply(guard, r, keepAlive);
    });
}

void AdminServer::reply(QTcpSocket* socket, const Response& response, bool keepAlive)
{
    const auto it = m_connections.find(socket);
    if (it == m_connections.end() || it->phase != Phase::Busy)
        return; // answered already, or closed meanwhile
    if (!keepAlive) {
        replyAndClose(socket, response);
        return;
    }
    socket->write(
        httpResponse(response.status, response.body, response.contentType, response.extraHeaders, true));
    // Out now rather than on the next pass of the event loop: a publisher waiting for its 202 before
    // the next batch waits one pass less.
    socket->flush();
    if (it->buffer.isEmpty() && socket->bytesAvailable() == 0) {
        it->phase = Phase::Idle;
        it->timer->start(m_idleTimeoutMs);
        return;
    }
    // A pipelined request is already here: its deadline starts now.
    it->phase = Phase::Request;
    it->timer->start(m_requestTimeoutMs);
    QMetaObject::invokeMethod(
        this,
        [this, guard = QPointer<QTcpSocket>(socket)] {
            if (guard)
                process(guard);
        },
        Qt::QueuedConnection);
}

void AdminServer::replyAndClose(QTcpSocket* socket, const Response& response)
{
    const auto it = m_connections.find(socket);
    if (it == m_connections.end())
        return;
    it->phase = Phase::Closing;
    it->buffer.clear();
    it->head.reset();
    it->timer->start(kLingerMs);
    socket->write(
        httpResponse(response.status, response.body, response.contentType, response.extraHeaders, false));
    socket->flush();
    socket->readAll();
    halfCloseWhenFlushed(socket);
}

void AdminServer::halfCloseWhenFlushed(QTcpSocket* socket)
{
    const auto it = m_connections.find(socket);
    if (it == m_connections.end() || it->phase != Phase::Closing || it->halfClosed ||
        socket->bytesToWrite() > 0)
        return;
    // Qt has no half-close: shut the write side by hand so the client sees the end of the
    // response, while its unread request bytes are still drained here instead of provoking an RST.
    it->halfClosed = true;
    ::shutdown(static_cast<int>(socket->socketDescriptor()), SHUT_WR);
}

} // namespace forgewire
