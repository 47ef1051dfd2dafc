// The Redis Cluster engine against a real cluster started here (three cluster-enabled redis-servers,
// no replicas): two nodes pass the multi-node checks of one Redis (unicast and broadcast exactly
// once, retained state after a node restart, boards with seq from both nodes, ACLs, revocations,
// readers of every board), with topics on all three shards, each published only within its shard;
// one shard killed pauses only its own topics and comes back by itself.

#include "../../broker/BoardCases.h"
#include "MultiNodeChecks.h"
#include "RedisProcess.h"
#include "TestSupport.h"
#include "broker/BoardModel.h"
#include "engine/redis/ClusterSlots.h"
#include "engine/redis/ClusterSubscriptions.h"
#include "engine/redis/RedisClusterEngine.h"
#include "engine/redis/ShardedSubscriber.h"
#include "protocol/Topic.h"

#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

QByteArray boardEvent(int issueId)
{
    return R"({"event":"card.moved","data":{"issue_id":)" + QByteArray::number(issueId) +
           R"(,"issue_index":3,"repo":"alice/proj","from_column_id":1,"to_column_id":2,"sorting":0}})";
}

} // namespace

class TestRedisClusterEngine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void startsWithoutACluster();
    void unicastAndBroadcastOnEveryShard();
    void retainedStateAfterNodeRestart();
    void boardsWithSeqAcrossNodes();
    void boardScriptFollowsTheModelRules();
    void revocationReachesEveryNode();
    void unreadableRevocationsKeepTheNodeNotReady();
    void everyBoardReaders();
    void oneShardDownPausesOnlyItsTopics();
    void publishMissedByANodeIsRedelivered();
    void subscriptionFollowsASlotMove();
    void pendingScriptsBound();
    void aBatchIsOneScriptPerShard();
    void moreTopicsOnAShardThanOneConnectionTakesAtOnce();

private:
    // The shard (node index) that serves `topic`.
    int shardOf(const QString& topic) const
    {
        return m_cluster->nodeOfSlot(ClusterSlots::keySlot(RedisClusterEngine::topicChannel(topic)));
    }
    // The first user whose topic lives on `shard`.
    qint64 userOnShard(int shard) const
    {
        qint64 user = 1;
        while (shardOf(Topic::user(user)) != shard)
            ++user;
        return user;
    }
    // The first project above `from` whose board lives on `shard`.
    qint64 projectOnShard(int shard, qint64 from = 40) const
    {
        qint64 project = from + 1;
        while (shardOf(Topic::projectBoard(project)) != shard)
            ++project;
        return project;
    }
    // Nodes subscribed to `topic`'s channel on `shard` (sharded subscriptions are per shard).
    int subscribersOn(int shard, const QString& topic)
    {
        const QByteArrayList reply =
            m_cluster->node(shard).list({"PUBSUB", "SHARDNUMSUB", RedisClusterEngine::topicChannel(topic)});
        return reply.size() == 2 ? reply.at(1).toInt() : -1;
    }

    // An engine of its own on the cluster, started and ready (nullptr if it did not get ready).
    std::unique_ptr<RedisClusterEngine> readyEngine()
    {
        QString error;
        const auto settings = ClusterSettings::parseUrl(m_cluster->url(), &error);
        if (!settings)
            qFatal("%s", qPrintable(error));
        auto engine = std::make_unique<RedisClusterEngine>(*settings);
        engine->start();
        return waitFor([&] { return engine->isReady(); }) ? std::move(engine) : nullptr;
    }
    // The id of the one pub/sub connection on `shard` with exactly `channels` shard channels; -1
    // unless exactly one matches.
    qint64 shardSubscriberWith(int shard, int channels)
    {
        qint64 id = -1;
        int matches = 0;
        const QByteArray clients = m_cluster->node(shard).command({"CLIENT", "LIST", "TYPE", "pubsub"});
        for (const QByteArray& line : clients.split('\n')) {
            if (!line.contains(" ssub=" + QByteArray::number(channels) + ' '))
                continue;
            ++matches;
            id = line.mid(3, line.indexOf(' ') - 3).toLongLong();
        }
        return matches == 1 ? id : -1;
    }

    std::unique_ptr<RedisClusterProcesses> m_cluster;
};

