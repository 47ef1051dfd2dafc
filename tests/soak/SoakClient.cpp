#include "SoakClient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkRequest>

namespace forgewire {

using namespace Qt::StringLiterals;

SoakClient::SoakClient(qint64 userId, const QByteArray& token, const QList<QUrl>& nodes, qint64 board,
                       const QString& broadcastTopic, QObject* parent)
    : QObject(parent), m_userId(userId), m_token(token), m_nodes(nodes), m_board(board),
      m_broadcastTopic(broadcastTopic)
{
    m_node = int(userId % nodes.size());
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, [this] {
        ++m_reconnects;
        open();
    });
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &SoakClient::onText);
    connect(&m_socket, &QWebSocket::disconnected, this, &SoakClient::onDisconnected);
}

SoakClient::~SoakClient()
{
    // The socket outlives the retry timer (members go in reverse order): no reconnect from its end.
    disconnect(&m_socket, nullptr, this, nullptr);
    m_socket.abort();
}

void SoakClient::open()
{
    m_left = false;
    m_retry.stop();
    const QAbstractSocket::SocketState state = m_socket.state();
    if (state == QAbstractSocket::ConnectingState || state == QAbstractSocket::ConnectedState ||
        state == QAbstractSocket::HostLookupState)
        return;
    // After a peer that vanished, QWebSocket may still say Closing: start afresh.
    if (state != QAbstractSocket::UnconnectedState) {
        qWarning("soak client %lld: socket state %d on reopen", m_userId, int(state));
        m_socket.abort();
    }
    QNetworkRequest request(m_nodes.at(m_node));
    request.setRawHeader("Authorization", "Bearer " + m_token);
    m_socket.open(request);
}

void SoakClient::leave()
{
    m_left = true;
    m_ready = false;
    m_retry.stop();
    m_socket.close(QWebSocketProtocol::CloseCodeNormal);
}

void SoakClient::onDisconnected()
{
    const bool wasReady = m_ready;
    m_ready = false;
    m_lastCloseCode = m_socket.closeCode();
    m_closeCodes.append(m_lastCloseCode);
    if (m_closeCodes.size() > 64)
        m_closeCodes.removeFirst();
    Q_EMIT closed(m_lastCloseCode);
    if (m_left)
        return;
    // An upgrade closed before hello counts as a failed attempt (PROTOCOL.md, Client reconnect); a
    // node that failed is left for the next one.
    if (!wasReady)
        m_node = (m_node + 1) % int(m_nodes.size());
    m_retry.start(m_delayMs);
    m_delayMs = std::min(m_delayMs * 2, kMaxDelayMs);
}

void SoakClient::onText(const QString& text)
{
    ++m_messages;
    const QJsonObject message = QJsonDocument::fromJson(text.toUtf8()).object();
    const QString type = message.value("type"_L1).toString();
    if (type == "hello"_L1) {
        m_ready = true;
        // What this connection shows is what it is sent from now on: the retained state first.
        m_seen = {};
        m_delayMs = kFirstDelayMs;
        if (!m_broadcastTopic.isEmpty())
            m_socket.sendTextMessage(uR"({"type":"subscribe","topic":"%1"})"_s.arg(m_broadcastTopic));
        if (m_board > 0)
            m_socket.sendTextMessage(uR"({"type":"subscribe","topic":"project-board.%1"})"_s.arg(m_board));
        Q_EMIT becameReady();
    } else if (type == "notification-count"_L1) {
        m_seen.count = message.value("count"_L1).toInteger();
    } else if (type == "stopwatches"_L1) {
        const QJsonArray running = message.value("data"_L1).toArray();
        m_seen.stopwatch =
            running.isEmpty() ? 0 : running.first().toObject().value("issue_index"_L1).toInteger();
    } else if (type == "soak.tick"_L1) {
        m_seen.tick = message.value("n"_L1).toInteger();
    } else if (type == "board-snapshot"_L1) {
        m_seen.boardSeq = message.value("seq"_L1).toInteger();
        m_seen.boardGap = false;
    } else if (type == "board"_L1 && message.contains("seq"_L1)) {
        const qint64 seq = message.value("seq"_L1).toInteger();
        if (m_seen.boardGap || seq <= m_seen.boardSeq)
            return;
        if (seq == m_seen.boardSeq + 1) {
            m_seen.boardSeq = seq;
            return;
        }
        // A gap: the protocol's answer is a resync, whose snapshot sets the seq.
        m_seen.boardGap = true;
        m_socket.sendTextMessage(uR"({"type":"resync","topic":"project-board.%1"})"_s.arg(m_board));
    }
}

} // namespace forgewire
