#include "AdminServer.h"

#include "ServerLimits.h"
#include "ServerLogging.h"

#include <QTcpSocket>
#include <QTimer>

namespace forgewire {

namespace {
// Admin requests come from forges and operators on a private port; a stuck one is dropped.
constexpr int kAdminIdleTimeoutMs = 30'000;
constexpr qint64 kMaxAdminHeadBytes = 16 * 1024;
} // namespace

AdminServer::AdminServer(Handler handler, QObject* parent) : QObject(parent), m_handler(std::move(handler))
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
        socket->setParent(this);
        m_connections.insert(socket, {});
        auto* idle = new QTimer(socket);
        idle->setSingleShot(true);
        idle->setInterval(kAdminIdleTimeoutMs);
        connect(idle, &QTimer::timeout, socket, &QTcpSocket::abort);
        idle->start();
        connect(socket, &QTcpSocket::readyRead, this, [this, socket, idle] {
            idle->start();
            process(socket);
        });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            m_connections.remove(socket);
            socket->deleteLater();
        });
    }
}

void AdminServer::process(QTcpSocket* socket)
{
    auto it = m_connections.find(socket);
    if (it == m_connections.end())
        return;
    it->buffer += socket->readAll();
    if (it->busy)
        return;

    QPointer<QTcpSocket> guard(socket);
    auto reply = [this, guard](const Response& r, bool keepAlive) {
        if (!guard)
            return;
        guard->write(httpResponse(r.status, r.body, r.contentType, r.extraHeaders, keepAlive));
        if (!keepAlive) {
            guard->disconnectFromHost();
            return;
        }
        auto conn = m_connections.find(guard.data());
        if (conn == m_connections.end())
            return;
        conn->busy = false;
        if (!conn->buffer.isEmpty())
            QMetaObject::invokeMethod(
                this,
                [this, guard] {
                    if (guard)
                        process(guard);
                },
                Qt::QueuedConnection);
    };

    HttpRequestHead head;
    switch (parseHttpHead(it->buffer, kMaxAdminHeadBytes, &head)) {
    case HttpParseStatus::Incomplete:
        return;
    case HttpParseStatus::TooLarge:
        it->busy = true;
        reply({431, R"({"error":"request head too large"})"}, false);
        return;
    case HttpParseStatus::Invalid:
        it->busy = true;
        reply({400, R"({"error":"malformed HTTP request"})"}, false);
        return;
    case HttpParseStatus::Complete:
        break;
    }
    if (!head.header("transfer-encoding").isEmpty()) {
        it->busy = true;
        reply({411, R"({"error":"send the body with Content-Length"})"}, false);
        return;
    }
    bool ok = true;
    const QByteArray lengthHeader = head.header("content-length");
    const qint64 length = lengthHeader.isEmpty() ? 0 : lengthHeader.toLongLong(&ok);
    if (!ok || length < 0) {
        it->busy = true;
        reply({400, R"({"error":"bad Content-Length"})"}, false);
        return;
    }
    if (length > limits::kMaxPublishBodyBytes) {
        it->busy = true;
        reply({413,
               R"({"error":"body over )" + QByteArray::number(limits::kMaxPublishBodyBytes) + R"( bytes"})"},
              false);
        return;
    }
    if (it->buffer.size() < head.length + length)
        return;
    const QByteArray body = it->buffer.mid(head.length, length);
    it->buffer.remove(0, head.length + length);
    it->busy = true;
    const bool keepAlive = !head.hasToken("connection", "close");
    qCDebug(lcHttp).noquote() << logSafe(head.method) << logSafe(head.path) << length << "bytes";
    m_handler(head, body, [reply, keepAlive](const Response& r) { reply(r, keepAlive); });
}

} // namespace forgewire