void TestRedisClusterEngine::initTestCase()
{
    FORGEWIRE_REQUIRE_REDIS(false);
}

void TestRedisClusterEngine::init()
{
    m_cluster = std::make_unique<RedisClusterProcesses>();
    QVERIFY(m_cluster->start(3));
}

void TestRedisClusterEngine::cleanup()
{
    m_cluster.reset();
}

void TestRedisClusterEngine::startsWithoutACluster()
{
    // Nothing listens: the node runs, not ready, and says why.
    const quint16 closed = freePort();
    auto node = startNode(u"redis-cluster://127.0.0.1:%1"_s.arg(closed));
    QVERIFY(node);
    QVERIFY(waitFor([&] {
        const HttpReply readyz = node->admin("GET", u"/readyz"_s);
        return readyz.status == 503 && readyz.body.contains("no cluster map") &&
               readyz.body.contains(QByteArray::number(closed));
    }));
    QCOMPARE(publishCount(*node, 7, 1).status, 503);
    // A bad URL is a start-up error.
    ServerConfig config = testConfig();
    config.engine = u"redis-cluster://h:1/2"_s;
    ServerFixture bad(config);
    QVERIFY(!bad.start());
    QVERIFY2(bad.error().contains("database 0 only"_L1), qPrintable(bad.error()));
}

void TestRedisClusterEngine::unicastAndBroadcastOnEveryShard()
{
    auto a = startNode(m_cluster->url());
    auto b = startNode(m_cluster->url());
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    for (int shard = 0; shard < 3; ++shard) {
        const qint64 user = userOnShard(shard);
        auto onA = connectUser(*a, user);
        auto onB = connectUser(*b, user);
        QVERIFY(onA && onB);
        // Both nodes subscribed on the topic's shard, and on no other.
        QVERIFY(waitFor([&] { return subscribersOn(shard, Topic::user(user)) == 2; }));
        QCOMPARE(subscribersOn((shard + 1) % 3, Topic::user(user)), 0);

        QCOMPARE(publishCount(*a, user, shard + 10).status, 202);
        QCOMPARE(onB->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), shard + 10);
        QCOMPARE(onA->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), shard + 10);
        QCOMPARE(countOfType(*onA, u"notification-count"_s, 300), 0);
        QCOMPARE(countOfType(*onB, u"notification-count"_s, 0), 0);
        // The retained copy is on the same shard, under the topic's hash tag.
        QVERIFY(
            !m_cluster->node(shard)
                 .command({"HGET", RedisClusterEngine::retainedKey(Topic::user(user)), "notification-count"})
                 .isEmpty());
    }

    const QByteArray metrics = b->admin("GET", u"/metrics"_s).body;
    QVERIFY2(metrics.contains("\nforgewire_redis_cluster_primaries 3\n") &&
                 metrics.contains("\nforgewire_redis_cluster_primaries_down 0\n") &&
                 metrics.contains("\nforgewire_redis_cluster_primaries_not_serving 0\n") &&
                 metrics.contains("\nforgewire_redis_connected 1\n"),
             metrics.constData());

    // Broadcast: one topic, clients on both nodes, two of them on one node.
    const QString topic = u"public.news"_s;
    auto first = connectAndSubscribe(*a, topic);
    auto second = connectAndSubscribe(*a, topic, 8);
    auto third = connectAndSubscribe(*b, topic, 9);
    QVERIFY(first && second && third);
    QVERIFY(waitFor([&] { return subscribersOn(shardOf(topic), topic) == 2; }));
    QVERIFY(b->publish(
        u"/api/v1/publish"_s,
        R"({"topic":"public.news","message":{"type":"board","event":"project.updated","data":{"title":"one","description":"","is_closed":false}}})"));
    for (WsClient* client : {first.get(), second.get(), third.get()}) {
        QCOMPARE(client->nextOfType(u"board"_s).value("data"_L1).toObject().value("title"_L1).toString(),
                 u"one"_s);
        QCOMPARE(countOfType(*client, u"board"_s, 100), 0);
    }
    // The last local subscriber gone, the node's shard subscription goes.
    third.reset();
    QVERIFY(waitFor([&] { return subscribersOn(shardOf(topic), topic) == 1; }));
}

