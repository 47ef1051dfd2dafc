#pragma once

// Real-socket helpers shared by the server and client tests: an in-process forgewire::Server on
// loopback, a QWebSocket client that records what it receives, a raw TCP client for the cases a
// well-behaved QWebSocket cannot produce, and a blocking HTTP helper for the admin API.

#include "daemon/Server.h"
#include "protocol/Jwt.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QNetworkAccessManager>
#include <QObject>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QUrl>
#include <QWebSocket>

#include <memory>

namespace forgewire::test {

constexpr int kWaitMs = 5000;

inline const QByteArray kJwtSecret = "test-jwt-secret";
inline const QByteArray kPublisherSecret = "test-publisher-secret";

// A signed HS256 token for `userId`, valid for an hour unless `expires` says otherwise.
QByteArray makeToken(qint64 userId, const QString& login, const QString& sid = {},
                     const QStringList& topics = {},
                     const QDateTime& expires = QDateTime::currentDateTimeUtc().addSecs(3600),
                     const QByteArray& secret = kJwtSecret);

// The daemon tests run every case on each client transport built here (epoll and qt on Linux): a
// test's initTestCase_data() calls addTransportRows() (QTest global data, column `transport`), its
// init() calls useGlobalTransport(), and testConfig() then picks that transport.
void addTransportRows();
void useGlobalTransport();
QString currentTransport();

// The configuration tests start from: loopback, any free ports, an in-memory state unless a path is
// given, two workers so cross-thread paths are exercised, the transport of the current row.
ServerConfig testConfig(const QString& statePath = QStringLiteral(":memory:"));

struct HttpReply
{
    int status = 0;
    QByteArray body;
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QByteArray header(const QByteArray& name) const;
    QList<std::pair<QByteArray, QByteArray>> headers;
};

// Blocking HTTP request (runs a local event loop).
HttpReply http(const QByteArray& method, const QUrl& url, const QByteArray& body = {},
               const QByteArray& bearer = kPublisherSecret);

// An in-process server on loopback.
class ServerFixture
{
public:
    explicit ServerFixture(ServerConfig config = testConfig());
    ~ServerFixture();
    bool start();
    QString error() const { return m_error; }
    Server* server() const { return m_server.get(); }
    QUrl wsUrl(const QString& query = {}) const;
    QUrl adminUrl(const QString& path) const;
    HttpReply admin(const QByteArray& method, const QString& path, const QByteArray& body = {},
                    const QByteArray& bearer = kPublisherSecret) const;
    // Publishes and expects 202.
    bool publish(const QString& path, const QByteArray& body, const QByteArray& method = "POST") const;
    ServerConfig& config() { return m_config; }
    void stop();

private:
    ServerConfig m_config;
    std::unique_ptr<Server> m_server;
    QString m_error;
};

// A QWebSocket client that queues every text message it receives, parsed.
class WsClient : public QObject
{
    Q_OBJECT
public:
    explicit WsClient(QObject* parent = nullptr);
    ~WsClient() override;

