#include "TestSupport.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>
#include <QTcpServer>
#include <QTest>
#include <QTimer>

#include <poll.h>
#include <sys/socket.h>

namespace forgewire::test {

using namespace Qt::StringLiterals;

QByteArray makeToken(qint64 userId, const QString& login, const QString& sid, const QStringList& topics,
                     const QDateTime& expires, const QByteArray& secret)
{
    JwtClaims claims;
    claims.userId = userId;
    claims.login = login;
    claims.sessionId = sid;
    claims.topics = topics;
    claims.expires = expires;
    return Jwt::sign(claims, secret);
}

namespace {

QString& transportInUse()
{
    static QString name = Transport::defaultName();
    return name;
}

} // namespace

void addTransportRows()
{
    QTest::addColumn<QString>("transport");
    for (const QString& name : Transport::available())
        QTest::newRow(qPrintable(name)) << name;
}

void useGlobalTransport()
{
    QFETCH_GLOBAL(QString, transport);
    transportInUse() = transport;
}

QString currentTransport()
{
    return transportInUse();
}

ServerConfig testConfig(const QString& statePath)
{
    ServerConfig config;
    config.transport = transportInUse();
    config.listenAddress = QHostAddress::LocalHost;
    config.port = 0;
    config.adminAddress = QHostAddress::LocalHost;
    config.adminPort = 0;
    config.workers = 2;
    config.jwtSecret = kJwtSecret;
    config.publisherSecret = kPublisherSecret;
    config.statePath = statePath;
    config.staticTokens.insert("static-alice", StaticToken{7, u"alice"_s, u"static-session"_s});
    config.drainTimeoutMs = 2000;
    return config;
}

std::pair<quint16, quint16> freePorts()
{
    QTcpServer first;
    QTcpServer second;
    first.listen(QHostAddress::LocalHost, 0);
    second.listen(QHostAddress::LocalHost, 0);
    return {first.serverPort(), second.serverPort()};
}

bool waitFor(const std::function<bool()>& predicate, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!predicate()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        QTest::qSleep(1);
    }
    return true;
}