void TestRedisClusterEngine::retainedStateAfterNodeRestart()
{
    auto a = startNode(m_cluster->url());
    auto b = startNode(m_cluster->url());
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    // Published with nobody connected anywhere: only the retained copies can carry it.
    QVERIFY(publishRetainedStateOfUser7(*a));
    expectRetainedStateOfUser7(*b);
    if (QTest::currentTestFailed())
        return;
    b.reset();
    b = startNode(m_cluster->url());
    QVERIFY(b && waitReady(*b));
    expectRetainedStateOfUser7(*b);
}

void TestRedisClusterEngine::boardsWithSeqAcrossNodes()
{
    auto a = startNode(m_cluster->url());
    auto b = startNode(m_cluster->url());
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    const qint64 project = projectOnShard(1);
    const QString topic = Topic::projectBoard(project);
    const QString base = u"/api/v1/projects/%1"_s.arg(project);
    QCOMPARE(a->admin("PUT", base + u"/access"_s, R"({"public":false,"users":[7]})").status, 200);
    QCOMPARE(a->admin("PUT", base + u"/board"_s, baseBoard()).status, 200);
    QCOMPARE(b->admin("GET", base + u"/board"_s).json().value("seq"_L1).toInt(), 1);
    QCOMPARE(b->admin("GET", base + u"/access"_s).json().value("users"_L1).toArray(), QJsonArray({7}));
    // Model, seq, summary and ACL all in the board's slot.
    QCOMPARE(m_cluster->node(1).command({"HGET", RedisClusterEngine::boardKey(project), "seq"}),
             QByteArray("1"));
    QVERIFY(!m_cluster->node(1).command({"GET", RedisClusterEngine::aclKey(project)}).isEmpty());

    auto onA = connectAndSubscribe(*a, topic);
    auto onB = connectAndSubscribe(*b, topic);
    QVERIFY(onA && onB);
    QCOMPARE(onA->nextOfType(u"board-snapshot"_s).value("seq"_L1).toInt(), 1);
    QCOMPARE(onB->nextOfType(u"board-snapshot"_s).value("seq"_L1).toInt(), 1);
    auto denied = connectUser(*b, 8);
    QVERIFY(denied);
    denied->subscribe(topic);
    QCOMPARE(denied->nextOfType(u"error"_s).value("code"_L1).toString(), u"forbidden"_s);
    QVERIFY(waitFor([&] { return subscribersOn(1, topic) == 2; }));

    // Both nodes publish at once, without waiting for each other's answers.
    constexpr int kPerNode = 30;
    const int accepted = publishBoardEventsThroughBoth(*a, *b, base + u"/events"_s, kPerNode);
    QCOMPARE(accepted, 2 * kPerNode);
    for (WsClient* client : {onA.get(), onB.get()}) {
        expectBoardSeqs(*client, 2, 2 * kPerNode + 1);
        if (QTest::currentTestFailed())
            return;
    }
    // A conflict is a 409 and changes nothing.
    const HttpReply conflict = b->admin("POST", base + u"/events"_s,
                                        R"({"event":"card.unlinked","data":{"issue_id":99,"column_id":1}})");
    QCOMPARE(conflict.status, 409);
    QCOMPARE(a->admin("GET", base + u"/board"_s).json().value("seq"_L1).toInt(), 2 * kPerNode + 1);

    // list-boards gathers the boards of every shard.
    const qint64 other = projectOnShard(2);
    QCOMPARE(a->admin("PUT", u"/api/v1/projects/%1/access"_s.arg(other), R"({"users":[7]})").status, 200);
    QCOMPARE(a->admin("PUT", u"/api/v1/projects/%1/board"_s.arg(other), baseBoard()).status, 200);
    onB->send({{u"type"_s, u"list-boards"_s}});
    QStringList topics;
    for (const QJsonValue& entry : onB->nextOfType(u"boards"_s).value("boards"_L1).toArray())
        topics.append(entry.toObject().value("topic"_L1).toString());
    topics.sort();
    QStringList expected{topic, Topic::projectBoard(other)};
    expected.sort();
    QCOMPARE(topics, expected);

    // Deleting the project removes its model and ACL from its shard.
    QVERIFY(a->publish(base + u"/events"_s, R"({"event":"project.deleted","data":{}})"));
    QCOMPARE(onB->nextOfType(u"board"_s).value("event"_L1).toString(), u"project.deleted"_s);
    QCOMPARE(b->admin("GET", base + u"/board"_s).status, 404);
    QCOMPARE(m_cluster->node(1).command({"EXISTS", RedisClusterEngine::aclKey(project)}), QByteArray("0"));
}

