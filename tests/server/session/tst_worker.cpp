// The session side of a worker (authentication, client messages, topics, the send-queue cap,
// revocation, drain) driven through its transport seam: an in-memory transport and connection
// stand in for sockets, so each decision is checked without a network.

#include "auth/Authenticator.h"
#include "auth/RevokedSessions.h"
#include "broker/SubscriberHub.h"
#include "config/ServerConfig.h"
#include "metrics/Metrics.h"
#include "session/ClientSession.h"
#include "session/Worker.h"
#include "transport/ClientConnection.h"
#include "transport/ConnectionGate.h"
#include "transport/QueueBudget.h"
#include "transport/Transport.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

namespace {

// A connection that keeps what the worker sends it. `kernelTakes` false plays a peer that does not
// read: everything queued stays in backlogBytes().
class MemoryConnection final : public ClientConnection
{
public:
    explicit MemoryConnection(ConnectionEvents* events) : m_events(events) {}

    QString peerAddress() const override { return u"memory"_s; }
    bool isOpen() const override { return m_open; }
    void queueText(const QByteArray& utf8, const QByteArray&) override
    {
        if (!m_open || closeCode != 0)
            return;
        sent.append(QJsonDocument::fromJson(utf8).object());
        if (!kernelTakes)
            backlog += utf8.size();
    }
    qint64 backlogBytes() const override { return backlog; }
    void flushNow() override {}
    void sendPing() override { ++pings; }
    void close(quint16 code, const QString& reason, CloseMode mode) override
    {
        if (closeCode != 0)
            return;
        closeCode = code;
        closeReason = reason;
        closeMode = mode;
        if (mode == CloseMode::DiscardUnsent)
            backlog = 0;
    }
    void abort() override
    {
        if (!m_open)
            return;
        m_open = false;
        m_events->connectionClosed(this);
    }

    QList<QJsonObject> sent;
    qint64 backlog = 0;
    bool kernelTakes = true;
    int pings = 0;
    quint16 closeCode = 0;
    QString closeReason;
    CloseMode closeMode = CloseMode::AwaitReply;

private:
    ConnectionEvents* m_events;
    bool m_open = true;
};

// The transport the test drives: it "upgrades" connections and passes their messages on.
class MemoryTransport final : public Transport
{
public:
    explicit MemoryTransport(const TransportContext& context) : Transport(context) {}
    ~MemoryTransport() override { qDeleteAll(connections); }
    void adopt(qintptr) override {}
    void sweep(qint64) override {}
    void drain() override { drained = true; }
    void flushAll() override {}

    MemoryConnection* open(const QString& query = {})
    {
        auto* connection = new MemoryConnection(m_context.events);
        connections.append(connection);
        HttpRequestHead head;
        head.method = "GET";
        head.path = u"/-/ws"_s;
        head.query = query;
        m_context.events->upgraded(connection, head);
        return connection;
    }
    void receive(MemoryConnection* connection, const QByteArray& text, bool binary = false)
    {
        m_context.events->messageReceived(connection, text, binary);
    }
    ConnectionEvents* events() const { return m_context.events; }

    QList<MemoryConnection*> connections;
    bool drained = false;
};

// Every topic is readable and has no retained state; topic counts are kept.
class MemoryHub final : public SubscriberHub
{
public:
    MemoryHub() { m_revoked.setLoaded(); }
    void resolveTopic(QObject*, qint64, bool, const QString&, TopicReply reply) override { reply(true, {}); }
    void topicRefChanged(int, const QString& topic, int delta) override { topics[topic] += delta; }
    void tokenRefChanged(int, const QByteArray&, int) override {}
    void requestRefresh(qint64) override {}
    void requestSessionState(const QString&) override {}
    // No board has a model here: resync and list-boards answer as for v1 boards.
    void boardSnapshot(QObject*, const QString&, BoardsReply reply) override { reply({}); }
    void listBoards(QObject*, BoardsReply reply) override { reply({}); }
    const RevokedSessions& revokedSessions() const override { return m_revoked; }