    // Opens and waits for the connection; `token` goes in the Authorization header.
    bool open(const QUrl& url, const QByteArray& token = {}, const QByteArray& scheme = "Bearer");
    // Waits for the next message; an empty object on timeout.
    QJsonObject next(int timeoutMs = kWaitMs);
    // Waits for the next message of `type`, skipping others (which stay unread); empty on timeout.
    QJsonObject nextOfType(const QString& type, int timeoutMs = kWaitMs);
    // True if no message arrives within `ms`.
    bool silentFor(int ms);
    void send(const QJsonObject& message);
    void sendRaw(const QString& text);
    void subscribe(const QString& topic);
    // Waits until closed; returns the close code (or -1 on timeout).
    int waitClosed(int timeoutMs = kWaitMs);
    QWebSocket& socket() { return m_socket; }
    bool isOpen() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    QList<QJsonObject>& queue() { return m_queue; }

private:
    QWebSocket m_socket;
    QList<QJsonObject> m_queue;
    bool m_closed = false;
    bool m_opened = false;
};

// Speaks the WebSocket handshake by hand and then does only what the test says: it never answers
// pings by itself and can stop reading, so it plays dead peers and slow consumers.
class RawWsClient
{
public:
    bool connectAndUpgrade(quint16 port, const QByteArray& path = "/-/ws",
                           const QByteArray& extraHeaders = {}, int receiveBuffer = 0,
                           const QHostAddress& host = QHostAddress(QHostAddress::LocalHost));
    QTcpSocket& socket() { return m_socket; }
    // The response head when connectAndUpgrade() got something other than 101.
    const QByteArray& refusal() const { return m_buffer; }
    // Reads frames until a close frame arrives; returns its code or -1 on timeout.
    int readUntilClose(int timeoutMs = kWaitMs);
    // Sends one masked text frame.
    void sendText(const QByteArray& payload);
    // Sends one frame as given: `firstByte` is FIN, RSV and opcode; unmasked only when told.
    void sendFrame(quint8 firstByte, const QByteArray& payload, bool masked = true);
    // A frame's bytes, for tests that write them with something else (e.g. behind a request).
    static QByteArray frame(quint8 firstByte, const QByteArray& payload, bool masked = true);
    QByteArray readAvailableFor(int ms);

private:
    QTcpSocket m_socket;
    QByteArray m_buffer;
};

// Reads `GET /user/events` the way an EventSource does, over a raw socket so the test sees every
// byte: the response head, then events (comments skipped by next(), kept in body()).
class SseClient
{
public:
    struct Event
    {
        QByteArray name;
        QByteArray data;
        bool isValid() const { return !name.isEmpty() || !data.isEmpty(); }
    };

    // Sends the request and waits for the response head; false on timeout. `target` is path and
    // query; `extraHeaders` lines end in "\r\n". `receiveBuffer` > 0 shrinks the socket's buffer.
    bool open(quint16 port, const QByteArray& target, const QByteArray& extraHeaders = {},
              int receiveBuffer = 0);
    int status() const { return m_status; }
    QByteArray header(const QByteArray& lowerName) const;
    // The body of a refusal (what followed the head, read until the peer closed or 1 s passed).
    QByteArray refusalBody();
    // Everything after the response head received so far.
    const QByteArray& body() const { return m_body; }
    // The next event (comments skipped); an invalid one on timeout or end of stream.
    Event next(int timeoutMs = kWaitMs);
    // Waits until the body holds `bytes` after what next() consumed; the raw bytes then get consumed.
    bool waitForRaw(const QByteArray& bytes, int timeoutMs = kWaitMs);
    // True once the server ended the stream (within `timeoutMs`).
    bool waitClosed(int timeoutMs = kWaitMs);
    QTcpSocket& socket() { return m_socket; }

private:
    void readSome(int timeoutMs);

    QTcpSocket m_socket;
    QByteArray m_head;
    QByteArray m_body;
    qsizetype m_consumed = 0;
    int m_status = 0;
};

// Two distinct free loopback ports for a server process (client and admin listener): both probes
// listen until both are known, because a closed probe's port can be handed out again at once.
std::pair<quint16, quint16> freePorts();

// Spins the event loop until `predicate` holds or `timeoutMs` passes.
bool waitFor(const std::function<bool()>& predicate, int timeoutMs = kWaitMs);

// Reads and discards until the peer ends the connection; false if it is still open at `timeoutMs`.
bool waitForPeerClose(QTcpSocket& socket, int timeoutMs = kWaitMs);

// The shape of a /metrics answer without its values: per family "name type" (its TYPE line), then
// the name and labels of each of its samples. Empty, with `error` set, when the text breaks the
// Prometheus text format as we write it (HELP then TYPE once per family, samples grouped under it).
QByteArrayList metricShape(const QByteArray& text, QString* error);

} // namespace forgewire::test
