// The Redis engine against a real redis-server started here on a free port: two nodes in one
// process behave as one (cross-node delivery exactly once, shared retained state and ACLs), each node
// holds one Redis subscription per topic, and Redis outages (down at start, restart, kill, hang)
// turn into readyz 503 / publish 503 and recover by themselves; a node that was away gets the
// retained state other nodes stored meanwhile.

#include "../../broker/BoardCases.h"
#include "MultiNodeChecks.h"
#include "RedisProcess.h"
#include "TestSupport.h"
#include "broker/BoardModel.h"
#include "engine/redis/RedisEngine.h"
#include "protocol/Topic.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTest>
#include <QThread>

#include <hiredis/hiredis.h>

#include <signal.h>
#include <sys/prctl.h>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

// Longest the engine may take to come back: the reconnect backoff is capped at 5 s.
constexpr int kRecoverMs = RedisEngine::kReconnectMaxMs + 5000;

// A TCP relay in front of Redis that can hold back what Redis answers on command connections
// (those that never SUBSCRIBE) while subscriber connections flow: the order in which a node sees
// its command replies and its pub/sub messages is then the test's to choose.
class HoldingProxy : public QObject
{
public:
    explicit HoldingProxy(quint16 redisPort) : m_redisPort(redisPort)
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* client = m_server.nextPendingConnection()) {
                auto* upstream = new QTcpSocket(client);
                auto* link = new Link{client, upstream, false, {}};
                m_links.append(link);
                connect(client, &QTcpSocket::readyRead, this, [link] {
                    const QByteArray bytes = link->client->readAll();
                    link->subscriber = link->subscriber || bytes.contains("SUBSCRIBE");
                    link->upstream->write(bytes);
                });
                connect(upstream, &QTcpSocket::readyRead, this, [this, link] {
                    const QByteArray bytes = link->upstream->readAll();
                    if (m_holding && !link->subscriber)
                        link->held += bytes;
                    else
                        link->client->write(bytes);
                });
                connect(client, &QTcpSocket::disconnected, upstream, &QTcpSocket::disconnectFromHost);
                connect(upstream, &QTcpSocket::disconnected, client, &QTcpSocket::disconnectFromHost);
                connect(client, &QObject::destroyed, this, [this, link] {
                    m_links.removeOne(link);
                    delete link;
                });
                connect(client, &QTcpSocket::disconnected, client, &QObject::deleteLater);
                upstream->connectToHost(QHostAddress::LocalHost, m_redisPort);
            }
        });
    }
    ~HoldingProxy() override
    {
        // The sockets go with the server (their parent), after the links: nothing may call back.
        for (Link* link : std::as_const(m_links)) {
            disconnect(link->client, nullptr, this, nullptr);
            disconnect(link->upstream, nullptr, this, nullptr);
        }
        qDeleteAll(std::exchange(m_links, {}));
    }
    QString url() const { return u"redis://127.0.0.1:%1/0"_s.arg(m_server.serverPort()); }
    void hold() { m_holding = true; }
    qint64 heldBytes() const
    {
        qint64 total = 0;
        for (const Link* link : m_links)
            total += link->held.size();
        return total;
    }
    void release()
    {
        m_holding = false;
        for (Link* link : std::as_const(m_links))
            link->client->write(std::exchange(link->held, {}));
    }

private:
    struct Link
    {
        QTcpSocket* client;
        QTcpSocket* upstream;
        bool subscriber = false;
        QByteArray held;
    };
    QTcpServer m_server;
    quint16 m_redisPort;
    QList<Link*> m_links;
    bool m_holding = false;
};

int readyz(const ServerFixture& node)
{
    return node.admin("GET", u"/readyz"_s).status;
}

QString title(const QJsonObject& boardEvent)
{
    return boardEvent.value("data"_L1).toObject().value("title"_L1).toString();
}

} // namespace

class TestRedisEngine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void parseUrl();
    void crossNodeDeliveryExactlyOnce();
    void oneSubscriptionPerTopicPerNode();
    void retainedStateShared();
    void aclShared();
    void redisDownAtStart();
    void redisRestartMidRun();
    void gapPublishRedeliveredAfterSubscriberLoss();
    void redeliveryNeverOvertakesALaterPublish();
    void publishFailsFastWhenRedisKilled();
    void hungRedisTimesOut();
    void failedCommandInTransactionReported();
    void passwordFromUrl();
    void aclUserFromUrl();
    void channelNotPayloadNamesTheTopic();
    void revocationReachesEveryNodeAndSurvivesRestarts();
    void boardScriptFollowsTheModelRules();
    void boardEventsFromTwoNodesGapFree();
    void boardSnapshotRedeliveredAfterSubscriberLoss();
    void everyBoardPatternDeliversOnce();

private:
    // User 7 on node B only, its count 3 delivered: B's subscriber is then the only one holding the
    // user's topic, which is how cutOffSubscriberOf() tells it apart.
    std::unique_ptr<WsClient> userOnlyOn(ServerFixture& a, ServerFixture& b);
    // Kills B's subscriber connection and keeps B from reconnecting: Redis refuses new connections
    // (maxclients 1) but keeps the open ones (A's and this test's), so a publish made now is
    // certain to miss B rather than race its first retry. Undone by setting maxclients back.
    bool cutOffSubscriberOf(ServerFixture& b);

    std::unique_ptr<RedisProcess> m_redis;
};

std::unique_ptr<WsClient> TestRedisEngine::userOnlyOn(ServerFixture& a, ServerFixture& b)
{
    auto client = connectUser(b, 7);
    if (!client || !waitFor([&] { return m_redis->numsub("fw:topic:user-7") == 1; }) ||
        publishCount(a, 7, 3).status != 202 ||
        client->nextOfType(u"notification-count"_s).value("count"_L1).toInt() != 3)
        return nullptr;
    return client;
}