    QHash<QString, int> topics;

private:
    RevokedSessions m_revoked;
};

} // namespace

class TestWorker : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void helloOnUpgrade();
    void subscribeAndDeliver();
    void badMessagesGetErrors_data();
    void badMessagesGetErrors();
    void sendQueueCapClosesWith4008AtEnqueue();
    void revokedSessionGetsLogoutThen4001();
    void drainClosesWith1001ThenSignals();

private:
    ServerConfig m_config;
    Metrics m_metrics;
    std::unique_ptr<Authenticator> m_authenticator;
    std::atomic<int> m_admitted{0};
    MemoryHub m_hub;
    std::unique_ptr<QueueBudget> m_budget;
    std::unique_ptr<ConnectionGate> m_gate;
    std::unique_ptr<Worker> m_worker;
    MemoryTransport* m_transport = nullptr;
};

void TestWorker::init()
{
    m_config = ServerConfig();
    m_config.jwtSecret = "secret";
    m_config.staticTokens.insert("static-alice", StaticToken{7, u"alice"_s, u"session-7"_s});
    m_config.maxSendQueueBytes = 1000;
    m_authenticator = std::make_unique<Authenticator>(m_config);
    m_budget = std::make_unique<QueueBudget>(m_config.maxQueuedBytes, 1, &m_metrics.queuedBytes);
    m_gate =
        std::make_unique<ConnectionGate>(m_config.maxConnectionsPerAddress, m_config.maxPendingHandshakes);
    m_hub.topics.clear();
    m_transport = nullptr;
    m_worker =
        std::make_unique<Worker>(0, m_config, m_authenticator.get(), nullptr, &m_metrics, &m_admitted, &m_hub,
                                 m_budget.get(), m_gate.get(), [this](const TransportContext& context) {
                                     auto transport = std::make_unique<MemoryTransport>(context);
                                     m_transport = transport.get();
                                     return transport;
                                 });
    m_worker->init();
    QVERIFY(m_transport);
}

void TestWorker::cleanup()
{
    m_worker.reset();
}

void TestWorker::helloOnUpgrade()
{
    MemoryConnection* anonymous = m_transport->open();
    QCOMPARE(anonymous->sent.size(), 1);
    QCOMPARE(anonymous->sent[0].value("type"_L1).toString(), u"hello"_s);
    QVERIFY(!anonymous->sent[0].value("user"_L1).isObject());
    MemoryConnection* alice = m_transport->open(u"access_token=static-alice"_s);
    QCOMPARE(alice->sent[0].value("type"_L1).toString(), u"hello"_s);
    QCOMPARE(alice->sent[0].value("user"_L1).toObject().value("login"_L1).toString(), u"alice"_s);
    // Her own user topic, subscribed for her.
    QCOMPARE(m_hub.topics.value(u"user-7"_s), 1);
    QCOMPARE(m_worker->sessionCount(), 2);
    QCOMPARE(m_metrics.connections.load(), 2);
}

void TestWorker::subscribeAndDeliver()
{
    MemoryConnection* connection = m_transport->open();
    m_transport->receive(connection, R"({"type":"subscribe","topic":"public.news"})");
    QCOMPARE(connection->sent.last().value("type"_L1).toString(), u"subscribed"_s);
    QCOMPARE(m_hub.topics.value(u"public.news"_s), 1);
    Publication publication;
    publication.topic = u"public.news"_s;
    publication.payload = R"({"type":"board","topic":"public.news"})";
    m_worker->deliver({publication});
    QCOMPARE(connection->sent.last().value("type"_L1).toString(), u"board"_s);
    QCOMPARE(m_metrics.delivered.load(), 1);
    m_transport->receive(connection, R"({"type":"unsubscribe","topic":"public.news"})");
    QCOMPARE(connection->sent.last().value("type"_L1).toString(), u"unsubscribed"_s);
    QCOMPARE(m_hub.topics.value(u"public.news"_s), 0);
    // The connection going away releases what it held.
    m_transport->receive(connection, R"({"type":"subscribe","topic":"public.news"})");
    connection->abort();
    QCOMPARE(m_hub.topics.value(u"public.news"_s), 0);
    QCOMPARE(m_worker->sessionCount(), 0);
}

