#pragma once

#include "Publisher.h"
#include "ServerNode.h"
#include "SlowReaders.h"
#include "SoakClient.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTimer>

#include <functional>
#include <memory>
#include <vector>

namespace forgewire {

// The soak and chaos run: forgewire-server processes under churning clients and steady
// publishers for a while, with chaos steps inside (kill -9 and restart, SIGTERM, Redis killed, a
// node killed), checking after each step and at the end that every acknowledged value is the one
// each client shows, and sampling the server's memory and descriptors for a leak figure.
class Soak : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QString serverBinary;
        QString redisBinary = QStringLiteral("redis-server");
        QString outDir;
        QString transport = QStringLiteral("epoll");
        bool redis = false;
        int nodes = 1;
        int clients = 2000;
        double minutes = 10;
        double churnPerMinute = 0.2; // of the clients, leaving and coming back
        double boardClients = 0.1;   // of the clients, on a board topic
        int boards = 5;
        int slowReaders = 3;
        int sampleEverySec = 30;
        int pongDeadlineMs = 5000;
        int drainTimeoutMs = 5000;
        bool chaos = true;
        // Growth over the second half above which the run fails (README, Reliability).
        double rssLimitMiBPerHour = 32;
        double descriptorLimitPerHour = 50;
        // The short mode of the README test command: judged on losses and chaos, not on growth.
        bool judgeGrowth = true;
    };

    explicit Soak(const Options& options, QObject* parent = nullptr);
    ~Soak() override;

    // Runs everything; the process exit code (0: clean).
    int run();

private:
    struct Step
    {
        QString name;
        bool ok = true;
        QJsonObject figures;
        QStringList problems;
    };

    bool startAll(QString* why);
    bool startRedis(QString* why);
    void killRedis();
    ServerNode* node(int index) const { return m_nodes.at(size_t(index)).get(); }
    QByteArray token(qint64 user) const;
    bool waitUntil(const std::function<bool()>& done, int timeoutMs);
    void runUntil(double fraction);
    int readyClients() const;
    bool allReady(int timeoutMs);
    // Pauses publishing and churn, waits for answers in flight, every client back, then compares.
    Step verify(const QString& name);
    void resume();
    void churn();
    void sample();
    qint64 metric(int node, const QByteArray& name);

    Step killNine();
    Step terminateUnderLoad();
    Step killRedisStep();
    Step killNodeStep();
    Step slowReaderStep();

    void finish(Step step);
    int report();

    Options m_options;
    QTemporaryDir m_dir;
    QByteArray m_jwtSecret;
    QByteArray m_publisherSecret;
    quint16 m_redisPort = 0;
    QProcess m_redis;
    std::vector<std::unique_ptr<ServerNode>> m_nodes;
    std::unique_ptr<Publisher> m_publisher;
    std::vector<std::unique_ptr<SoakClient>> m_clients;
    QList<qint64> m_boards;
    QElapsedTimer m_clock;
    QTimer m_churn;
    QTimer m_sampler;
    bool m_churning = false;
    double m_churnOwed = 0;
    QJsonArray m_samples;
    QList<Step> m_steps;
    int m_crashes = 0;
};

} // namespace forgewire