bool TestRedisEngine::cutOffSubscriberOf(ServerFixture& b)
{
    const qint64 subscriber = m_redis->subscriberWith(3);
    if (subscriber < 0) {
        qWarning().noquote() << "no subscriber with 3 channels:"
                             << m_redis->command({"CLIENT", "LIST", "TYPE", "pubsub"});
        return false;
    }
    return m_redis->command({"CONFIG", "SET", "maxclients", "1"}) == "OK" &&
           m_redis->command({"CLIENT", "KILL", "ID", QByteArray::number(subscriber)}) == "1" &&
           waitFor([&] { return !b.server()->isReady(); });
}

void TestRedisEngine::initTestCase()
{
    FORGEWIRE_REQUIRE_REDIS(false);
}

void TestRedisEngine::init()
{
    m_redis = std::make_unique<RedisProcess>(freePort());
    QVERIFY(m_redis->start());
}

void TestRedisEngine::cleanup()
{
    m_redis.reset();
}

void TestRedisEngine::parseUrl()
{
    QString error;
    const auto full = RedisAddress::parse(u"redis://redis.internal:6380/3"_s, &error);
    QVERIFY2(full, qPrintable(error));
    QCOMPARE(full->host, u"redis.internal"_s);
    QCOMPARE(full->port, quint16(6380));
    QCOMPARE(full->db, 3);
    const auto bare = RedisAddress::parse(u"redis://127.0.0.1"_s, &error);
    QVERIFY2(bare, qPrintable(error));
    QCOMPARE(bare->port, quint16(6379));
    QCOMPARE(bare->db, 0);
    for (const QString& bad : {u"redis://"_s, u"http://h:1/0"_s, u"redis://h:1/x"_s, u"redis://h:1/-1"_s,
                               u"redis://hunter2@h:1/0"_s, u"redis://u:hunter2@h:1/x"_s}) {
        error.clear();
        QVERIFY2(!RedisAddress::parse(bad, &error), qPrintable(bad));
        QVERIFY(!error.isEmpty());
        // A password (or what may be one) never reaches a log or an error message.
        QVERIFY2(!error.contains("hunter2"_L1), qPrintable(error));
    }
    // Credentials, percent-decoded: a password alone (requirepass) and a Redis 6 ACL user.
    const auto password = RedisAddress::parse(u"redis://:p%40ss%3Aw%2Fd@127.0.0.1:6380/1"_s, &error);
    QVERIFY2(password, qPrintable(error));
    QCOMPARE(password->user, QString());
    QCOMPARE(password->password, u"p@ss:w/d"_s);
    QCOMPARE(password->db, 1);
    const auto acl = RedisAddress::parse(u"redis://al%20ice:s3cret@h/2"_s, &error);
    QVERIFY2(acl, qPrintable(error));
    QCOMPARE(acl->user, u"al ice"_s);
    QCOMPARE(acl->password, u"s3cret"_s);
    QCOMPARE(RedisAddress::redacted(u"redis://alice:s3cret@h/2"_s), u"redis://alice:***@h/2"_s);
    QCOMPARE(RedisAddress::redacted(u"redis://s3cret@h/2"_s), u"redis://***@h/2"_s);
    // A bad URL is a start-up error, not a node that retries forever.
    ServerConfig config = testConfig();
    config.engine = u"redis://h:1/x"_s;
    ServerFixture node(config);
    QVERIFY(!node.start());
    QVERIFY(node.error().contains("redis://h:1/x"_L1));
}

void TestRedisEngine::crossNodeDeliveryExactlyOnce()
{
    auto a = startNode(m_redis->url());
    auto b = startNode(m_redis->url());
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    auto onA = connectUser(*a, 7);
    auto onB = connectUser(*b, 7);
    QVERIFY(onA && onB);
    // Both nodes subscribed before publishing, so neither can miss it.
    QVERIFY(waitFor([&] { return m_redis->numsub("fw:topic:user-7") == 2; }));

    QCOMPARE(publishCount(*a, 7, 3).status, 202);
    const QJsonObject got = onB->nextOfType(u"notification-count"_s);
    QCOMPARE(got.value("count"_L1).toInt(), 3);
    QCOMPARE(onA->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 3);
    // Exactly once: no echo from the publishing node's own delivery path.
    QCOMPARE(countOfType(*onA, u"notification-count"_s, 300), 0);
    QCOMPARE(countOfType(*onB, u"notification-count"_s, 0), 0);

    // And the other way round, with a user only B has.
    auto eve = connectUser(*b, 9);
    QVERIFY(eve);
    QVERIFY(waitFor([&] { return m_redis->numsub("fw:topic:user-9") == 1; }));
    QCOMPARE(publishCount(*a, 9, 1).status, 202);
    QCOMPARE(eve->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 1);
    QCOMPARE(countOfType(*eve, u"notification-count"_s, 300), 0);
    QCOMPARE(countOfType(*onA, u"notification-count"_s, 0), 0);
}