void TestRedisClusterEngine::boardScriptFollowsTheModelRules()
{
    // The cluster layout of the board script against the very cases BoardModel passes.
    const auto started = readyEngine();
    QVERIFY(started);
    RedisClusterEngine& engine = *started;
    expectBoardRules(engine, 1000);
    if (QTest::currentTestFailed())
        return;
    QSet<int> shards;
    for (qint64 projectId = 1001; projectId <= 1000 + boardCases().size(); ++projectId)
        shards.insert(shardOf(Topic::projectBoard(projectId)));
    QCOMPARE(shards.size(), 3); // the cases' boards landed on every shard
    // list-boards' source: a summary per model, from every shard.
    std::optional<QList<BoardState>> all;
    engine.boards([&](QList<BoardState> states) { all = states; });
    QVERIFY(waitFor([&] { return all.has_value(); }));
    QCOMPARE(all->size(), boardCases().size());
    QCOMPARE(all->first().projectId, 1001);
    QCOMPARE(all->first().board.value("owner"_L1).toString(), u"alice"_s);
}

void TestRedisClusterEngine::revocationReachesEveryNode()
{
    auto a = startNode(m_cluster->url());
    auto b = startNode(m_cluster->url());
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    const QByteArray revokedToken = makeToken(7, u"alice"_s, u"sess-S"_s);
    auto refusedOn = [&](const ServerFixture& node) {
        WsClient client;
        return client.open(node.wsUrl(), revokedToken) && client.waitClosed() == 4001 &&
               client.socket().closeReason() == "revoked session"_L1;
    };
    QVERIFY(a->publish(u"/api/v1/users/7/logout"_s, R"({"session_id":"sess-S"})"));
    QVERIFY(waitFor([&] { return refusedOn(*b); }));
    QVERIFY(refusedOn(*a));
    // Stored under {fw}, on whichever shard serves that slot.
    const int shard = m_cluster->nodeOfSlot(ClusterSlots::keySlot(RedisClusterEngine::revokedKey()));
    QVERIFY(
        !m_cluster->node(shard).command({"ZSCORE", RedisClusterEngine::revokedKey(), "sess-S"}).isEmpty());
    // A restarted node reads it back before it is ready.
    b.reset();
    b = startNode(m_cluster->url());
    QVERIFY(b && waitReady(*b));
    QVERIFY(refusedOn(*b));
}

void TestRedisClusterEngine::unreadableRevocationsKeepTheNodeNotReady()
{
    // Something else wrote the key as a string: the node must not admit sessions it cannot check.
    const int shard = m_cluster->nodeOfSlot(ClusterSlots::keySlot(RedisClusterEngine::revokedKey()));
    QCOMPARE(m_cluster->node(shard).command({"SET", RedisClusterEngine::revokedKey(), "not a set"}),
             QByteArray("OK"));
    auto node = startNode(m_cluster->url());
    QVERIFY(node);
    QVERIFY(waitFor([&] {
        const HttpReply readyz = node->admin("GET", u"/readyz"_s);
        return readyz.status == 503 && readyz.body.contains("loading revoked sessions");
    }));
    QTest::qWait(1000);
    QVERIFY(!node->server()->isReady());
    // Once it can be read, the node turns ready by itself.
    QCOMPARE(m_cluster->node(shard).command({"DEL", RedisClusterEngine::revokedKey()}), QByteArray("1"));
    QVERIFY(waitReady(*node));
}

