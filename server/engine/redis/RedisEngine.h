#pragma once

#include "engine/Engine.h"
#include "engine/redis/Redelivery.h"
#include "engine/redis/RedisAddress.h"
#include "engine/redis/ReplicaWait.h"

#include <QElapsedTimer>
#include <QHash>
#include <QSet>
#include <QTimer>

namespace forgewire {

class RedisConnection;
class SentinelLocator;
struct SentinelSettings;

// Several nodes behind one Redis: every publication goes through Redis pub/sub (channel
// fw:topic:<topic>), retained state and project ACLs live in Redis hashes, so all nodes serve the
// same state. Each node holds one Redis subscription per topic with local subscribers.
//
// Two async connections: commands, and a subscriber (a subscribed connection takes no other
// commands). While either is down the engine is not ready, publishes fail at once (the API answers
// 503) and a reconnect is retried with backoff; once back, every watched topic is subscribed again
// before the engine reports ready, so clients keep their connections and miss nothing published
// after that.
//
// With Redis Sentinel (redis-sentinel://, SentinelLocator) the address is the primary the sentinels
// name, checked with ROLE before use and at every health check; when they switch it, both
// connections move to the new one. State writes are acknowledged once replicas have them
// (ReplicaWait, wait_replicas).
class RedisEngine : public Engine
{
    Q_OBJECT
public:
    using Address = RedisAddress;

    // First reconnect delay, doubled per failed attempt up to the max.
    static constexpr int kReconnectInitialMs = 100;
    static constexpr int kReconnectMaxMs = 5000;
    // A command Redis leaves unanswered this long fails (publish gets 503) and the connection is
    // dropped and reopened: a hung or overloaded Redis must not hold publishers forever.
    static constexpr int kCommandTimeoutMs = 2000;
    // Commands waiting on the command connection beyond which publishes are refused at once rather
    // than queued behind a Redis that cannot keep up (a full batch of retained messages is 20 002).
    static constexpr qsizetype kMaxPendingCommands = 50'000;
    // The engine publishes a heartbeat on its own node channel this often; seeing it come back on
    // the subscriber connection proves that connection alive (PING there never answers).
    static constexpr int kHealthCheckIntervalMs = 500;
    static constexpr int kHeartbeatTimeoutMs = kCommandTimeoutMs + 2 * kHealthCheckIntervalMs;

    explicit RedisEngine(Address address, QObject* parent = nullptr);
    // The primary the sentinels name; `sentinel`'s db and credentials are the primary's.
    explicit RedisEngine(const SentinelSettings& sentinel, QObject* parent = nullptr);
    ~RedisEngine() override;

    QString name() const override { return QStringLiteral("redis"); }
    void start() override;
    bool isReady() const override { return m_ready; }
    Readiness readiness() const override;

    void publish(const QList<Publication>& batch, Done done) override;
    void retained(const QString& topic, std::function<void(QList<RetainedMessage>)> reply) override;
    void projectAccess(qint64 projectId, std::function<void(std::optional<ProjectAccess>)> reply) override;
    void setProjectAccess(qint64 projectId, const ProjectAccess& access, Done done) override;
    void storeBoard(qint64 projectId, const QJsonObject& board, const ProjectAccess& access,
                    StoreBoardDone done) override;
    void board(qint64 projectId, std::function<void(std::optional<BoardState>)> reply) override;
    // Each BoardState's board holds the summary fields only (title, owner, repo): what list-boards needs.
    void boards(std::function<void(QList<BoardState>)> reply) override;
    void watchTopic(const QString& topic) override;
    void unwatchTopic(const QString& topic) override;
    void writeMetrics(PrometheusWriter& out) const override;

