#pragma once

#include <QList>
#include <QObject>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

namespace forgewire {

// One soak client: a WebSocket signed in with its user's JWT, on its user topic (automatic), the
// broadcast topic and maybe a board, reconnecting with the protocol's backoff (50 ms doubling to
// 10 s, reset by hello) and rotating to the next node on each failure. It keeps the last value of
// each kind it saw, which the soak compares with what the publisher had acknowledged.
class SoakClient : public QObject
{
    Q_OBJECT
public:
    static constexpr int kFirstDelayMs = 50;
    static constexpr int kMaxDelayMs = 10'000;

    struct Seen
    {
        qint64 count = -1;     // notification-count
        qint64 stopwatch = -1; // the first stopwatch's issue_index, 0 for none
        qint64 tick = -1;      // the broadcast topic's `n`
        qint64 boardSeq = -1;  // the board's seq after snapshot and events
        bool boardGap = false; // a resync asked, its snapshot not in yet
    };

    SoakClient(qint64 userId, const QByteArray& token, const QList<QUrl>& nodes, qint64 board,
               const QString& broadcastTopic, QObject* parent = nullptr);
    ~SoakClient() override;

    void open();
    // Churn: a normal close; no reconnect until open() again.
    void leave();
    qint64 userId() const { return m_userId; }
    qint64 board() const { return m_board; }
    // The node it is on, or tries next.
    int node() const { return m_node; }
    // Signed in (hello arrived) and not left.
    bool isReady() const { return m_ready; }
    bool hasLeft() const { return m_left; }
    const Seen& seen() const { return m_seen; }
    int lastCloseCode() const { return m_lastCloseCode; }
    int closesWith(int code) const { return m_closeCodes.count(code); }
    int reconnects() const { return m_reconnects; }
    qint64 messages() const { return m_messages; }

Q_SIGNALS:
    void becameReady();
    void closed(int code);

private:
    void onText(const QString& text);
    void onDisconnected();

    qint64 m_userId;
    QByteArray m_token;
    QList<QUrl> m_nodes;
    int m_node = 0;
    qint64 m_board;
    QString m_broadcastTopic;
    QWebSocket m_socket;
    QTimer m_retry;
    int m_delayMs = kFirstDelayMs;
    bool m_ready = false;
    bool m_left = true;
    int m_lastCloseCode = 0;
    QList<int> m_closeCodes;
    int m_reconnects = 0;
    qint64 m_messages = 0;
    Seen m_seen;
};

} // namespace forgewire