void TestRedisClusterEngine::everyBoardReaders()
{
    // Event streams read every board; sharded pub/sub has no pattern, so a node with such readers
    // subscribes each board's channel, including boards made after the stream opened.
    auto a = startNode(m_cluster->url());
    auto b = startNode(m_cluster->url());
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    const qint64 open = projectOnShard(0);
    const qint64 closed = projectOnShard(2);
    QCOMPARE(
        a->admin("PUT", u"/api/v1/projects/%1/access"_s.arg(open), R"({"public":true,"users":[]})").status,
        200);
    QCOMPARE(a->admin("PUT", u"/api/v1/projects/%1/access"_s.arg(closed), R"({"users":[8]})").status, 200);
    QCOMPARE(a->admin("PUT", u"/api/v1/projects/%1/board"_s.arg(open), baseBoard()).status, 200);
    QCOMPARE(a->admin("PUT", u"/api/v1/projects/%1/board"_s.arg(closed), baseBoard()).status, 200);
    auto stream = std::make_unique<SseClient>();
    QVERIFY(stream->open(b->server()->port(), "/user/events",
                         "Authorization: Bearer " + makeToken(7, u"alice"_s) + "\r\n"));
    QCOMPARE(stream->status(), 200);
    QVERIFY(waitFor([&] {
        return subscribersOn(0, Topic::projectBoard(open)) == 1 &&
               subscribersOn(2, Topic::projectBoard(closed)) == 1;
    }));
    QVERIFY(a->publish(u"/api/v1/projects/%1/events"_s.arg(closed), boardEvent(11)));
    QVERIFY(a->publish(u"/api/v1/projects/%1/events"_s.arg(open), boardEvent(12)));
    // (Board events are card moves from column 1, where the base board holds issues 11 and 12.)
    SseClient::Event event = stream->next();
    QCOMPARE(event.name, Topic::projectBoard(open).toUtf8());
    QCOMPARE(QJsonDocument::fromJson(event.data).object().value("issue_id"_L1).toInt(), 12);

    // A board made now, on the third shard, is followed too.
    const qint64 fresh = projectOnShard(1);
    QCOMPARE(
        a->admin("PUT", u"/api/v1/projects/%1/access"_s.arg(fresh), R"({"public":true,"users":[]})").status,
        200);
    QCOMPARE(a->admin("PUT", u"/api/v1/projects/%1/board"_s.arg(fresh), baseBoard()).status, 200);
    QVERIFY(waitFor([&] { return subscribersOn(1, Topic::projectBoard(fresh)) == 1; }));
    QVERIFY(a->publish(u"/api/v1/projects/%1/events"_s.arg(fresh), boardEvent(11)));
    for (;;) {
        event = stream->next();
        QVERIFY(event.isValid());
        if (QJsonDocument::fromJson(event.data).object().value("issue_id"_L1).toInt() == 11)
            break;
        // Only the new board's snapshot may come before its event: nothing of the closed board.
        QCOMPARE(event.name, Topic::projectBoard(fresh).toUtf8());
    }
    QCOMPARE(event.name, Topic::projectBoard(fresh).toUtf8());
    QVERIFY(!stream->next(300).isValid());

    // The last stream gone, the board subscriptions of that node go.
    stream.reset();
    QVERIFY(waitFor([&] { return subscribersOn(0, Topic::projectBoard(open)) == 0; }));
    QVERIFY(waitFor([&] { return subscribersOn(1, Topic::projectBoard(fresh)) == 0; }));
}

