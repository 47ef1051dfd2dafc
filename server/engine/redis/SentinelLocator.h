#pragma once

#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>

#include "engine/redis/RedisAddress.h"

#include <functional>
#include <optional>

namespace forgewire {

class FirstAnswer;
class PrometheusWriter;
class RedisConnection;

// Where the Redis primary is, by asking Redis Sentinel:
// redis-sentinel://[[user]:password@]host1:port1,host2:port2,.../<master name>[?db=N&sentinel_user=U&
// sentinel_password=P&wait_replicas=N]. The credentials before `@` are the primary's (as in
// redis://); the sentinels have their own, since Sentinel keeps a separate `requirepass`.
struct SentinelSettings
{
    using Endpoint = RedisEndpoint;
    // The Sentinel port, for a sentinel written without one.
    static constexpr quint16 kDefaultSentinelPort = 26379;
    // More sentinels than this in one URL is a mistake (a quorum is 3 or 5), not a deployment.
    static constexpr int kMaxSentinels = 16;

    QList<Endpoint> sentinels;
    QString masterName;
    int db = 0;
    QString user;
    QString password;
    QString sentinelUser;
    QString sentinelPassword;
    // Replicas that must confirm a state write (retained message, board, ACL, revocation) before it
    // is acknowledged: Redis replicates asynchronously, and a failover promotes a replica that may
    // not have it yet. 0 acknowledges as soon as the primary has it.
    int waitReplicas = 1;

    static std::optional<SentinelSettings> parseUrl(const QString& url, QString* error);
};

// Asks the sentinels which server is the primary (`SENTINEL get-master-addr-by-name`), one after
// the other until one answers, and reports when that changes: at once from a sentinel's
// `+switch-master` announcement, and by asking again every kRecheckIntervalMs in case the
// announcement was missed (the watching sentinel was down, or the connection to it was).
class SentinelLocator : public QObject
{
    Q_OBJECT
public:
    using Endpoint = SentinelSettings::Endpoint;
    using Answer = std::function<void(std::optional<Endpoint> primary, const QString& error)>;

    // One sentinel's answer (or connection) takes at most this long before the next is asked.
    static constexpr int kSentinelTimeoutMs = 1000;
    static constexpr int kRecheckIntervalMs = 1000;
    // Before watching again after the watch connection failed on every sentinel.
    static constexpr int kWatchRetryMs = 1000;
    // Questions waiting for an answer; more are refused (answered at once with an error).
    static constexpr qsizetype kMaxWaitingQuestions = 64;

    explicit SentinelLocator(SentinelSettings settings, QObject* parent = nullptr);
    ~SentinelLocator() override;

    // Starts watching for changes (primaryChanged()).
    void start();
    // Asks for the primary now; `answer` runs once.
    void locate(Answer answer);
    // The primary the sentinels named last; nullopt before the first answer.
    std::optional<Endpoint> lastKnown() const { return m_lastKnown; }
    const SentinelSettings& settings() const { return m_settings; }
    // Changes of the primary seen (announced or found by asking), not counting the first answer.
    qint64 switchesSeen() const { return m_switches; }
    // `inUse`: host:port of the primary connected to, empty while there is none.
    void writeMetrics(PrometheusWriter& out, const QString& inUse) const;

Q_SIGNALS:
    // The sentinels name a primary other than lastKnown() had.
    void primaryChanged(const QString& host, quint16 port);

private:
    void answerAll(std::optional<Endpoint> primary, const QString& error);
    void noteAnswer(const Endpoint& primary);
    void openWatch();
    void onAnnouncement(const QByteArray& channel, const QByteArray& payload);
    RedisConnection* newConnection(const QString& name);

    SentinelSettings m_settings;
    FirstAnswer* m_asker;
    QList<Answer> m_waiting;
    RedisConnection* m_watch = nullptr;
    qsizetype m_watchIndex = 0;
    qsizetype m_watchFailures = 0;
    QTimer m_recheckTimer;
    QTimer m_watchRetryTimer;
    std::optional<Endpoint> m_lastKnown;
    qint64 m_switches = 0;
};

} // namespace forgewire
