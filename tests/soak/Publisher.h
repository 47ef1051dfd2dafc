#pragma once

#include <QHash>
#include <QList>
#include <QNetworkAccessManager>
#include <QObject>
#include <QTimer>
#include <QUrl>

#include <functional>
#include <memory>
#include <vector>

namespace forgewire {

// What the publisher knows was stored: per value stream, the last value answered 2xx and the
// values sent after it whose answer never came (the node died with the request in flight; Redis
// or SQLite may or may not have taken it). A value a client shows must be one of those. Values of
// a stream only grow, and a stream has one request in flight at a time, so "last" is well defined.
struct Ledger
{
    qint64 acked = -1;
    QList<qint64> uncertain;

    void sent(qint64 value, int status);
    bool accepts(qint64 seen) const { return seen == acked || (seen > acked && uncertain.contains(seen)); }
    QString expected() const;
};

// The soak's publishers, each a stream with at most one request in flight (so the server sees a
// stream's values in order): unicast counts in batches, stopwatches, a broadcast tick, board
// events with seq, and a flood topic for the slow readers. A stream pauses while the publisher is
// paused; pause() waits for no stream, drained() tells when none is in flight.
class Publisher : public QObject
{
    Q_OBJECT
public:
    struct Config
    {
        QList<QUrl> admins; // one per node; streams spread over them
        QByteArray secret;
        int users = 0;
        int usersPerBatch = 50;
        int countEveryMs = 100;
        int stopwatchEveryMs = 500;
        int tickEveryMs = 1000;
        int boardEventEveryMs = 200;
        QList<qint64> boards;
        QString broadcastTopic;
        QString floodTopic;
        int floodBytes = 48 * 1024;
        int floodEveryMs = 100;
    };
    struct Counts
    {
        qint64 acked = 0;      // 2xx answers
        qint64 refused = 0;    // other statuses (503 while a node drains or Redis is down)
        qint64 unanswered = 0; // no answer: the node died, or the request timed out
        qint64 conflicts = 0;  // board events answered 409, then a fresh snapshot
        QHash<int, qint64> statuses;
    };

    explicit Publisher(const Config& config, QObject* parent = nullptr);

    // PUTs the boards' snapshots and access, and a first value for every stream; false on failure.
    bool seed(QString* why);
    void start();
    void pause();
    bool isPaused() const { return m_paused; }
    bool drained() const { return m_inFlight == 0; }
    void setFlooding(bool on) { m_flooding = on; }

    Ledger count(qint64 user) const { return m_counts.value(user); }
    Ledger stopwatch(qint64 user) const { return m_stopwatches.value(user); }
    const Ledger& tick() const { return m_tick; }
    const Counts& counts() const { return m_stats; }
    // GET /api/v1/projects/{id}/board's seq on the first reachable node; -1 when none answers.
    qint64 boardSeq(qint64 board);

private:
    struct Stream
    {
        QTimer timer;
        bool inFlight = false;
    };
    using Done = std::function<void(int status, const QByteArray& body)>;
    void send(const QByteArray& verb, const QString& path, const QByteArray& body, Done done);
    // Blocking, for seeding: the status, 0 when nothing answered.
    int sendAndWait(const QByteArray& verb, const QString& path, const QByteArray& body,
                    QByteArray* answer = nullptr);
    void addStream(int everyMs, std::function<void(Stream&)> step);
    void publishCounts(Stream& stream);
    void publishStopwatches(Stream& stream);
    void publishStopwatchesFor(Stream& stream, const QList<qint64>& users);
    void publishTick(Stream& stream);
    void publishBoardEvent(Stream& stream, qint64 board);
    void publishFlood(Stream& stream);
    QByteArray boardSnapshot(qint64 board) const;
    void note(int status);

    Config m_config;
    QNetworkAccessManager m_network;
    std::vector<std::unique_ptr<Stream>> m_streams;
    bool m_paused = true;
    bool m_flooding = false;
    int m_inFlight = 0;
    int m_nextAdmin = 0;
    qint64 m_value = 0; // every value any stream sends is a new one
    int m_nextUser = 0;
    QHash<qint64, Ledger> m_counts;
    QHash<qint64, Ledger> m_stopwatches;
    Ledger m_tick;
    // Per board: the column each card is in, as the server acknowledged it.
    QHash<qint64, QHash<qint64, qint64>> m_cards;
    QHash<qint64, bool> m_needsSnapshot;
    Counts m_stats;
};

} // namespace forgewire