void TestRedisClusterEngine::oneShardDownPausesOnlyItsTopics()
{
    auto a = startNode(m_cluster->url());
    auto b = startNode(m_cluster->url());
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    std::vector<qint64> users;
    std::vector<std::unique_ptr<WsClient>> clients;
    for (int shard = 0; shard < 3; ++shard) {
        users.push_back(userOnShard(shard));
        clients.push_back(connectUser(*b, users.back()));
        QVERIFY(clients.back());
        QVERIFY(waitFor([&] { return subscribersOn(shard, Topic::user(users.back())) == 1; }));
    }
    const quint16 downPort = m_cluster->node(1).port();
    m_cluster->node(1).stop();
    QVERIFY(waitFor([&] {
        const HttpReply readyz = b->admin("GET", u"/readyz"_s);
        return readyz.status == 503 &&
               readyz.body.contains("shard 127.0.0.1:" + QByteArray::number(downPort)) &&
               readyz.body.contains("down");
    }));
    QVERIFY(b->admin("GET", u"/metrics"_s).body.contains("\nforgewire_redis_cluster_primaries_down 1\n"));
    // Its topics: 503 at once. The others keep flowing, and no client was disconnected.
    QCOMPARE(publishCount(*a, users[1], 1).status, 503);
    for (int shard : {0, 2}) {
        QCOMPARE(publishCount(*a, users[size_t(shard)], 20 + shard).status, 202);
        QCOMPARE(clients[size_t(shard)]->nextOfType(u"notification-count"_s).value("count"_L1).toInt(),
                 20 + shard);
    }
    for (const auto& client : clients)
        QVERIFY(client->isOpen());

    // Back (empty: it kept nothing on disk): its topics flow again to the same clients.
    QVERIFY(m_cluster->node(1).start());
    // A restarted cluster node answers CLUSTERDOWN (a 503 here) until it has rejoined: ready means
    // it has, so its topics take publishes at once.
    QVERIFY(waitReady(*a) && waitReady(*b));
    QCOMPARE(b->admin("GET", u"/readyz"_s).status, 200);
    const HttpReply back = publishCount(*a, users[1], 31);
    QVERIFY2(back.status == 202, back.body.constData());
    QVERIFY(waitFor([&] { return subscribersOn(1, Topic::user(users[1])) == 1; }));
    QCOMPARE(clients[1]->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 31);
    QVERIFY(clients[0]->isOpen() && clients[2]->isOpen());
}

void TestRedisClusterEngine::publishMissedByANodeIsRedelivered()
{
    auto a = startNode(m_cluster->url());
    auto b = startNode(m_cluster->url());
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    // A shard where B holds the user's topic alone ({fw}'s shard also has both nodes' revocations).
    const int shard =
        (m_cluster->nodeOfSlot(ClusterSlots::keySlot(RedisClusterEngine::revokedKey())) + 1) % 3;
    const qint64 user = userOnShard(shard);
    auto client = connectUser(*b, user);
    QVERIFY(client);
    QVERIFY(waitFor([&] { return subscribersOn(shard, Topic::user(user)) == 1; }));
    const qint64 subscriberOfB = shardSubscriberWith(shard, 1);
    QVERIFY2(subscriberOfB >= 0,
             m_cluster->node(shard).command({"CLIENT", "LIST", "TYPE", "pubsub"}).constData());
    // The shard refuses new connections but keeps A's: B's subscription is cut off for certain.
    RedisProcess& node = m_cluster->node(shard);
    QCOMPARE(node.command({"CONFIG", "SET", "maxclients", "1"}), QByteArray("OK"));
    QCOMPARE(node.command({"CLIENT", "KILL", "ID", QByteArray::number(subscriberOfB)}), QByteArray("1"));
    QVERIFY(waitFor([&] { return !b->server()->isReady(); }));
    QTest::qWait(300);
    QVERIFY(!b->server()->isReady()); // connections the shard takes and drops do not count as up
    QCOMPARE(publishCount(*a, user, 4).status, 202);
    QCOMPARE(node.command({"CONFIG", "SET", "maxclients", "10000"}), QByteArray("OK"));
    QVERIFY(waitReady(*b));
    QCOMPARE(client->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 4);
    QCOMPARE(publishCount(*a, user, 5).status, 202);
    QCOMPARE(client->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 5);
    QCOMPARE(countOfType(*client, u"notification-count"_s, 300), 0);
}