    // Key and channel names, public for tests and operators.
    static QByteArray topicChannel(const QString& topic);
    static QByteArray retainedKey(const QString& topic);
    static QByteArray aclKey();
    // Revoked sessions: a sorted set of `sid` scored by the end of the revocation (ms since the
    // epoch), and the channel that tells every node of a new one.
    static QByteArray revokedKey();
    static QByteArray revokedChannel();
    // Live boards: hash of one model (fields `model`, `seq`), and the hash of every model's summary.
    static QByteArray boardKey(qint64 projectId);
    static QByteArray boardSummariesKey();

private:
    void connectToRedis();
    void openConnections();
    // Sentinel mode: the server the sentinels named must say it is the primary before it is used.
    void checkRole();
    void onPrimaryChanged(const QString& host, quint16 port);
    // Backoff, log and readyChanged for a failed or lost connection; the connections are gone.
    void retryLater(const QString& reason, bool wasReady);
    void onSubscriberConnected();
    void onSubscribed(const QByteArray& channel);
    void onMessage(const QByteArray& channel, const QByteArray& payload);
    // A board's message through the every-board pattern (see m_everyBoardLive).
    void onPatternMessage(const QByteArray& pattern, const QByteArray& channel, const QByteArray& payload);
    // The publication a topic channel carries, checked (nullopt, counted, when it is not one).
    std::optional<Publication> publicationOn(const QByteArray& channel, const QByteArray& payload);
    // Topic::everyBoard() is watched with PSUBSCRIBE of every board channel, the rest with SUBSCRIBE.
    bool subscribeTopic(const QString& topic);
    bool unsubscribeTopic(const QString& topic);
    void onRevokedMessage(const QByteArray& payload);
    void loadRevocations();
    void updateReady();
    // The publications of `batch` that need no board model (MULTI/EXEC). `wroteState`: a board
    // model was written before, so the answer waits for replicas even when this part writes none.
    void publishPlain(const QList<Publication>& batch, Done done, bool wroteState = false);
    void lost(const QString& reason);
    void readRetained(const QString& topic, std::function<void(QList<RetainedMessage>)> reply);
    void releaseRetainedReads(const QString& topic);
    void redeliverRetained();
    // A live publication from the subscriber connection, noted for a redelivery in progress.
    void deliverLive(const Publication& publication);
    void healthCheck();
    QString where() const;
    bool commandsUp() const;

    Address m_address;
    SentinelLocator* m_locator = nullptr;
    ReplicaWait m_replicaWait;
    bool m_locating = false;
    // Why there is no usable primary: the sentinels named none, or the server named is not one
    // (ROLE). Cleared once a primary is confirmed.
    QString m_noPrimaryReason;
    // The server connected to said ROLE master (always true without Sentinel).
    bool m_roleConfirmed = false;
    QByteArray m_nodeChannel;
    RedisConnection* m_commands = nullptr;
    RedisConnection* m_subscriber = nullptr;
    QSet<QString> m_watched;
    // Topics whose SUBSCRIBE is not confirmed yet, with the retained-state reads waiting for it: a
    // read answered before the subscription is live could miss a publish that lands in between.
    QHash<QString, QList<std::function<void()>>> m_subscribing;
    // After a reconnect every watched topic's state is read again and delivered (other nodes may have
    // published meanwhile).
    Redelivery m_redelivery;
    bool m_nodeChannelConfirmed = false;
    // The every-board pattern is confirmed: from then on a board message arrives twice on this
    // connection when the node also subscribed its channel (once per subscription), so board
    // channels are delivered from the pattern only, to every worker that wants them (Broker).
    // Cleared as soon as PUNSUBSCRIBE is sent, so pattern messages still in flight are dropped.
    bool m_everyBoardLive = false;
    // The stored revocations were read (and reported) since the last connect: part of ready, so a
    // node never admits a revoked session it could have known about.
    bool m_revocationsLoaded = false;
    bool m_ready = false;
    bool m_wasReady = false;
    int m_nextDelayMs = kReconnectInitialMs;
    int m_failedAttempts = 0;
    QTimer m_reconnectTimer;
    QTimer m_healthTimer;
    QElapsedTimer m_clock;
    qint64 m_attemptStartedAt = 0;
    qint64 m_lastHeartbeatAt = 0;

    // Time not ready since the engine was first ready: summed over closed outages, plus the one
    // going on (from m_outageSince, -1 while ready).
    qint64 m_outageSince = -1;
    qint64 m_outageTotalMs = 0;
    qint64 m_lastOutageMs = 0;
    qint64 m_reconnects = 0;
    qint64 m_publishFailures = 0;
    qint64 m_malformed = 0;
    qint64 m_mismatched = 0;
};

} // namespace forgewire