QByteArray HttpReply::header(const QByteArray& name) const
{
    for (const auto& [key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

HttpReply http(const QByteArray& method, const QUrl& url, const QByteArray& body, const QByteArray& bearer)
{
    static QNetworkAccessManager* manager = new QNetworkAccessManager(qApp);
    QNetworkRequest request(url);
    if (!bearer.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + bearer);
    if (!body.isEmpty() || method == "POST" || method == "PUT")
        request.setRawHeader("Content-Type", "application/json");
    QNetworkReply* reply = manager->sendCustomRequest(request, method, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(kWaitMs, &loop, &QEventLoop::quit);
    loop.exec();
    HttpReply result;
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.body = reply->readAll();
    result.headers = reply->rawHeaderPairs();
    reply->deleteLater();
    return result;
}

ServerFixture::ServerFixture(ServerConfig config) : m_config(std::move(config))
{}

ServerFixture::~ServerFixture()
{
    stop();
}

bool ServerFixture::start()
{
    m_server = std::make_unique<Server>(m_config);
    if (!m_server->start(&m_error))
        return false;
    return true;
}

void ServerFixture::stop()
{
    m_server.reset();
}

QUrl ServerFixture::wsUrl(const QString& query) const
{
    QUrl url(u"ws://127.0.0.1:%1%2"_s.arg(m_server->port()).arg(m_config.wsPath()));
    if (!query.isEmpty())
        url.setQuery(query);
    return url;
}

QUrl ServerFixture::adminUrl(const QString& path) const
{
    return QUrl(u"http://127.0.0.1:%1%2"_s.arg(m_server->adminPort()).arg(path));
}

HttpReply ServerFixture::admin(const QByteArray& method, const QString& path, const QByteArray& body,
                               const QByteArray& bearer) const
{
    return http(method, adminUrl(path), body, bearer);
}

bool ServerFixture::publish(const QString& path, const QByteArray& body, const QByteArray& method) const
{
    const HttpReply reply = admin(method, path, body);
    if (reply.status != 202)
        qWarning() << "publish" << path << "->" << reply.status << reply.body;
    return reply.status == 202;
}

WsClient::WsClient(QObject* parent) : QObject(parent)
{
    connect(&m_socket, &QWebSocket::textMessageReceived, this,
            [this](const QString& text) { m_queue.append(QJsonDocument::fromJson(text.toUtf8()).object()); });
    connect(&m_socket, &QWebSocket::disconnected, this, [this] { m_closed = true; });
    connect(&m_socket, &QWebSocket::connected, this, [this] { m_opened = true; });
    // A refused upgrade (HTTP 503 at the cap) errors without ever being connected.
    connect(&m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, [this] {
        if (!m_opened)
            m_closed = true;
    });
}

WsClient::~WsClient()
{
    m_socket.abort();
}

bool WsClient::open(const QUrl& url, const QByteArray& token, const QByteArray& scheme)
{
    QNetworkRequest request(url);
    if (!token.isEmpty())
        request.setRawHeader("Authorization", scheme + ' ' + token);
    m_closed = false;
    m_opened = false;
    m_socket.open(request);
    // True once the upgrade succeeded, even if the server closed right after (4001).
    return waitFor([this] { return m_opened || m_closed; }) && m_opened;
}

QJsonObject WsClient::next(int timeoutMs)
{
    if (!waitFor([this] { return !m_queue.isEmpty(); }, timeoutMs))
        return {};
    return m_queue.takeFirst();
}

QJsonObject WsClient::nextOfType(const QString& type, int timeoutMs)
{
    QJsonObject found;
    waitFor(
        [&] {
            for (qsizetype i = 0; i < m_queue.size(); ++i) {
                if (m_queue[i].value("type"_L1).toString() == type) {
                    found = m_queue.takeAt(i);
                    return true;
                }
            }
            return false;
        },
        timeoutMs);
    return found;
}

bool WsClient::silentFor(int ms)
{
    return !waitFor([this] { return !m_queue.isEmpty(); }, ms);
}

void WsClient::send(const QJsonObject& message)
{
    m_socket.sendTextMessage(QString::fromUtf8(QJsonDocument(message).toJson(QJsonDocument::Compact)));
}

void WsClient::sendRaw(const QString& text)
{
    m_socket.sendTextMessage(text);
}

void WsClient::subscribe(const QString& topic)
{
    send({{u"type"_s, u"subscribe"_s}, {u"topic"_s, topic}});
}

int WsClient::waitClosed(int timeoutMs)
{
    if (!waitFor([this] { return m_closed; }, timeoutMs))
        return -1;
    return m_socket.closeCode();
}

namespace {

// Connects, sends `request` and reads the response head into `head`, one byte at a time up to the
// blank line: what follows stays in the socket for the caller. False on timeout.
bool requestHead(QTcpSocket& socket, quint16 port, const QByteArray& request, int receiveBuffer,
                 QByteArray* head, const QHostAddress& host = QHostAddress(QHostAddress::LocalHost))
{
    if (receiveBuffer > 0)
        socket.setReadBufferSize(receiveBuffer);
    socket.connectToHost(host, port);
    if (!socket.waitForConnected(kWaitMs))
        return false;
    socket.write(request);
    return waitFor(
        [&] {
            socket.waitForReadyRead(10);
            while (!head->contains("\r\n\r\n") && socket.bytesAvailable() > 0)
                *head += socket.read(1);
            return head->contains("\r\n\r\n");
        },
        kWaitMs);
}

} // namespace

bool RawWsClient::connectAndUpgrade(quint16 port, const QByteArray& path, const QByteArray& extraHeaders,
                                    int receiveBuffer, const QHostAddress& host)
{
    const bool ok =
        requestHead(m_socket, port,
                    "GET " + path +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
                        extraHeaders + "\r\n",
                    receiveBuffer, &m_buffer, host);
    if (!ok || !m_buffer.startsWith("HTTP/1.1 101"))
        return false;
    m_buffer.clear();
    return true;
}

bool SseClient::open(quint16 port, const QByteArray& target, const QByteArray& extraHeaders,
                     int receiveBuffer)
{
    if (!requestHead(m_socket, port,
                     "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n" +
                         extraHeaders + "\r\n",
                     receiveBuffer, &m_head))
        return false;
    const QList<QByteArray> status = m_head.left(m_head.indexOf("\r\n")).split(' ');
    m_status = status.size() > 1 ? status.at(1).toInt() : 0;
    return true;
}

QByteArray SseClient::header(const QByteArray& lowerName) const
{
    for (const QByteArray& line : m_head.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().toLower() == lowerName)
            return line.mid(colon + 1).trimmed();
    }
    return {};
}

void SseClient::readSome(int timeoutMs)
{
    // Spins the event loop: the server under test may share this thread (its broker does).
    waitFor(
        [this] {
            return m_socket.bytesAvailable() > 0 || m_socket.state() != QAbstractSocket::ConnectedState;
        },
        timeoutMs);
    m_body += m_socket.readAll();
}

QByteArray SseClient::refusalBody()
{
    waitClosed(1000);
    return m_body;
}

SseClient::Event SseClient::next(int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (true) {
        const qsizetype end = m_body.indexOf("\n\n", m_consumed);
        if (end >= 0) {
            const QByteArray block = m_body.mid(m_consumed, end - m_consumed);
            m_consumed = end + 2;
            Event event;
            bool hasData = false;
            for (const QByteArray& line : block.split('\n')) {
                if (line.startsWith(':'))
                    continue;
                if (line.startsWith("event: ")) {
                    event.name = line.mid(7);
                } else if (line.startsWith("data: ")) {
                    if (hasData)
                        event.data += '\n';
                    event.data += line.mid(6);
                    hasData = true;
                }
            }
            if (event.isValid())
                return event;
            continue;
        }
        // What a closed socket still buffers is read before giving up on it.
        const bool closed = m_socket.state() != QAbstractSocket::ConnectedState;
        if (m_socket.bytesAvailable() > 0)
            m_body += m_socket.readAll();
        else if (closed || timer.elapsed() >= timeoutMs)
            return {};
        else
            readSome(20);
    }
}

bool SseClient::waitForRaw(const QByteArray& bytes, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (true) {
        const qsizetype at = m_body.indexOf(bytes, m_consumed);
        if (at >= 0) {
            m_consumed = at + bytes.size();
            return true;
        }
        const bool closed = m_socket.state() != QAbstractSocket::ConnectedState;
        if (m_socket.bytesAvailable() > 0)
            m_body += m_socket.readAll();
        else if (closed || timer.elapsed() >= timeoutMs)
            return false;
        else
            readSome(20);
    }
}

bool SseClient::waitClosed(int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (m_socket.state() == QAbstractSocket::ConnectedState && timer.elapsed() < timeoutMs) {
        readSome(20);
        if (m_socket.state() == QAbstractSocket::ConnectedState && m_socket.waitForDisconnected(1))
            break;
    }
    m_body += m_socket.readAll();
    return m_socket.state() != QAbstractSocket::ConnectedState;
}

QByteArray RawWsClient::readAvailableFor(int ms)
{
    QByteArray data;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < ms) {
        m_socket.waitForReadyRead(10);
        data += m_socket.readAll();
    }
    return data;
}

int RawWsClient::readUntilClose(int timeoutMs)
{
    // Straight from the descriptor: QTcpSocket's read-buffer cap (the "stop reading" switch) is not
    // reliably lifted again, and this client must read exactly what the kernel has.
    m_buffer += m_socket.readAll();
    const int fd = int(m_socket.socketDescriptor());
    QElapsedTimer timer;
    timer.start();
    char chunk[64 * 1024];
    while (timer.elapsed() < timeoutMs) {
        // Parse as many whole frames as are buffered (server frames are never masked).
        while (m_buffer.size() >= 2) {
            const quint8 opcode = quint8(m_buffer[0]) & 0x0F;
            quint64 length = quint8(m_buffer[1]) & 0x7F;
            int offset = 2;
            if (length == 126) {
                if (m_buffer.size() < 4)
                    break;
                length = (quint8(m_buffer[2]) << 8) | quint8(m_buffer[3]);
                offset = 4;
            } else if (length == 127) {
                if (m_buffer.size() < 10)
                    break;
                length = 0;
                for (int i = 0; i < 8; ++i)
                    length = (length << 8) | quint8(m_buffer[2 + i]);
                offset = 10;
            }
            if (quint64(m_buffer.size()) < offset + length)
                break;
            if (opcode == 0x8) {
                if (length < 2)
                    return 1005;
                return (quint8(m_buffer[offset]) << 8) | quint8(m_buffer[offset + 1]);
            }
            m_buffer.remove(0, offset + qsizetype(length));
        }
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0)
            continue;
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0)
            return -2; // closed without a close frame
        m_buffer.append(chunk, n);
    }
    return -1;
}