void TestRedisClusterEngine::subscriptionFollowsASlotMove()
{
    auto a = startNode(m_cluster->url());
    auto b = startNode(m_cluster->url());
    QVERIFY(a && b);
    QVERIFY(waitReady(*a) && waitReady(*b));
    // Never retained, so its slot holds no key and can be handed over as it is.
    const QString topic = u"public.news"_s;
    const int from = shardOf(topic);
    const int to = (from + 1) % 3;
    auto client = connectAndSubscribe(*b, topic);
    QVERIFY(client);
    QVERIFY(waitFor([&] { return subscribersOn(from, topic) == 1; }));
    QVERIFY(m_cluster->handSlot(ClusterSlots::keySlot(RedisClusterEngine::topicChannel(topic)), from, to));
    // The old owner drops the subscription; the node learns the new owner and subscribes there.
    QVERIFY(waitFor([&] { return subscribersOn(to, topic) == 1; }));
    QVERIFY(a->publish(
        u"/api/v1/publish"_s,
        R"({"topic":"public.news","message":{"type":"board","event":"project.updated","data":{"title":"moved","description":"","is_closed":false}}})"));
    QCOMPARE(client->nextOfType(u"board"_s).value("data"_L1).toObject().value("title"_L1).toString(),
             u"moved"_s);
    QCOMPARE(countOfType(*client, u"board"_s, 300), 0);
}

void TestRedisClusterEngine::aBatchIsOneScriptPerShard()
{
    const auto started = readyEngine();
    QVERIFY(started);
    RedisClusterEngine& engine = *started;
    const auto countFor = [](qint64 user) {
        Publication p;
        p.topic = Topic::user(user);
        p.type = u"notification-count"_s;
        p.payload = R"({"type":"notification-count","count":)" + QByteArray::number(user) + '}';
        p.retain = true;
        return p;
    };
    const auto publish = [&](const QList<Publication>& batch) {
        std::optional<QString> outcome;
        engine.publish(batch, [&](const QString& e) { outcome = e; });
        waitFor([&] { return outcome.has_value(); });
        return outcome.value_or(u"no answer"_s);
    };
    const auto scriptsRunBy = [&](int shard) {
        const QByteArray stats = m_cluster->node(shard).info("commandstats", "cmdstat_eval");
        return stats.mid(6, stats.indexOf(',') - 6).toInt(); // calls=N,...
    };
    // 60 users, about 20 a shard, each in a slot of its own.
    for (int shard = 0; shard < 3; ++shard)
        QCOMPARE(m_cluster->node(shard).command({"CONFIG", "RESETSTAT"}), QByteArray("OK"));
    QList<Publication> batch;
    for (qint64 user = 1; user <= 60; ++user)
        batch.append(countFor(user));
    QCOMPARE(publish(batch), QString());
    for (int shard = 0; shard < 3; ++shard)
        QCOMPARE(scriptsRunBy(shard), 1);
    for (qint64 user : {1, 60})
        QCOMPARE(
            m_cluster->node(shardOf(Topic::user(user)))
                .command({"HGET", RedisClusterEngine::retainedKey(Topic::user(user)), "notification-count"}),
            countFor(user).payload);

    // A slot handed to another shard under a map not refreshed yet: that shard's script finds the key
    // is not its own before writing anything, and each slot is then published on its own (MOVED).
    qint64 moved = 61;
    while (shardOf(Topic::user(moved)) != 0)
        ++moved;
    const qint64 stays = userOnShard(0);
    QVERIFY(m_cluster->handSlot(ClusterSlots::keySlot(RedisClusterEngine::topicChannel(Topic::user(moved))),
                                0, 1));
    QCOMPARE(publish({countFor(moved), countFor(stays)}), QString());
    QCOMPARE(m_cluster->node(1).command(
                 {"HGET", RedisClusterEngine::retainedKey(Topic::user(moved)), "notification-count"}),
             countFor(moved).payload);
    QCOMPARE(m_cluster->node(0).command(
                 {"HGET", RedisClusterEngine::retainedKey(Topic::user(stays)), "notification-count"}),
             countFor(stays).payload);
}