void TestWorker::badMessagesGetErrors_data()
{
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<bool>("binary");
    QTest::addColumn<QString>("code");
    QTest::newRow("not JSON") << QByteArray("{nope") << false << u"bad_request"_s;
    QTest::newRow("binary") << QByteArray(R"({"type":"ping"})") << true << u"bad_request"_s;
    QTest::newRow("unknown topic") << QByteArray(R"({"type":"subscribe","topic":"nope"})") << false
                                   << u"unknown_topic"_s;
    QTest::newRow("someone else's user topic")
        << QByteArray(R"({"type":"subscribe","topic":"user-8"})") << false << u"forbidden"_s;
}

void TestWorker::badMessagesGetErrors()
{
    QFETCH(QByteArray, message);
    QFETCH(bool, binary);
    QFETCH(QString, code);
    MemoryConnection* connection = m_transport->open();
    m_transport->receive(connection, message, binary);
    QCOMPARE(connection->sent.last().value("type"_L1).toString(), u"error"_s);
    QCOMPARE(connection->sent.last().value("code"_L1).toString(), code);
    QCOMPARE(connection->closeCode, 0);
}

void TestWorker::sendQueueCapClosesWith4008AtEnqueue()
{
    // The cap is checked as each message is queued, whatever the transport: the message that puts
    // the backlog over it closes the session with 4008, and its backlog is dropped.
    MemoryConnection* connection = m_transport->open();
    m_transport->receive(connection, R"({"type":"subscribe","topic":"public.flood"})");
    connection->kernelTakes = false;
    Publication publication;
    publication.topic = u"public.flood"_s;
    publication.payload = R"({"type":"board","pad":")" + QByteArray(400, 'x') + R"("})";
    m_worker->deliver({publication});
    m_worker->deliver({publication});
    QCOMPARE(connection->closeCode, 0);
    m_worker->deliver({publication});
    QCOMPARE(connection->closeCode, quint16(protocol::CloseCode::SlowConsumer));
    QCOMPARE(connection->closeMode, ClientConnection::CloseMode::DiscardUnsent);
    QCOMPARE(m_metrics.slowConsumerDisconnects.load(), 1);
    // Closing: nothing more is delivered to it.
    const qsizetype sent = connection->sent.size();
    m_worker->deliver({publication});
    QCOMPARE(connection->sent.size(), sent);
    QCOMPARE(m_hub.topics.value(u"public.flood"_s), 0);
}

void TestWorker::revokedSessionGetsLogoutThen4001()
{
    MemoryConnection* alice = m_transport->open(u"access_token=static-alice"_s);
    MemoryConnection* anonymous = m_transport->open();
    m_worker->revokeSessions({u"session-7"_s});
    QCOMPARE(alice->sent.last().value("type"_L1).toString(), u"logout"_s);
    QCOMPARE(alice->sent.last().value("data"_L1).toString(), u"here"_s);
    QCOMPARE(alice->closeCode, quint16(protocol::CloseCode::Unauthorized));
    QCOMPARE(anonymous->closeCode, 0);
}

void TestWorker::drainClosesWith1001ThenSignals()
{
    MemoryConnection* first = m_transport->open();
    MemoryConnection* second = m_transport->open();
    QSignalSpy drained(m_worker.get(), &Worker::drained);
    m_worker->drain();
    QVERIFY(m_transport->drained);
    QCOMPARE(first->closeCode, quint16(protocol::CloseCode::GoingAway));
    QCOMPARE(second->closeCode, quint16(protocol::CloseCode::GoingAway));
    QCOMPARE(drained.size(), 0);
    first->abort();
    QCOMPARE(drained.size(), 0);
    second->abort();
    QCOMPARE(drained.size(), 1);
}

QTEST_GUILESS_MAIN(TestWorker)
#include "tst_worker.moc"