void TestRedisEngine::oneSubscriptionPerTopicPerNode()
{
    auto a = startNode(m_redis->url());
    auto b = startNode(m_redis->url());
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    const QString topic = u"public.news"_s;
    const QByteArray channel = RedisEngine::topicChannel(topic);
    QCOMPARE(channel, QByteArray("fw:topic:public.news"));
    QCOMPARE(m_redis->numsub(channel), 0);

    auto first = connectAndSubscribe(*a, topic);
    auto second = connectAndSubscribe(*a, topic, 8);
    QVERIFY(first && second);
    QVERIFY(waitFor([&] { return m_redis->numsub(channel) == 1; }));
    // Settled: the second client on the same node added no Redis subscription.
    QTest::qWait(200);
    QCOMPARE(m_redis->numsub(channel), 1);

    auto third = connectAndSubscribe(*b, topic, 9);
    QVERIFY(third);
    QVERIFY(waitFor([&] { return m_redis->numsub(channel) == 2; }));

    // Both local clients get one copy each of a publish made on the other node.
    QVERIFY(b->publish(
        u"/api/v1/publish"_s,
        R"({"topic":"public.news","message":{"type":"board","event":"project.updated","data":{"title":"one","description":"","is_closed":false}}})"));
    QCOMPARE(title(first->nextOfType(u"board"_s)), u"one"_s);
    QCOMPARE(title(second->nextOfType(u"board"_s)), u"one"_s);
    QCOMPARE(title(third->nextOfType(u"board"_s)), u"one"_s);
    QCOMPARE(countOfType(*first, u"board"_s, 300), 0);

    // Unsubscribe on the last local subscriber only.
    first->send({{u"type"_s, u"unsubscribe"_s}, {u"topic"_s, topic}});
    QVERIFY(!first->nextOfType(u"unsubscribed"_s).isEmpty());
    QTest::qWait(200);
    QCOMPARE(m_redis->numsub(channel), 2);
    second.reset();
    QVERIFY(waitFor([&] { return m_redis->numsub(channel) == 1; }));
    third->socket().close();
    QVERIFY(waitFor([&] { return m_redis->numsub(channel) == 0; }));
}

void TestRedisEngine::retainedStateShared()
{
    auto a = startNode(m_redis->url());
    auto b = startNode(m_redis->url());
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    // Published with nobody connected anywhere: only the retained copies in Redis can carry it.
    QVERIFY(publishRetainedStateOfUser7(*a));
    expectRetainedStateOfUser7(*b);
    if (QTest::currentTestFailed())
        return;

    // A restarted node serves the same state (nothing of it was on the node).
    b.reset();
    b = startNode(m_redis->url());
    QVERIFY(b && waitReady(*b));
    expectRetainedStateOfUser7(*b);
}

void TestRedisEngine::aclShared()
{
    // A non-zero db, so the nodes must SELECT it.
    const QString url = u"redis://127.0.0.1:%1/2"_s.arg(m_redis->port());
    auto a = startNode(url);
    auto b = startNode(url);
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    QCOMPARE(b->admin("GET", u"/api/v1/projects/42/access"_s).status, 404);
    const HttpReply set = a->admin("PUT", u"/api/v1/projects/42/access"_s, R"({"public":false,"users":[7]})");
    QCOMPARE(set.status, 200);
    const HttpReply get = b->admin("GET", u"/api/v1/projects/42/access"_s);
    QCOMPARE(get.status, 200);
    QCOMPARE(get.json().value("users"_L1).toArray(), QJsonArray({7}));
    QCOMPARE(m_redis->command({"HGET", "fw:acl", "42"}), QByteArray());
    QCOMPARE(m_redis->command({"SELECT", "2"}), QByteArray("OK"));
    QCOMPARE(m_redis->command({"HGET", "fw:acl", "42"}), QByteArray(R"({"public":false,"users":[7]})"));

    // B enforces the ACL that A stored.
    auto allowed = connectAndSubscribe(*b, u"project-board.42"_s, 7);
    QVERIFY(allowed);
    auto denied = connectUser(*b, 8);
    QVERIFY(denied);
    denied->subscribe(u"project-board.42"_s);
    QCOMPARE(denied->nextOfType(u"error"_s).value("code"_L1).toString(), u"forbidden"_s);

    QVERIFY(waitFor([&] { return m_redis->numsub("fw:topic:project-board.42") == 1; }));
    QVERIFY(
        a->publish(u"/api/v1/projects/42/events"_s,
                   R"({"event":"project.updated","data":{"title":"T","description":"","is_closed":false}})"));
    const QJsonObject event = allowed->nextOfType(u"board"_s);
    QCOMPARE(event.value("event"_L1).toString(), u"project.updated"_s);
    QCOMPARE(countOfType(*allowed, u"board"_s, 300), 0);
}

