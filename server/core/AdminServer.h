#pragma once

#include "HttpMessage.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QTcpServer>

#include <functional>

class QTcpSocket;

namespace forgewire {

// A small HTTP/1.1 server for the admin listener (publish API, health, metrics). Written here rather
// than on QtHttpServer 6.4 because the publish API must answer asynchronously (a Redis engine replies
// later) and must bound request bodies before buffering them; both are missing from that preview.
class AdminServer : public QObject
{
    Q_OBJECT
public:
    struct Response
    {
        Response(int status = 200, QByteArray body = {}, QByteArray contentType = "application/json",
                 QByteArray extraHeaders = {})
            : status(status), body(std::move(body)), contentType(std::move(contentType)),
              extraHeaders(std::move(extraHeaders))
        {}
        int status;
        QByteArray body;
        QByteArray contentType;
        QByteArray extraHeaders;
    };
    using Respond = std::function<void(const Response&)>;
    using Handler = std::function<void(const HttpRequestHead& head, const QByteArray& body, Respond respond)>;

    explicit AdminServer(Handler handler, QObject* parent = nullptr);

    bool listen(const QHostAddress& address, quint16 port);
    quint16 port() const { return m_server.serverPort(); }
    QString errorString() const { return m_server.errorString(); }
    void close() { m_server.close(); }

private:
    struct Connection
    {
        QByteArray buffer;
        bool busy = false; // a response is outstanding: pipelined requests wait
    };

    void onNewConnection();
    void process(QTcpSocket* socket);

    QTcpServer m_server;
    Handler m_handler;
    QHash<QTcpSocket*, Connection> m_connections;
};

} // namespace forgewire