void RawWsClient::sendText(const QByteArray& payload)
{
    sendFrame(0x81, payload);
}

void RawWsClient::sendFrame(quint8 firstByte, const QByteArray& payload, bool masked)
{
    m_socket.write(frame(firstByte, payload, masked));
    m_socket.flush();
}

QByteArray RawWsClient::frame(quint8 firstByte, const QByteArray& payload, bool masked)
{
    QByteArray frame;
    frame.append(char(firstByte));
    const char maskBit = masked ? char(0x80) : char(0);
    if (payload.size() < 126) {
        frame.append(char(maskBit | payload.size()));
    } else if (payload.size() < 65536) {
        frame.append(char(maskBit | 126));
        frame.append(char(payload.size() >> 8));
        frame.append(char(payload.size() & 0xFF));
    } else {
        frame.append(char(maskBit | 127));
        for (int i = 7; i >= 0; --i)
            frame.append(char((quint64(payload.size()) >> (8 * i)) & 0xFF));
    }
    if (!masked)
        return frame + payload;
    const quint32 mask = QRandomGenerator::global()->generate();
    const char maskBytes[4] = {char(mask >> 24), char(mask >> 16), char(mask >> 8), char(mask)};
    frame.append(maskBytes, 4);
    for (qsizetype i = 0; i < payload.size(); ++i)
        frame.append(payload[i] ^ maskBytes[i % 4]);
    return frame;
}