void TestRedisEngine::redisDownAtStart()
{
    const quint16 port = m_redis->port();
    m_redis->stop();
    auto node = startNode(m_redis->url());
    QVERIFY2(node, "a node must start without Redis");
    QCOMPARE(readyz(*node), 503);
    const HttpReply refused = publishCount(*node, 7, 1);
    QCOMPARE(refused.status, 503);
    QVERIFY(refused.json().value("error"_L1).toString().contains("not connected"_L1));
    QTest::qWait(500); // a few failed attempts
    QCOMPARE(readyz(*node), 503);
    {
        // Whether a session was revoked cannot be known yet: try again later, not admitted.
        WsClient withSession;
        QVERIFY(withSession.open(node->wsUrl(), makeToken(7, u"alice"_s, u"sess-1"_s)));
        QCOMPARE(withSession.waitClosed(), 1001);
        QVERIFY(connectUser(*node, 8)); // a token without a session has nothing to check
    }

    m_redis = std::make_unique<RedisProcess>(port);
    QVERIFY(m_redis->start());
    QVERIFY(waitReady(*node));
    QCOMPARE(readyz(*node), 200);
    QCOMPARE(publishCount(*node, 7, 1).status, 202);
    QCOMPARE(m_redis->command({"HGET", "fw:retained:user-7", "notification-count"}),
             QByteArray(R"({"count":1,"type":"notification-count"})"));
    const QByteArray metrics = node->admin("GET", u"/metrics"_s).body;
    QVERIFY(metrics.contains("\nforgewire_redis_connected 1\n"));
    QVERIFY(metrics.contains("\nforgewire_redis_reconnects_total 1\n"));
    QVERIFY(metrics.contains("\nforgewire_redis_publish_failures_total 1\n"));
    // The engine's families follow the server's, each name as before the writer was shared.
    QString error;
    const QByteArrayList shape = metricShape(metrics, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QByteArrayList redisFamilies = {
        "forgewire_ready gauge",
        "forgewire_ready{part=\"server\"}",
        "forgewire_ready{part=\"redis\"}",
        "forgewire_redis_connected gauge",
        "forgewire_redis_connected",
        "forgewire_redis_reconnects_total counter",
        "forgewire_redis_reconnects_total",
        "forgewire_redis_publish_failures_total counter",
        "forgewire_redis_publish_failures_total",
        "forgewire_redis_watched_topics gauge",
        "forgewire_redis_watched_topics",
        "forgewire_redis_unavailable_seconds_total counter",
        "forgewire_redis_unavailable_seconds_total",
        "forgewire_redis_last_unavailable_seconds gauge",
        "forgewire_redis_last_unavailable_seconds",
        "forgewire_redis_malformed_messages_total counter",
        "forgewire_redis_malformed_messages_total",
        "forgewire_redis_mismatched_messages_total counter",
        "forgewire_redis_mismatched_messages_total",
    };
    QCOMPARE(shape.mid(shape.indexOf("forgewire_engine_ready") + 1), redisFamilies);
}

void TestRedisEngine::redisRestartMidRun()
{
    const quint16 port = m_redis->port();
    auto a = startNode(m_redis->url());
    auto b = startNode(m_redis->url());
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    auto onA = connectUser(*a, 7);
    auto onB = connectUser(*b, 7);
    auto board = connectAndSubscribe(*b, u"public.room"_s, 8);
    QVERIFY(onA && onB && board);
    QVERIFY(waitFor([&] { return m_redis->numsub("fw:topic:user-7") == 2; }));

    m_redis->stop();
    QVERIFY(waitFor([&] { return !a->server()->isReady() && !b->server()->isReady(); }));
    QCOMPARE(readyz(*a), 503);
    // Which part fails, and why, in /readyz and /metrics.
    const QJsonArray failing = a->admin("GET", u"/readyz"_s).json().value("failing"_L1).toArray();
    QCOMPARE(failing.size(), 1);
    QCOMPARE(failing.first()["part"_L1].toString(), u"redis"_s);
    QCOMPARE(failing.first()["reason"_L1].toString(), u"connection lost"_s);
    QVERIFY(a->admin("GET", u"/metrics"_s).body.contains("\nforgewire_ready{part=\"redis\"} 0\n"));
    // The gap: refused loudly, not lost silently.
    const HttpReply during = publishCount(*a, 7, 4);
    QCOMPARE(during.status, 503);
    QVERIFY(!during.json().value("error"_L1).toString().isEmpty());

    m_redis = std::make_unique<RedisProcess>(port);
    QVERIFY(m_redis->start());
    QVERIFY(waitReady(*a) && waitReady(*b));
    QCOMPARE(a->admin("GET", u"/readyz"_s).json(), (QJsonObject{{u"status"_s, u"ready"_s}}));
    // Ready means resubscribed: both nodes' topics are back without any client reconnecting.
    QCOMPARE(m_redis->numsub("fw:topic:user-7"), 2);
    QCOMPARE(m_redis->numsub("fw:topic:public.room"), 1);
    QVERIFY(onA->isOpen() && onB->isOpen() && board->isOpen());

    QCOMPARE(publishCount(*a, 7, 5).status, 202);
    QCOMPARE(onB->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 5);
    QCOMPARE(onA->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 5);
    QVERIFY(a->publish(
        u"/api/v1/publish"_s,
        R"({"topic":"public.room","message":{"type":"board","event":"project.updated","data":{"title":"two","description":"","is_closed":false}}})"));
    QCOMPARE(title(board->nextOfType(u"board"_s)), u"two"_s);
    // Nothing from the gap shows up late.
    QCOMPARE(countOfType(*onB, u"notification-count"_s, 300), 0);
    QVERIFY(a->admin("GET", u"/metrics"_s).body.contains("\nforgewire_redis_reconnects_total 1\n"));
}

void TestRedisEngine::gapPublishRedeliveredAfterSubscriberLoss()
{
    auto a = startNode(m_redis->url());
    auto b = startNode(m_redis->url());
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    // A's subscriber holds its node channel and fw:revoked, B's also the user's topic.
    auto onB = userOnlyOn(*a, *b);
    QVERIFY(onB);
    QVERIFY(cutOffSubscriberOf(*b));
    QVERIFY(a->server()->isReady());

    // Accepted by A while B is away: no subscription of B's exists to carry it.
    QCOMPARE(publishCount(*a, 7, 4).status, 202);
    QVERIFY(a->publish(
        u"/api/v1/users/7/stopwatches"_s,
        R"([{"created":"2026-01-05T10:00:00Z","seconds":125,"issue_index":7,"issue_title":"Fix X","repo_owner_name":"alice","repo_name":"proj"}])",
        "PUT"));
    QCOMPARE(m_redis->numsub("fw:topic:user-7"), 0);
    QVERIFY(!b->server()->isReady());
    QVERIFY(onB->isOpen());
    QCOMPARE(countOfType(*onB, u"notification-count"_s, 100), 0);

    QCOMPARE(m_redis->command({"CONFIG", "SET", "maxclients", "10000"}), QByteArray("OK"));
    QVERIFY(waitReady(*b));
    QCOMPARE(m_redis->numsub("fw:topic:user-7"), 1);
    // Only the retained state B read again from Redis after coming back can carry these.
    QCOMPARE(onB->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 4);
    const QJsonObject stopwatches = onB->nextOfType(u"stopwatches"_s);
    QCOMPARE(stopwatches.value("data"_L1).toArray().first().toObject().value("issue_index"_L1).toInt(), 7);
    QCOMPARE(countOfType(*onB, u"notification-count"_s, 300), 0);

    // And live delivery to B is back, once.
    QCOMPARE(publishCount(*a, 7, 5).status, 202);
    QCOMPARE(onB->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 5);
    QCOMPARE(countOfType(*onB, u"notification-count"_s, 300), 0);
    QVERIFY(onB->isOpen());
}

// Found by the soak (tests/soak, Redis killed and restarted): the state a node reads again after
// coming back travels on its command connection, live publications on its subscriber connection.
// A publish landing right after the read could arrive first and then be overwritten by the older
// state, leaving the client stale with no reconnect to repair it. A type delivered live while the
// read is on its way is no longer sent again from the read.
void TestRedisEngine::redeliveryNeverOvertakesALaterPublish()
{
    auto a = startNode(m_redis->url());
    HoldingProxy proxy(m_redis->port());
    auto b = startNode(proxy.url()); // B reaches Redis through the proxy
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    auto onB = userOnlyOn(*a, *b);
    QVERIFY(onB);
    QVERIFY(cutOffSubscriberOf(*b));
    QCOMPARE(publishCount(*a, 7, 4).status, 202); // B misses it live and reads it again when back

    // B back: its read of the state (count 4) is answered by Redis but held by the proxy, and a
    // publish of 5 reaches B's subscriber first. Released afterwards, the older read must not win.
    QObject context;
    connect(b->server()->engine(), &Engine::readyChanged, &context, [&](bool ready) {
        if (ready)
            proxy.hold();
    });
    QCOMPARE(m_redis->command({"CONFIG", "SET", "maxclients", "10000"}), QByteArray("OK"));
    QVERIFY(waitReady(*b));
    QVERIFY(waitFor([&] { return proxy.heldBytes() > 0; }));
    QCOMPARE(publishCount(*a, 7, 5).status, 202);
    QTest::qWait(200); // delivered live to B, or held by B until its read is answered
    proxy.release();
    QList<int> counts;
    waitFor(
        [&] {
            const QJsonObject message = onB->nextOfType(u"notification-count"_s, 50);
            if (!message.isEmpty())
                counts.append(message.value("count"_L1).toInt());
            return false;
        },
        1000);
    QStringList seen;
    for (int count : std::as_const(counts))
        seen.append(QString::number(count));
    QVERIFY2(!counts.isEmpty() && counts.last() == 5,
             qPrintable(u"counts after the reconnect: "_s + seen.join(u", "_s)));
}

void TestRedisEngine::publishFailsFastWhenRedisKilled()
{
    auto node = startNode(m_redis->url());
    QVERIFY(node && waitReady(*node));
    QCOMPARE(publishCount(*node, 7, 1).status, 202);
    m_redis->stop(); // SIGKILL, no warning to the node
    QElapsedTimer timer;
    timer.start();
    const HttpReply reply = publishCount(*node, 7, 2);
    QCOMPARE(reply.status, 503);
    QVERIFY2(timer.elapsed() < 1000, qPrintable(QString::number(timer.elapsed())));
    QVERIFY(waitFor([&] { return readyz(*node) == 503; }, 2000));
}

void TestRedisEngine::hungRedisTimesOut()
{
    auto node = startNode(m_redis->url());
    QVERIFY(node && waitReady(*node));
    auto client = connectUser(*node, 7);
    QVERIFY(client);
    m_redis->pause(); // the TCP connections stay open; Redis just stops answering
    QElapsedTimer timer;
    timer.start();
    const HttpReply reply = publishCount(*node, 7, 2);
    QCOMPARE(reply.status, 503);
    QVERIFY2(timer.elapsed() < RedisEngine::kCommandTimeoutMs + 1000,
             qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(readyz(*node), 503);

    m_redis->resume();
    QVERIFY(waitReady(*node));
    QVERIFY(waitFor([&] { return m_redis->numsub("fw:topic:user-7") == 1; }));
    QCOMPARE(publishCount(*node, 7, 3).status, 202);
    // The timed-out batch may still be applied by Redis once it resumes (its outcome is unknown, which
    // is why the publisher got 503 rather than 202), so skip to the one published now.
    QVERIFY(waitFor([&] {
        const QJsonObject m = client->nextOfType(u"notification-count"_s, 100);
        return m.value("count"_L1).toInt() == 3;
    }));
    QVERIFY(client->isOpen());
}

void TestRedisEngine::failedCommandInTransactionReported()
{
    auto node = startNode(m_redis->url());
    QVERIFY(node && waitReady(*node));
    // Something else owns the key with another type: HSET fails inside EXEC.
    QCOMPARE(m_redis->command({"SET", "fw:retained:user-7", "not a hash"}), QByteArray("OK"));
    const HttpReply reply = publishCount(*node, 7, 1);
    QCOMPARE(reply.status, 503);
    QVERIFY2(reply.json().value("error"_L1).toString().contains("WRONGTYPE"_L1), reply.body.constData());
    QCOMPARE(readyz(*node), 200); // a command error is not a connection problem
}

namespace {

// Every log line of the process, to check what an operator would read.
QStringList& logLines()
{
    static QStringList lines;
    return lines;
}

class LogCapture
{
public:
    LogCapture()
    {
        logLines().clear();
        m_previous = qInstallMessageHandler(
            [](QtMsgType type, const QMessageLogContext& context, const QString& message) {
                logLines().append(message);
                if (s_previous)
                    s_previous(type, context, message);
            });
        s_previous = m_previous;
    }
    ~LogCapture()
    {
        qInstallMessageHandler(m_previous);
        s_previous = nullptr;
    }
    QString joined() const { return logLines().join(u'\n'); }

private:
    QtMessageHandler m_previous = nullptr;
    static inline QtMessageHandler s_previous = nullptr;
};

// A node on `url` serves a retained count to a client connecting after the publish.
void roundTrip(const QString& url)
{
    auto node = startNode(url);
    QVERIFY(node && waitReady(*node));
    auto live = connectUser(*node, 7);
    QVERIFY(live);
    QCOMPARE(publishCount(*node, 7, 4).status, 202);
    QCOMPARE(live->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 4);
    auto later = connectUser(*node, 7);
    QVERIFY(later);
    QCOMPARE(later->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 4);
}

// A node on `url` stays not ready, and says why in its log without the password.
void refused(const QString& url, const QString& password, const QString& expectedInLog)
{
    LogCapture log;
    auto node = startNode(url);
    QVERIFY(node);
    QVERIFY(waitFor([&] { return log.joined().contains(expectedInLog); }, kRecoverMs));
    QVERIFY(!node->server()->isReady());
    QCOMPARE(readyz(*node), 503);
    QCOMPARE(publishCount(*node, 7, 1).status, 503);
    QVERIFY2(!log.joined().contains(password), qPrintable(log.joined()));
}

} // namespace

void TestRedisEngine::passwordFromUrl()
{
    const QString secret = u"s3cr@t:pw"_s;
    const quint16 port = m_redis->port();
    m_redis.reset(); // the port is needed again
    m_redis = std::make_unique<RedisProcess>(port, QStringList{u"--requirepass"_s, secret},
                                             QByteArrayList{secret.toUtf8()});
    QVERIFY(m_redis->start());
    const QString base = u"127.0.0.1:%1"_s.arg(m_redis->port());
    // Percent-encoded in the URL; db 3 also needs the AUTH before its SELECT.
    roundTrip(u"redis://:s3cr%40t%3Apw@%1/3"_s.arg(base));
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(m_redis->command({"SELECT", "3"}), QByteArray("OK"));
    QCOMPARE(m_redis->command({"HGET", "fw:retained:user-7", "notification-count"}),
             QByteArray(R"({"count":4,"type":"notification-count"})"));
    refused(u"redis://:wrong-password@%1/0"_s.arg(base), u"wrong-password"_s, u"AUTH failed: WRONGPASS"_s);
    if (QTest::currentTestFailed())
        return;
    // Without credentials the node does not get anywhere either.
    refused(u"redis://%1/0"_s.arg(base), secret, u"NOAUTH"_s);
}

void TestRedisEngine::aclUserFromUrl()
{
    // The default user is off: nothing works without alice's credentials.
    const quint16 port = m_redis->port();
    m_redis.reset();
    m_redis = std::make_unique<RedisProcess>(port,
                                             QStringList{u"--user"_s, u"default"_s, u"off"_s, u"--user"_s,
                                                         u"alice"_s, u"on"_s, u">pw-of-alice"_s, u"~*"_s,
                                                         u"&*"_s, u"+@all"_s},
                                             QByteArrayList{"alice", "pw-of-alice"});
    QVERIFY(m_redis->start());
    const QString base = u"127.0.0.1:%1"_s.arg(m_redis->port());
    roundTrip(u"redis://alice:pw-of-alice@%1/0"_s.arg(base));
    if (QTest::currentTestFailed())
        return;
    refused(u"redis://alice:not-her-password@%1/0"_s.arg(base), u"not-her-password"_s,
            u"AUTH as user 'alice' failed: WRONGPASS"_s);
}

void TestRedisEngine::channelNotPayloadNamesTheTopic()
{
    auto node = startNode(m_redis->url());
    QVERIFY(node && waitReady(*node));
    auto one = connectUser(*node, 1);
    auto two = connectUser(*node, 2);
    QVERIFY(one && two);
    QVERIFY(waitFor(
        [&] { return m_redis->numsub("fw:topic:user-1") == 1 && m_redis->numsub("fw:topic:user-2") == 1; }));
    // Someone who may publish on user 1's channel (a second, plain Redis connection) names user 2.
    Publication forged;
    forged.topic = u"user-2"_s;
    forged.type = u"notification-count"_s;
    forged.payload = R"({"count":666,"type":"notification-count"})";
    QCOMPARE(m_redis->command({"PUBLISH", "fw:topic:user-1", forged.serialize()}), QByteArray("1"));
    QCOMPARE(countOfType(*two, u"notification-count"_s, 300), 0);
    QCOMPARE(countOfType(*one, u"notification-count"_s, 0), 0);
    QVERIFY(
        node->admin("GET", u"/metrics"_s).body.contains("\nforgewire_redis_mismatched_messages_total 1\n"));

    // A message whose topic is its channel's still goes through.
    forged.topic = u"user-1"_s;
    QCOMPARE(m_redis->command({"PUBLISH", "fw:topic:user-1", forged.serialize()}), QByteArray("1"));
    QCOMPARE(one->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 666);
    QCOMPARE(countOfType(*two, u"notification-count"_s, 200), 0);
}

void TestRedisEngine::revocationReachesEveryNodeAndSurvivesRestarts()
{
    auto a = startNode(m_redis->url());
    auto b = startNode(m_redis->url());
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    const QByteArray revokedToken = makeToken(7, u"alice"_s, u"sess-S"_s);
    auto refusedOn = [&](const ServerFixture& node) {
        WsClient client;
        return client.open(node.wsUrl(), revokedToken) && client.waitClosed() == 4001 &&
               client.socket().closeReason() == "revoked session"_L1 && client.queue().isEmpty();
    };
    auto onB = std::make_unique<WsClient>();
    QVERIFY(onB->open(b->wsUrl(), revokedToken));
    QVERIFY(!onB->nextOfType(u"hello"_s).isEmpty());
    // Off its user topic, so B holds no subscription that the logout itself could arrive on.
    onB->send({{u"type"_s, u"unsubscribe"_s}, {u"topic"_s, u"user-7"_s}});
    QVERIFY(!onB->nextOfType(u"unsubscribed"_s).isEmpty());
    QVERIFY(waitFor([&] { return m_redis->numsub("fw:topic:user-7") == 0; }));
    auto otherSession = std::make_unique<WsClient>();
    QVERIFY(otherSession->open(b->wsUrl(), makeToken(7, u"alice"_s, u"sess-T"_s)));
    QVERIFY(!otherSession->nextOfType(u"hello"_s).isEmpty());

    QVERIFY(a->publish(u"/api/v1/users/7/logout"_s, R"({"session_id":"sess-S"})"));
    QCOMPARE(onB->nextOfType(u"logout"_s).value("data"_L1).toString(), u"here"_s);
    QCOMPARE(onB->waitClosed(), 4001);
    QCOMPARE(onB->socket().closeReason(), u"session revoked"_s);
    QCOMPARE(otherSession->nextOfType(u"logout"_s).value("data"_L1).toString(), u"elsewhere"_s);
    QVERIFY(otherSession->isOpen());
    QVERIFY(refusedOn(*b));
    QVERIFY(refusedOn(*a));
    // Stored with its end as the score, about 30 days from now.
    const double until = m_redis->command({"ZSCORE", "fw:revoked-sessions", "sess-S"}).toDouble();
    const double ttl = double(RevokedSessions::kDefaultTtlSeconds) * 1000;
    QVERIFY(qAbs(until - double(QDateTime::currentMSecsSinceEpoch()) - ttl) < 60'000);

    // Both nodes restart: the revocation comes back from Redis before they report ready.
    otherSession.reset();
    a.reset();
    b.reset();
    a = startNode(m_redis->url());
    b = startNode(m_redis->url());
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    QVERIFY(refusedOn(*a));
    QVERIFY(refusedOn(*b));
    auto fresh = std::make_unique<WsClient>();
    QVERIFY(fresh->open(b->wsUrl(), makeToken(7, u"alice"_s, u"sess-T"_s)));
    QVERIFY(!fresh->nextOfType(u"hello"_s).isEmpty());
}

void TestRedisEngine::boardScriptFollowsTheModelRules()
{
    // The Lua script against the very cases BoardModel passes (tst_boardmodel).
    QString error;
    const auto address = RedisAddress::parse(m_redis->url(), &error);
    QVERIFY2(address, qPrintable(error));
    RedisEngine engine(*address);
    engine.start();
    QVERIFY(waitFor([&] { return engine.isReady(); }));
    expectBoardRules(engine, 1000);
    if (QTest::currentTestFailed())
        return;
    // list-boards' source: a summary per model.
    std::optional<QList<BoardState>> all;
    engine.boards([&](QList<BoardState> states) { all = states; });
    QVERIFY(waitFor([&] { return all.has_value(); }));
    QCOMPARE(all->size(), boardCases().size());
    QCOMPARE(all->first().board.value("owner"_L1).toString(), u"alice"_s);
}

void TestRedisEngine::boardEventsFromTwoNodesGapFree()
{
    auto a = startNode(m_redis->url());
    auto b = startNode(m_redis->url());
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    QCOMPARE(a->admin("PUT", u"/api/v1/projects/42/access"_s, R"({"users":[7]})").status, 200);
    QCOMPARE(a->admin("PUT", u"/api/v1/projects/42/board"_s, baseBoard()).status, 200);
    QCOMPARE(b->admin("GET", u"/api/v1/projects/42/board"_s).json().value("seq"_L1).toInt(), 1);
    auto onA = connectAndSubscribe(*a, u"project-board.42"_s);
    auto onB = connectAndSubscribe(*b, u"project-board.42"_s);
    QVERIFY(onA && onB);
    QCOMPARE(onA->nextOfType(u"board-snapshot"_s).value("seq"_L1).toInt(), 1);
    QCOMPARE(onB->nextOfType(u"board-snapshot"_s).value("seq"_L1).toInt(), 1);
    QVERIFY(waitFor([&] { return m_redis->numsub("fw:topic:project-board.42") == 2; }));

    // Both nodes publish at once, without waiting for each other's answers.
    constexpr int kPerNode = 40;
    const int accepted = publishBoardEventsThroughBoth(*a, *b, u"/api/v1/projects/42/events"_s, kPerNode);
    QCOMPARE(accepted, 2 * kPerNode);
    // Every client: 2 .. 2N+1, each once, in order.
    for (WsClient* client : {onA.get(), onB.get()}) {
        expectBoardSeqs(*client, 2, 2 * kPerNode + 1);
        if (QTest::currentTestFailed())
            return;
    }
    QCOMPARE(a->admin("GET", u"/api/v1/projects/42/board"_s).json().value("seq"_L1).toInt(),
             2 * kPerNode + 1);
}

void TestRedisEngine::boardSnapshotRedeliveredAfterSubscriberLoss()
{
    auto a = startNode(m_redis->url());
    auto b = startNode(m_redis->url());
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    QCOMPARE(a->admin("PUT", u"/api/v1/projects/42/access"_s, R"({"users":[7]})").status, 200);
    QCOMPARE(a->admin("PUT", u"/api/v1/projects/42/board"_s, baseBoard()).status, 200);
    auto onB = connectAndSubscribe(*b, u"project-board.42"_s);
    QVERIFY(onB);
    QCOMPARE(onB->nextOfType(u"board-snapshot"_s).value("seq"_L1).toInt(), 1);
    QVERIFY(waitFor([&] { return m_redis->numsub("fw:topic:project-board.42") == 1; }));
    // B's subscriber: node channel, fw:revoked, user-7 and the board (as in the test above).
    const qint64 subscriberOfB = m_redis->subscriberWith(4);
    QVERIFY2(subscriberOfB >= 0, m_redis->command({"CLIENT", "LIST", "TYPE", "pubsub"}).constData());
    QCOMPARE(m_redis->command({"CONFIG", "SET", "maxclients", "1"}), QByteArray("OK"));
    QCOMPARE(m_redis->command({"CLIENT", "KILL", "ID", QByteArray::number(subscriberOfB)}), QByteArray("1"));
    QVERIFY(waitFor([&] { return !b->server()->isReady(); }));
    // Seq 2 is published while B cannot hear it.
    QVERIFY(a->publish(u"/api/v1/projects/42/events"_s,
                       R"({"event":"card.unlinked","data":{"issue_id":12,"column_id":1}})"));
    QCOMPARE(m_redis->command({"CONFIG", "SET", "maxclients", "10000"}), QByteArray("OK"));
    QVERIFY(waitReady(*b));
    const QJsonObject snapshot = onB->nextOfType(u"board-snapshot"_s);
    QCOMPARE(snapshot.value("seq"_L1).toInt(), 2);
    QCOMPARE(layout(snapshot.value("board"_L1).toObject()), u"Roadmap|1 To do*:11|2 Doing:13|3 Done:"_s);
    QVERIFY(a->publish(u"/api/v1/projects/42/events"_s,
                       R"({"event":"card.unlinked","data":{"issue_id":11,"column_id":1}})"));
    QCOMPARE(onB->nextOfType(u"board"_s).value("seq"_L1).toInt(), 3);
}

namespace {

QByteArray boardEvent(int issueId)
{
    return R"({"event":"card.moved","data":{"issue_id":)" + QByteArray::number(issueId) +
           R"(,"issue_index":3,"repo":"alice/proj","from_column_id":1,"to_column_id":2,"sorting":0}})";
}

int issueOf(const QJsonObject& board)
{
    return board.value("data"_L1).toObject().value("issue_id"_L1).toInt();
}

} // namespace

void TestRedisEngine::everyBoardPatternDeliversOnce()
{
    // Event streams read every board (one PSUBSCRIBE per node); WebSocket clients subscribe to one
    // (one SUBSCRIBE). A node with both gets each board message twice from Redis and must deliver it
    // once to each client.
    auto a = startNode(m_redis->url());
    auto b = startNode(m_redis->url());
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    QCOMPARE(a->admin("PUT", u"/api/v1/projects/43/access"_s, R"({"public":true,"users":[]})").status, 200);
    QCOMPARE(a->admin("PUT", u"/api/v1/projects/42/access"_s, R"({"public":false,"users":[8]})").status, 200);
    auto onA = connectAndSubscribe(*a, u"project-board.43"_s, 8);
    auto onB = connectAndSubscribe(*b, u"project-board.43"_s, 8);
    QVERIFY(onA && onB);
    auto stream = std::make_unique<SseClient>();
    QVERIFY(stream->open(b->server()->port(), "/user/events",
                         "Authorization: Bearer " + makeToken(7, u"alice"_s) + "\r\n"));
    QCOMPARE(stream->status(), 200);
    QVERIFY(waitFor([&] {
        return m_redis->command({"PUBSUB", "NUMPAT"}) == "1" &&
               m_redis->numsub("fw:topic:project-board.43") == 2;
    }));
    QTest::qWait(100); // b's pattern confirmation is read

    QVERIFY(a->publish(u"/api/v1/projects/43/events"_s, boardEvent(1)));
    QVERIFY(a->publish(u"/api/v1/projects/42/events"_s, boardEvent(2)));
    QVERIFY(b->publish(u"/api/v1/projects/43/events"_s, boardEvent(3)));
    for (WsClient* client : {onA.get(), onB.get()}) {
        QCOMPARE(issueOf(client->nextOfType(u"board"_s)), 1);
        QCOMPARE(issueOf(client->nextOfType(u"board"_s)), 3);
    }
    QCOMPARE(countOfType(*onB, u"board"_s, 300), 0);
    QCOMPARE(countOfType(*onA, u"board"_s, 0), 0);
    SseClient::Event event = stream->next();
    QCOMPARE(event.name, "project-board.43");
    QCOMPARE(QJsonDocument::fromJson(event.data).object().value("issue_id"_L1).toInt(), 1);
    event = stream->next();
    QCOMPARE(QJsonDocument::fromJson(event.data).object().value("issue_id"_L1).toInt(), 3);
    QVERIFY(!stream->next(300).isValid()); // no copy, and nothing of board 42 (not alice's)

    // The last stream gone, the pattern goes, and the exact subscription delivers alone again.
    stream.reset();
    QVERIFY(waitFor([&] { return m_redis->command({"PUBSUB", "NUMPAT"}) == "0"; }));
    QVERIFY(a->publish(u"/api/v1/projects/43/events"_s, boardEvent(4)));
    QCOMPARE(issueOf(onB->nextOfType(u"board"_s)), 4);
    QCOMPARE(countOfType(*onB, u"board"_s, 300), 0);
}

QTEST_MAIN(TestRedisEngine)
#include "tst_redisengine.moc"
