#pragma once

#include "http/HttpMessage.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QTcpServer>

#include <functional>
#include <optional>

class QTcpSocket;
class QTimer;

namespace forgewire {

// A small HTTP/1.1 server for the admin listener (publish API, health, metrics). Written here rather
// than on QtHttpServer 6.4 because the publish API must answer asynchronously (a Redis engine replies
// later) and must bound request bodies before buffering them; both are missing from that preview.
//
// Bounds (ServerLimits.h): at most maxConnections open connections (one more gets 503), a head of
// kMaxRequestHeadBytes, a body of kMaxPublishBodyBytes, requestTimeoutMs from a request's start to its
// last body byte, idleTimeoutMs between requests. A Guard sees every head before its body is read.
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
    // Called with each complete head before a byte of its body is buffered: a Response refuses the
    // request at once (and closes the connection if a body was announced), nullopt lets it through.
    using Guard = std::function<std::optional<Response>(const HttpRequestHead& head)>;

    explicit AdminServer(Handler handler, QObject* parent = nullptr);

    bool listen(const QHostAddress& address, quint16 port);
    quint16 port() const { return m_server.serverPort(); }
    QString errorString() const { return m_server.errorString(); }
    void close() { m_server.close(); }

    void setGuard(Guard guard) { m_guard = std::move(guard); }
    // The limits default to ServerLimits.h; tests shorten them.
    void setRequestTimeoutMs(int ms) { m_requestTimeoutMs = ms; }
    void setIdleTimeoutMs(int ms) { m_idleTimeoutMs = ms; }
    int openConnections() const { return m_open; }

private:
    enum class Phase
    {
        Request, // reading a request's head and body, under the request deadline
        Busy,    // the handler owes a response; further bytes wait in the socket
        Idle,    // kept alive between requests, under the idle timeout
        Closing  // the last response is out; discarding input until the peer closes or the linger ends
    };
    struct Connection
    {
        QByteArray buffer;
        std::optional<HttpRequestHead> head; // of the request whose body is being read
        QTimer* timer = nullptr;
        Phase phase = Phase::Request;
        bool counted = true; // false for one refused at the cap
        bool halfClosed = false;
    };

    void onNewConnection();
    void onReadyRead(QTcpSocket* socket);
    void onTimeout(QTcpSocket* socket);
    void process(QTcpSocket* socket);
    void reply(QTcpSocket* socket, const Response& response, bool keepAlive);
    void replyAndClose(QTcpSocket* socket, const Response& response);
    void halfCloseWhenFlushed(QTcpSocket* socket);

    QTcpServer m_server;
    Handler m_handler;
    Guard m_guard;
    QHash<QTcpSocket*, Connection> m_connections;
    int m_maxConnections;
    int m_requestTimeoutMs;
    int m_idleTimeoutMs;
    int m_open = 0;    // counted connections
    int m_refused = 0; // connections refused at the cap, still taking their 503
};

} // namespace forgewire