bool waitForPeerClose(QTcpSocket& socket, int timeoutMs)
{
    return waitFor(
        [&] {
            socket.waitForReadyRead(10);
            socket.readAll();
            return socket.state() != QAbstractSocket::ConnectedState;
        },
        timeoutMs);
}

QByteArrayList metricShape(const QByteArray& text, QString* error)
{
    QByteArrayList shape;
    QSet<QByteArray> seen;
    QByteArray family;
    QByteArray helpOf;
    auto fail = [&](const QByteArray& line, const char* why) {
        *error = u"%1: %2"_s.arg(QString::fromLatin1(why), QString::fromUtf8(line));
        return QByteArrayList{};
    };
    if (!text.endsWith('\n'))
        return fail(text.right(40), "the text does not end with a newline");
    for (const QByteArray& line : text.chopped(1).split('\n')) {
        if (line.startsWith("# HELP ")) {
            const QByteArray name = line.mid(7).split(' ').value(0);
            if (seen.contains(name))
                return fail(line, "second HELP for a family");
            seen.insert(name);
            helpOf = name;
            family.clear();
        } else if (line.startsWith("# TYPE ")) {
            const QList<QByteArray> parts = line.mid(7).split(' ');
            if (parts.size() != 2 || parts[0] != helpOf)
                return fail(line, "TYPE without the HELP line of its family before it");
            family = parts[0];
            helpOf.clear();
            shape.append(parts[0] + ' ' + parts[1]);
        } else {
            const qsizetype space = line.lastIndexOf(' ');
            const QByteArray key = line.left(space);
            const QByteArray name = key.split('{').first();
            if (space <= 0 || family.isEmpty() || name != family)
                return fail(line, "sample outside its family");
            // An integer, or seconds with three decimals (PrometheusWriter::gaugeSeconds()).
            static const QRegularExpression value(u"^-?[0-9]+(\\.[0-9]{3})?$"_s);
            if (!value.match(QString::fromLatin1(line.mid(space + 1))).hasMatch())
                return fail(line, "sample value is not an integer or seconds");
            shape.append(key);
        }
    }
    return shape;
}

} // namespace forgewire::test