void TestRedisClusterEngine::pendingScriptsBound()
{
    const auto started = readyEngine();
    QVERIFY(started);
    RedisClusterEngine& engine = *started;
    Publication p;
    p.topic = u"user-7"_s;
    p.type = u"notification-count"_s;
    p.payload = R"({"type":"notification-count","count":1})";
    // Sent without returning to the event loop, so none is answered meanwhile: the bound is counted
    // when a publish is sent, and the one past it is refused at once.
    int answered = 0;
    int failed = 0;
    for (qsizetype i = 0; i < RedisClusterEngine::kMaxPendingScripts; ++i)
        engine.publish({p}, [&](const QString& e) {
            ++answered;
            failed += e.isEmpty() ? 0 : 1;
        });
    QString refusal;
    engine.publish({p}, [&](const QString& e) { refusal = e; });
    QVERIFY2(refusal.contains(u"too slow: 50000 scripts waiting"_s), qPrintable(refusal));
    QCOMPARE(answered, 0);
    QVERIFY(waitFor([&] { return answered == RedisClusterEngine::kMaxPendingScripts; }, 60'000));
    QCOMPARE(failed, 0);
    // Nothing is left counted: the next one goes through.
    std::optional<QString> next;
    engine.publish({p}, [&](const QString& e) { next = e; });
    QVERIFY(waitFor([&] { return next.has_value(); }));
    QCOMPARE(*next, QString());
}

void TestRedisClusterEngine::moreTopicsOnAShardThanOneConnectionTakesAtOnce()
{
    // More topics on one shard than a connection has requests in flight (ShardedSubscriber::kMaxPending):
    // they go in windows of ClusterSubscriptions::kSubscribeWindow, at first and after a reconnect.
    const auto started = readyEngine();
    QVERIFY(started);
    RedisClusterEngine& engine = *started;
    const qsizetype topics = ShardedSubscriber::kMaxPending + 500;
    QStringList watched;
    for (qint64 user = 1; watched.size() < topics; ++user) {
        if (shardOf(Topic::user(user)) == 0) {
            engine.watchTopic(Topic::user(user));
            watched.append(Topic::user(user));
        }
    }
    const auto channelsOnShard0 = [&] {
        return m_cluster->node(0).list({"PUBSUB", "SHARDCHANNELS", "fw:topic:*"}).size();
    };
    QVERIFY(waitFor([&] { return channelsOnShard0() == topics; }, 20'000));
    QVERIFY(engine.isReady());
    // Its connection cut: every channel subscribed again, and then it is ready.
    QVERIFY(!m_cluster->node(0).command({"CLIENT", "KILL", "TYPE", "pubsub"}).isEmpty());
    QVERIFY(waitFor([&] { return !engine.isReady(); }));
    QVERIFY(waitFor([&] { return engine.isReady(); }, kRedisRecoverMs));
    QCOMPARE(channelsOnShard0(), topics);
    // And all of them left at once (thousands of clients gone): unsubscribed in windows too, without
    // losing the connection.
    QSignalSpy readiness(&engine, &Engine::readyChanged);
    for (const QString& topic : watched)
        engine.unwatchTopic(topic);
    QVERIFY(waitFor([&] { return channelsOnShard0() == 0; }, 20'000));
    QTest::qWait(2 * ClusterSubscriptions::kHealthCheckIntervalMs);
    QVERIFY(readiness.isEmpty());
    QVERIFY(engine.isReady());
}

QTEST_MAIN(TestRedisClusterEngine)
#include "tst_redisclusterengine.moc"
