// The client side of forgewire-server end to end (WebSocket upgrade, authentication, subscriptions,
// delivery, client messages and close codes) over real loopback sockets: every message and error of
// PROTOCOL.md as a client sees it.

#include "TestSupport.h"

#include <QJsonArray>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

class TestGateway : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Every case runs on each transport (see addTransportRows).
    void initTestCase_data() { addTransportRows(); }
    void init();
    void cleanup();

    void helloAnonymous();
    void helloSignedIn_data();
    void helloSignedIn();
    void badToken_data();
    void badToken();
    void unusableAuthorizationHeader_data();
    void unusableAuthorizationHeader();
    void badQueryToken();
    void retainedStateFollowsHello();
    void userStateRetainedWithoutFlag();
    void repliesKeepRequestOrder();
    void messagesRightAfterOpenWaitForRetainedState();
    void publishDuringFirstSubscribeIsNotLost();
    void userTopicsAreIsolated();
    void subscribeErrors_data();
    void subscribeErrors();
    void publicTopicForAnyone();
    void boardAccessCheckedOnSubscribeAndPublish();
    void tokenTopicsGrantBoards();
    void logoutRewrittenPerConnection();
    void logoutRevokesTheSession();
    void sessionRevocationExpires();
    void sessionTagPassedThrough();
    void unsubscribeStopsDelivery();
    void clientMessagesAndErrors_data();
    void clientMessagesAndErrors();
    void binaryFrameIsBadRequest();
    void plainHttpGets426Or404();
    void upgradeRequestErrors_data();
    void upgradeRequestErrors();
    void strictRequestHeads_data();
    void strictRequestHeads();
    void framesRightBehindTheUpgradeRequest();
    void protocolErrorsClose_data();
    void protocolErrorsClose();
    void clientCloseIsEchoedAndConnectionEnds();
    void pathPrefix();
    void retainedStateSurvivesRestart();

private:
    std::unique_ptr<ServerFixture> m_fixture;
    std::unique_ptr<WsClient> connectAs(const QByteArray& token, bool expectRetained = false);
};

void TestGateway::init()
{
    useGlobalTransport();
    m_fixture = std::make_unique<ServerFixture>();
    QVERIFY2(m_fixture->start(), qPrintable(m_fixture->error()));
}

void TestGateway::cleanup()
{
    m_fixture.reset();
}

std::unique_ptr<WsClient> TestGateway::connectAs(const QByteArray& token, bool)
{
    auto client = std::make_unique<WsClient>();
    if (!client->open(m_fixture->wsUrl(), token))
        return nullptr;
    const QJsonObject hello = client->next();
    if (hello.value("type"_L1).toString() != "hello"_L1)
        return nullptr;
    return client;
}

void TestGateway::helloAnonymous()
{
    WsClient client;
    QVERIFY(client.open(m_fixture->wsUrl()));
    const QJsonObject hello = client.next();
    QCOMPARE(hello.value("type"_L1).toString(), u"hello"_s);
    QVERIFY(hello.contains("user"_L1));
    QVERIFY(hello.value("user"_L1).isNull());
    QVERIFY(!hello.value("session"_L1).toString().isEmpty());
    QCOMPARE(hello.value("heartbeat"_L1).toInt(), 25);
    QVERIFY(client.silentFor(200)); // anonymous: nothing retained to send
}

void TestGateway::helloSignedIn_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<QByteArray>("scheme");
    QTest::addColumn<QString>("query");
    QTest::addColumn<qint64>("id");
    QTest::addColumn<QString>("login");
    QTest::newRow("jwt bearer") << makeToken(7, u"alice"_s) << QByteArray("Bearer") << QString() << qint64(7)
                                << u"alice"_s;
    QTest::newRow("jwt query") << QByteArray() << QByteArray()
                               << (u"access_token="_s + QString::fromLatin1(makeToken(9, u"bob"_s)))
                               << qint64(9) << u"bob"_s;
    QTest::newRow("static token") << QByteArray("static-alice") << QByteArray("Bearer") << QString()
                                  << qint64(7) << u"alice"_s;
    QTest::newRow("expired within leeway")
        << makeToken(5, u"eve"_s, {}, {}, QDateTime::currentDateTimeUtc().addSecs(-10))
        << QByteArray("Bearer") << QString() << qint64(5) << u"eve"_s;
}

void TestGateway::helloSignedIn()
{
    QFETCH(QByteArray, token);
    QFETCH(QByteArray, scheme);
    QFETCH(QString, query);
    QFETCH(qint64, id);
    QFETCH(QString, login);
    WsClient client;
    QVERIFY(client.open(m_fixture->wsUrl(query), token, scheme));
    const QJsonObject hello = client.next();
    QCOMPARE(hello.value("type"_L1).toString(), u"hello"_s);
    QCOMPARE(hello.value("user"_L1).toObject().value("id"_L1).toInteger(), id);
    QCOMPARE(hello.value("user"_L1).toObject().value("login"_L1).toString(), login);
}

void TestGateway::badToken_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::newRow("other secret") << makeToken(7, u"alice"_s, {}, {},
                                               QDateTime::currentDateTimeUtc().addSecs(60), "wrong");
    QTest::newRow("expired") << makeToken(7, u"alice"_s, {}, {},
                                          QDateTime::currentDateTimeUtc().addSecs(-31 - 5));
    QByteArray none = QByteArray(R"({"alg":"none","typ":"JWT"})")
                          .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals) +
                      '.' +
                      QByteArray(R"({"sub":"7","name":"alice","exp":99999999999})")
                          .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals) +
                      '.';
    QTest::newRow("alg none") << none;
    QTest::newRow("unknown static") << QByteArray("not-a-token");
    QTest::newRow("garbage jwt") << QByteArray("eyJ.eyJ.xx");
}

void TestGateway::unusableAuthorizationHeader_data()
{
    QTest::addColumn<QByteArray>("scheme");
    QTest::addColumn<QByteArray>("token");
    QTest::newRow("basic auth") << QByteArray("Basic") << QByteArray("YWxpY2U6cGFzcw==");
    QTest::newRow("bearer without token") << QByteArray("Bearer") << QByteArray();
}

void TestGateway::unusableAuthorizationHeader()
{
    // A client that sent credentials the server cannot use is refused, not served as anonymous.
    QFETCH(QByteArray, scheme);
    QFETCH(QByteArray, token);
    WsClient client;
    QVERIFY(client.open(m_fixture->wsUrl(), token.isEmpty() ? QByteArray(" ") : token, scheme));
    QCOMPARE(client.waitClosed(), 4001);
    QVERIFY(client.queue().isEmpty());
}

void TestGateway::badQueryToken()
{
    WsClient client;
    QVERIFY(client.open(m_fixture->wsUrl(u"access_token=not-a-token"_s)));
    QCOMPARE(client.waitClosed(), 4001);
    QVERIFY(client.queue().isEmpty());
}

void TestGateway::badToken()
{
    QFETCH(QByteArray, token);
    WsClient client;
    QVERIFY(client.open(m_fixture->wsUrl(), token)); // the upgrade is accepted so browsers see why
    QCOMPARE(client.waitClosed(), 4001);
    QCOMPARE(client.socket().closeReason(), u"unauthorized"_s);
    QVERIFY(client.queue().isEmpty()); // no hello for a refused token
    QVERIFY(waitFor([&] { return m_fixture->server()->metrics()->authFailures.load() == 1; }));
}

void TestGateway::retainedStateFollowsHello()
{
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":3})", "PUT"));
    const QByteArray stopwatches = R"([{"created":"2026-01-05T10:00:00Z","seconds":125,"issue_index":7,
        "issue_title":"Fix X","repo_owner_name":"alice","repo_name":"proj"}])";
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/stopwatches"_s, stopwatches, "PUT"));

    WsClient client;
    QVERIFY(client.open(m_fixture->wsUrl(), makeToken(7, u"alice"_s)));
    QCOMPARE(client.next().value("type"_L1).toString(), u"hello"_s);
    const QJsonObject count = client.next();
    QCOMPARE(count.value("type"_L1).toString(), u"notification-count"_s);
    QCOMPARE(count.value("count"_L1).toInt(), 3);
    const QJsonObject watches = client.next();
    QCOMPARE(watches.value("type"_L1).toString(), u"stopwatches"_s);
    const QJsonObject first = watches.value("data"_L1).toArray().first().toObject();
    QCOMPARE(first.value("seconds"_L1).toInt(), 125);
    QCOMPARE(first.value("issue_title"_L1).toString(), u"Fix X"_s);
    QCOMPARE(first.value("created"_L1).toString(), u"2026-01-05T10:00:00Z"_s);

    // The latest value replaces the retained one; an empty list is state too.
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":4})", "PUT"));
    QCOMPARE(client.next().value("count"_L1).toInt(), 4);
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/stopwatches"_s, "[]", "PUT"));
    QCOMPARE(client.next().value("data"_L1).toArray().size(), 0);
    WsClient later;
    QVERIFY(later.open(m_fixture->wsUrl(), makeToken(7, u"alice"_s)));
    QCOMPARE(later.next().value("type"_L1).toString(), u"hello"_s);
    QCOMPARE(later.next().value("count"_L1).toInt(), 4);
    QCOMPARE(later.next().value("data"_L1).toArray().size(), 0);
}

void TestGateway::userStateRetainedWithoutFlag()
{
    // PROTOCOL.md keeps a user's latest count and stopwatches, whatever `retain` says.
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":5})", "PUT"));
    QVERIFY(m_fixture->publish(u"/api/v1/publish"_s,
                               R"([{"topic":"user-7","message":{"type":"notification-count","count":9}},
                                   {"topic":"user-7","message":{"type":"stopwatches","data":[]},"retain":false}])"));
    WsClient client;
    QVERIFY(client.open(m_fixture->wsUrl(), makeToken(7, u"alice"_s)));
    QCOMPARE(client.next().value("type"_L1).toString(), u"hello"_s);
    QCOMPARE(client.next().value("count"_L1).toInt(), 9);
    const QJsonObject watches = client.next();
    QCOMPARE(watches.value("type"_L1).toString(), u"stopwatches"_s);
    QCOMPARE(watches.value("data"_L1).toArray().size(), 0);
}

void TestGateway::repliesKeepRequestOrder()
{
    QCOMPARE(
        m_fixture->admin("PUT", u"/api/v1/projects/42/access"_s, R"({"public":false,"users":[8]})").status,
        200);
    auto alice = connectAs(makeToken(7, u"alice"_s));
    QVERIFY(alice);
    // Sent back to back, so later ones arrive while a topic lookup is still in flight: each request
    // gets its own reply, in the order the requests were sent.
    const QStringList requests{
        uR"({"type":"subscribe","topic":"public.b"})"_s,
        uR"({"type":"subscribe","topic":"public.b"})"_s,
        uR"({"type":"subscribe","topic":"project-board.42"})"_s,
        uR"({"type":"unsubscribe","topic":"project-board.42"})"_s,
        uR"({"type":"subscribe","topic":"public.c"})"_s,
        uR"({"type":"unsubscribe","topic":"public.c"})"_s,
        uR"({"type":"subscribe","topic":"nope"})"_s,
        uR"({"type":"ping"})"_s,
    };
    for (const QString& request : requests)
        alice->sendRaw(request);
    const QList<std::pair<QString, QString>> expected{
        {u"subscribed"_s, u"public.b"_s},
        {u"subscribed"_s, u"public.b"_s},
        {u"error"_s, u"project-board.42"_s},
        {u"unsubscribed"_s, u"project-board.42"_s},
        {u"subscribed"_s, u"public.c"_s},
        {u"unsubscribed"_s, u"public.c"_s},
        {u"error"_s, u"nope"_s},
        {u"pong"_s, QString()},
    };
    for (const auto& [type, topic] : expected) {
        const QJsonObject reply = alice->next();
        QCOMPARE(reply.value("type"_L1).toString(), type);
        QCOMPARE(reply.value("topic"_L1).toString(), topic);
    }
    QVERIFY(alice->silentFor(200));
    // The unsubscribe that followed the subscribe in flight took effect.
    QVERIFY(m_fixture->publish(u"/api/v1/publish"_s,
                               R"({"topic":"public.c","message":{"type":"notification-count","count":1}})"));
    QVERIFY(alice->silentFor(300));
}

void TestGateway::messagesRightAfterOpenWaitForRetainedState()
{
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":2})", "PUT"));
    for (int round = 0; round < 5; ++round) {
        WsClient client;
        QVERIFY(client.open(m_fixture->wsUrl(), makeToken(7, u"alice"_s)));
        // Possibly before the server has even sent hello: the reply still comes after the state.
        client.sendRaw(uR"({"type":"ping"})"_s);
        QCOMPARE(client.next().value("type"_L1).toString(), u"hello"_s);
        QCOMPARE(client.next().value("type"_L1).toString(), u"notification-count"_s);
        QCOMPARE(client.next().value("type"_L1).toString(), u"pong"_s);
    }
}

void TestGateway::publishDuringFirstSubscribeIsNotLost()
{
    // The automatic user-topic subscription is set up right after hello; a publish landing while it
    // is (it reads the retained state first) must reach the client, live or retained.
    for (qint64 user = 1000; user < 1060; ++user) {
        WsClient client;
        QVERIFY(client.open(m_fixture->wsUrl(), makeToken(user, u"u"_s)));
        QCOMPARE(client.next().value("type"_L1).toString(), u"hello"_s);
        QVERIFY(
            m_fixture->publish(u"/api/v1/users/%1/notification-count"_s.arg(user), R"({"count":1})", "PUT"));
        const QJsonObject count = client.nextOfType(u"notification-count"_s, 2000);
        QVERIFY2(count.value("count"_L1).toInt() == 1, qPrintable(u"user %1 missed the count"_s.arg(user)));
    }
}

void TestGateway::userTopicsAreIsolated()
{
    auto alice = connectAs(makeToken(7, u"alice"_s));
    auto bob = connectAs(makeToken(8, u"bob"_s));
    QVERIFY(alice && bob);
    QVERIFY(m_fixture->publish(u"/api/v1/users/8/notification-count"_s, R"({"count":11})", "PUT"));
    QCOMPARE(bob->next().value("count"_L1).toInt(), 11);
    QVERIFY(m_fixture->publish(u"/api/v1/users/8/stopwatches"_s, R"([])", "PUT"));
    QCOMPARE(bob->next().value("type"_L1).toString(), u"stopwatches"_s);
    QVERIFY(m_fixture->publish(u"/api/v1/users/8/logout"_s, R"({"session_id":"x"})"));
    QCOMPARE(bob->next().value("type"_L1).toString(), u"logout"_s);
    QVERIFY(alice->silentFor(300));

    // Subscribing to someone else's user topic is refused and changes nothing.
    alice->subscribe(u"user-8"_s);
    const QJsonObject error = alice->next();
    QCOMPARE(error.value("type"_L1).toString(), u"error"_s);
    QCOMPARE(error.value("code"_L1).toString(), u"forbidden"_s);
    QCOMPARE(error.value("topic"_L1).toString(), u"user-8"_s);
    QVERIFY(m_fixture->publish(u"/api/v1/users/8/notification-count"_s, R"({"count":12})", "PUT"));
    QCOMPARE(bob->next().value("count"_L1).toInt(), 12);
    QVERIFY(alice->silentFor(300));
}

void TestGateway::subscribeErrors_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<QString>("topic");
    QTest::addColumn<QString>("code");
    QTest::newRow("unknown kind") << makeToken(7, u"alice"_s) << u"private.x"_s << u"unknown_topic"_s;
    QTest::newRow("bad user id") << makeToken(7, u"alice"_s) << u"user-07"_s << u"unknown_topic"_s;
    QTest::newRow("empty public") << makeToken(7, u"alice"_s) << u"public."_s << u"unknown_topic"_s;
    QTest::newRow("other user") << makeToken(7, u"alice"_s) << u"user-8"_s << u"forbidden"_s;
    QTest::newRow("board without acl") << makeToken(7, u"alice"_s) << u"project-board.42"_s << u"forbidden"_s;
    QTest::newRow("anonymous board") << QByteArray() << u"project-board.42"_s << u"forbidden"_s;
    QTest::newRow("anonymous user") << QByteArray() << u"user-7"_s << u"forbidden"_s;
}

void TestGateway::subscribeErrors()
{
    QFETCH(QByteArray, token);
    QFETCH(QString, topic);
    QFETCH(QString, code);
    auto client = connectAs(token);
    QVERIFY(client);
    client->subscribe(topic);
    const QJsonObject error = client->nextOfType(u"error"_s);
    QCOMPARE(error.value("code"_L1).toString(), code);
    QCOMPARE(error.value("topic"_L1).toString(), topic);
    QVERIFY(!error.value("message"_L1).toString().isEmpty());
    QVERIFY(client->isOpen());
}

void TestGateway::publicTopicForAnyone()
{
    auto anonymous = connectAs({});
    auto alice = connectAs(makeToken(7, u"alice"_s));
    QVERIFY(anonymous && alice);
    for (WsClient* c : {anonymous.get(), alice.get()}) {
        c->subscribe(u"public.announcements"_s);
        const QJsonObject reply = c->next();
        QCOMPARE(reply.value("type"_L1).toString(), u"subscribed"_s);
        QCOMPARE(reply.value("topic"_L1).toString(), u"public.announcements"_s);
    }
    const QByteArray body =
        R"({"topic":"public.announcements","message":{"type":"board","event":"project.updated",
        "data":{"title":"T","description":"D","is_closed":false}}})";
    QVERIFY(m_fixture->publish(u"/api/v1/publish"_s, body));
    for (WsClient* c : {anonymous.get(), alice.get()}) {
        const QJsonObject event = c->next();
        QCOMPARE(event.value("type"_L1).toString(), u"board"_s);
        QCOMPARE(event.value("topic"_L1).toString(), u"public.announcements"_s);
        QCOMPARE(event.value("data"_L1).toObject().value("title"_L1).toString(), u"T"_s);
    }
}

void TestGateway::boardAccessCheckedOnSubscribeAndPublish()
{
    QCOMPARE(
        m_fixture->admin("PUT", u"/api/v1/projects/42/access"_s, R"({"public":false,"users":[7]})").status,
        200);
    auto alice = connectAs(makeToken(7, u"alice"_s));
    auto bob = connectAs(makeToken(8, u"bob"_s));
    QVERIFY(alice && bob);
    alice->subscribe(u"project-board.42"_s);
    QCOMPARE(alice->next().value("type"_L1).toString(), u"subscribed"_s);
    bob->subscribe(u"project-board.42"_s);
    QCOMPARE(bob->next().value("code"_L1).toString(), u"forbidden"_s);

    const QByteArray moved =
        R"({"event":"card.moved","data":{"issue_id":1,"issue_index":3,"repo":"alice/proj",
        "from_column_id":1,"to_column_id":2,"sorting":0}})";
    QVERIFY(m_fixture->publish(u"/api/v1/projects/42/events"_s, moved));
    const QJsonObject event = alice->next();
    QCOMPARE(event.value("type"_L1).toString(), u"board"_s);
    QCOMPARE(event.value("topic"_L1).toString(), u"project-board.42"_s);
    QCOMPARE(event.value("event"_L1).toString(), u"card.moved"_s);
    QCOMPARE(event.value("data"_L1).toObject().value("to_column_id"_L1).toInt(), 2);
    QVERIFY(!event.contains("session_tag"_L1));
    QVERIFY(bob->silentFor(200));

    // Revocation takes effect at the next publish, without resubscribing.
    QCOMPARE(
        m_fixture->admin("PUT", u"/api/v1/projects/42/access"_s, R"({"public":false,"users":[8]})").status,
        200);
    QVERIFY(m_fixture->publish(u"/api/v1/projects/42/events"_s, moved));
    QVERIFY(alice->silentFor(300));
    QVERIFY(waitFor([&] { return m_fixture->server()->metrics()->droppedForbidden.load() >= 1; }));

    // A public board is readable by any signed-in user.
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/42/access"_s, R"({"public":true})").status, 200);
    bob->subscribe(u"project-board.42"_s);
    QCOMPARE(bob->next().value("type"_L1).toString(), u"subscribed"_s);
    QVERIFY(m_fixture->publish(u"/api/v1/projects/42/events"_s, R"({"event":"project.deleted","data":{}})"));
    QCOMPARE(alice->next().value("event"_L1).toString(), u"project.deleted"_s);
    QCOMPARE(bob->next().value("event"_L1).toString(), u"project.deleted"_s);
}

void TestGateway::tokenTopicsGrantBoards()
{
    auto carol = connectAs(makeToken(9, u"carol"_s, {}, {u"project-board.*"_s}));
    auto dave = connectAs(makeToken(10, u"dave"_s, {}, {u"project-board.5"_s}));
    QVERIFY(carol && dave);
    carol->subscribe(u"project-board.77"_s);
    QCOMPARE(carol->next().value("type"_L1).toString(), u"subscribed"_s);
    dave->subscribe(u"project-board.5"_s);
    QCOMPARE(dave->next().value("type"_L1).toString(), u"subscribed"_s);
    dave->subscribe(u"project-board.6"_s);
    QCOMPARE(dave->next().value("code"_L1).toString(), u"forbidden"_s);
    QVERIFY(m_fixture->publish(u"/api/v1/projects/77/events"_s,
                               R"({"event":"card.linked","data":{"issue_id":4,"column_id":2}})"));
    QCOMPARE(carol->next().value("event"_L1).toString(), u"card.linked"_s);
}

void TestGateway::logoutRewrittenPerConnection()
{
    auto here = connectAs(makeToken(7, u"alice"_s, u"sess-1"_s));
    auto elsewhere = connectAs(makeToken(7, u"alice"_s, u"sess-2"_s));
    QVERIFY(here && elsewhere);
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/logout"_s, R"({"session_id":"sess-1"})"));
    const QJsonObject a = here->next();
    QCOMPARE(a.value("type"_L1).toString(), u"logout"_s);
    QCOMPARE(a.value("data"_L1).toString(), u"here"_s);
    const QJsonObject b = elsewhere->next();
    QCOMPARE(b.value("data"_L1).toString(), u"elsewhere"_s);
    for (const QJsonObject& o : {a, b})
        QVERIFY(!QJsonDocument(o).toJson().contains("sess-1")); // the session id never leaks

    // The generic publish path rewrites the same way.
    auto third = connectAs(makeToken(7, u"alice"_s, u"sess-3"_s));
    QVERIFY(third);
    QVERIFY(m_fixture->publish(u"/api/v1/publish"_s,
                               R"({"topic":"user-7","message":{"type":"logout","data":"sess-2"}})"));
    QCOMPARE(third->next().value("data"_L1).toString(), u"elsewhere"_s);
    QCOMPARE(elsewhere->next().value("data"_L1).toString(), u"here"_s);
}

namespace {

// Opens a connection with `token` and expects it refused: upgraded, then closed with 4001 and this
// reason before any hello.
void expectRefused(const ServerFixture& fixture, const QByteArray& token, const QString& reason)
{
    WsClient client;
    QVERIFY(client.open(fixture.wsUrl(), token));
    QCOMPARE(client.waitClosed(), 4001);
    QCOMPARE(client.socket().closeReason(), reason);
    QVERIFY(client.queue().isEmpty());
}

std::unique_ptr<WsClient> signedIn(const ServerFixture& fixture, const QByteArray& token)
{
    auto client = std::make_unique<WsClient>();
    if (!client->open(fixture.wsUrl(), token) || client->next().value("type"_L1).toString() != "hello"_L1)
        return nullptr;
    return client;
}

} // namespace

void TestGateway::logoutRevokesTheSession()
{
    QTemporaryDir dir;
    const QString state = dir.filePath(u"state.sqlite"_s);
    ServerConfig config = testConfig(state);
    config.staticTokens.insert("dev-alice", StaticToken{7, u"alice"_s, u"static-sess"_s});
    const QByteArray revokedToken = makeToken(7, u"alice"_s, u"sess-S"_s);
    {
        ServerFixture server(config);
        QVERIFY2(server.start(), qPrintable(server.error()));
        auto here = signedIn(server, revokedToken);
        auto other = signedIn(server, makeToken(7, u"alice"_s, u"sess-T"_s));
        // Same session, but off the user topic: only the revocation itself can reach it.
        auto offTopic = signedIn(server, revokedToken);
        QVERIFY(here && other && offTopic);
        offTopic->send({{u"type"_s, u"unsubscribe"_s}, {u"topic"_s, u"user-7"_s}});
        QCOMPARE(offTopic->nextOfType(u"unsubscribed"_s).value("topic"_L1).toString(), u"user-7"_s);

        QVERIFY(server.publish(u"/api/v1/users/7/logout"_s, R"({"session_id":"sess-S"})"));
        for (WsClient* client : {here.get(), offTopic.get()}) {
            const QJsonObject logout = client->nextOfType(u"logout"_s);
            QCOMPARE(logout.value("data"_L1).toString(), u"here"_s);
            QCOMPARE(client->waitClosed(), 4001);
            QCOMPARE(client->socket().closeReason(), u"session revoked"_s);
            // One logout, then the close: nothing else.
            QVERIFY(client->queue().isEmpty());
        }
        QCOMPARE(other->nextOfType(u"logout"_s).value("data"_L1).toString(), u"elsewhere"_s);
        QVERIFY(other->silentFor(200));
        QVERIFY(other->isOpen());

        // New connections with the session are refused; other sessions of the user are not.
        expectRefused(server, revokedToken, u"revoked session"_s);
        QVERIFY(signedIn(server, makeToken(7, u"alice"_s, u"sess-U"_s)));

        // A static token carrying the session, revoked through the generic publish path.
        auto dev = signedIn(server, "dev-alice");
        QVERIFY(dev);
        QVERIFY(server.publish(u"/api/v1/publish"_s,
                               R"({"topic":"user-7","message":{"type":"logout","data":"static-sess"}})"));
        QCOMPARE(dev->nextOfType(u"logout"_s).value("data"_L1).toString(), u"here"_s);
        QCOMPARE(dev->waitClosed(), 4001);
        expectRefused(server, "dev-alice", u"revoked session"_s);
    }
    if (QTest::currentTestFailed())
        return;
    // Kept in the state file: still refused after a restart.
    ServerFixture restarted(config);
    QVERIFY2(restarted.start(), qPrintable(restarted.error()));
    expectRefused(restarted, revokedToken, u"revoked session"_s);
    expectRefused(restarted, "dev-alice", u"revoked session"_s);
    QVERIFY(signedIn(restarted, makeToken(7, u"alice"_s, u"sess-T"_s)));
}

void TestGateway::sessionRevocationExpires()
{
    QTemporaryDir dir;
    ServerConfig config = testConfig(dir.filePath(u"state.sqlite"_s));
    config.revokedSessionTtlSeconds = 1;
    const QByteArray token = makeToken(7, u"alice"_s, u"short-lived"_s);
    {
        ServerFixture server(config);
        QVERIFY2(server.start(), qPrintable(server.error()));
        QVERIFY(server.publish(u"/api/v1/users/7/logout"_s, R"({"session_id":"short-lived"})"));
        expectRefused(server, token, u"revoked session"_s);
        QTest::qWait(1200);
        QVERIFY(signedIn(server, token));
    }
    // Nor does the expired one come back from the state file.
    ServerFixture restarted(config);
    QVERIFY2(restarted.start(), qPrintable(restarted.error()));
    QVERIFY(signedIn(restarted, token));
}

void TestGateway::sessionTagPassedThrough()
{
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/3/access"_s, R"({"users":[7]})").status, 200);
    auto alice = connectAs(makeToken(7, u"alice"_s));
    QVERIFY(alice);
    alice->subscribe(u"project-board.3"_s);
    QCOMPARE(alice->next().value("type"_L1).toString(), u"subscribed"_s);
    QVERIFY(m_fixture->publish(
        u"/api/v1/projects/3/events"_s,
        R"({"event":"column.deleted","data":{"column_id":5,"moved_to_column_id":1},"session_tag":"tab-uuid-1"})"));
    const QJsonObject event = alice->next();
    QCOMPARE(event.value("session_tag"_L1).toString(), u"tab-uuid-1"_s);
    QCOMPARE(event.value("data"_L1).toObject().value("moved_to_column_id"_L1).toInt(), 1);
}

void TestGateway::unsubscribeStopsDelivery()
{
    auto client = connectAs({});
    QVERIFY(client);
    client->subscribe(u"public.x"_s);
    QCOMPARE(client->next().value("type"_L1).toString(), u"subscribed"_s);
    client->send({{u"type"_s, u"unsubscribe"_s}, {u"topic"_s, u"public.x"_s}});
    const QJsonObject reply = client->next();
    QCOMPARE(reply.value("type"_L1).toString(), u"unsubscribed"_s);
    QCOMPARE(reply.value("topic"_L1).toString(), u"public.x"_s);
    QVERIFY(m_fixture->publish(u"/api/v1/publish"_s,
                               R"({"topic":"public.x","message":{"type":"notification-count","count":1}})"));
    QVERIFY(client->silentFor(300));
    QVERIFY(waitFor([&] { return m_fixture->server()->metrics()->droppedNoSubscribers.load() == 1; }));
}

void TestGateway::clientMessagesAndErrors_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("code");
    QTest::newRow("ping") << u"{\"type\":\"ping\"}"_s << u"pong"_s << QString();
    QTest::newRow("pong needs nothing") << u"{\"type\":\"pong\"}"_s << QString() << QString();
    QTest::newRow("malformed json") << u"{\"type\":"_s << u"error"_s << u"bad_request"_s;
    QTest::newRow("not an object") << u"[1,2]"_s << u"error"_s << u"bad_request"_s;
    QTest::newRow("unknown type") << u"{\"type\":\"publish\"}"_s << u"error"_s << u"bad_request"_s;
    QTest::newRow("no type") << u"{\"topic\":\"public.a\"}"_s << u"error"_s << u"bad_request"_s;
    QTest::newRow("subscribe without topic")
        << u"{\"type\":\"subscribe\"}"_s << u"error"_s << u"bad_request"_s;
    QTest::newRow("unsubscribe unknown topic")
        << u"{\"type\":\"unsubscribe\",\"topic\":\"nope\"}"_s << u"error"_s << u"unknown_topic"_s;
}

void TestGateway::clientMessagesAndErrors()
{
    QFETCH(QString, text);
    QFETCH(QString, type);
    QFETCH(QString, code);
    auto client = connectAs(makeToken(7, u"alice"_s));
    QVERIFY(client);
    client->sendRaw(text);
    if (type.isEmpty()) {
        QVERIFY(client->silentFor(300));
    } else {
        const QJsonObject reply = client->next();
        QCOMPARE(reply.value("type"_L1).toString(), type);
        QCOMPARE(reply.value("code"_L1).toString(), code);
        if (!code.isEmpty())
            QVERIFY(!reply.value("message"_L1).toString().isEmpty());
    }
    // The connection stays usable after any of these.
    client->sendRaw(u"{\"type\":\"ping\"}"_s);
    QCOMPARE(client->next().value("type"_L1).toString(), u"pong"_s);
    QVERIFY(client->isOpen());
}

void TestGateway::binaryFrameIsBadRequest()
{
    auto client = connectAs({});
    QVERIFY(client);
    client->socket().sendBinaryMessage(QByteArrayLiteral("{\"type\":\"ping\"}"));
    const QJsonObject reply = client->next();
    QCOMPARE(reply.value("code"_L1).toString(), u"bad_request"_s);
    QVERIFY(client->isOpen());
}

void TestGateway::plainHttpGets426Or404()
{
    const quint16 port = m_fixture->server()->port();
    HttpReply plain = http("GET", QUrl(u"http://127.0.0.1:%1/-/ws"_s.arg(port)), {}, {});
    QCOMPARE(plain.status, 426);
    QCOMPARE(plain.header("Upgrade"), QByteArray("websocket"));
    QVERIFY(plain.json().contains("error"_L1));
    QCOMPARE(http("GET", QUrl(u"http://127.0.0.1:%1/elsewhere"_s.arg(port)), {}, {}).status, 404);
    QCOMPARE(http("POST", QUrl(u"http://127.0.0.1:%1/-/ws"_s.arg(port)), "{}", {}).status, 405);
    // Garbage that is not HTTP at all gets a 400 and a closed socket.
    QTcpSocket raw;
    raw.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(raw.waitForConnected(kWaitMs));
    raw.write("HELLO\r\n\r\n");
    QVERIFY(waitFor([&] {
        raw.waitForReadyRead(10);
        return raw.bytesAvailable() > 0 || raw.state() != QAbstractSocket::ConnectedState;
    }));
    QVERIFY(raw.readAll().startsWith("HTTP/1.1 400"));
}

void TestGateway::upgradeRequestErrors_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<QByteArray>("status");
    QTest::addColumn<QByteArray>("responseHeader");
    const QByteArray upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
    QTest::newRow("no Sec-WebSocket-Key") << upgrade + "Sec-WebSocket-Version: 13\r\n"
                                          << QByteArray("400") << QByteArray();
    QTest::newRow("key not 16 bytes")
        << upgrade + "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n"
        << QByteArray("400") << QByteArray();
    QTest::newRow("version 8")
        << upgrade + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n"
        << QByteArray("426") << QByteArray("Sec-WebSocket-Version: 13");
    QTest::newRow("valid, tokens in any case")
        << QByteArray("Upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
        << QByteArray("101") << QByteArray("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

void TestGateway::upgradeRequestErrors()
{
    QFETCH(QByteArray, headers);
    QFETCH(QByteArray, status);
    QFETCH(QByteArray, responseHeader);
    QTcpSocket raw;
    raw.connectToHost(QHostAddress::LocalHost, m_fixture->server()->port());
    QVERIFY(raw.waitForConnected(kWaitMs));
    raw.write("GET /-/ws HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "\r\n");
    QByteArray response;
    QVERIFY(waitFor([&] {
        raw.waitForReadyRead(10);
        response += raw.readAll();
        return response.contains("\r\n\r\n");
    }));
    QVERIFY2(response.startsWith("HTTP/1.1 " + status), response.constData());
    if (!responseHeader.isEmpty())
        QVERIFY2(response.contains(responseHeader + "\r\n"), response.constData());
    if (status != "101") {
        // An error response is the end of the connection.
        QVERIFY(waitForPeerClose(raw));
    }
}

void TestGateway::strictRequestHeads_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QByteArray>("error"); // part of the error in the 400's body
    const QByteArray upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    // RFC 6455 4.1: the opening handshake needs HTTP/1.1.
    QTest::newRow("HTTP/1.0 upgrade") << "GET /-/ws HTTP/1.0\r\nHost: 127.0.0.1\r\n" + upgrade + "\r\n"
                                      << QByteArray("needs HTTP/1.1");
    QTest::newRow("bare LF") << "GET /-/ws HTTP/1.1\nHost: 127.0.0.1\n" + upgrade + "\n"
                             << QByteArray("malformed");
    QTest::newRow("obs-fold") << "GET /-/ws HTTP/1.1\r\nHost: 127.0.0.1\r\n" + upgrade +
                                     "X-A: a\r\n b\r\n\r\n"
                              << QByteArray("malformed");
    QTest::newRow("two Content-Lengths") << "GET /-/ws HTTP/1.1\r\nHost: 127.0.0.1\r\n" + upgrade +
                                                "Content-Length: 0\r\nContent-Length: 0\r\n\r\n"
                                         << QByteArray("malformed");
    QTest::newRow("space before colon") << "GET /-/ws HTTP/1.1\r\nHost : 127.0.0.1\r\n" + upgrade + "\r\n"
                                        << QByteArray("malformed");
    QTest::newRow("no Host") << "GET /-/ws HTTP/1.1\r\n" + upgrade + "\r\n" << QByteArray("malformed");
}

void TestGateway::strictRequestHeads()
{
    QFETCH(QByteArray, request);
    QFETCH(QByteArray, error);
    QTcpSocket raw;
    raw.connectToHost(QHostAddress::LocalHost, m_fixture->server()->port());
    QVERIFY(raw.waitForConnected(kWaitMs));
    raw.write(request);
    QByteArray response;
    QVERIFY(waitFor([&] {
        raw.waitForReadyRead(10);
        response += raw.readAll();
        return response.contains("\r\n\r\n") && response.endsWith("}");
    }));
    QVERIFY2(response.startsWith("HTTP/1.1 400"), response.constData());
    QVERIFY2(response.contains(error), response.constData());
    QVERIFY(waitForPeerClose(raw));
}

void TestGateway::framesRightBehindTheUpgradeRequest()
{
    // A client may send frames before it sees the 101; they must not be lost with the request. The
    // subscribe comes in two fragments with a ping between them.
    const QByteArray subscribe = R"({"type":"subscribe","topic":"public.early"})";
    QTcpSocket raw;
    raw.connectToHost(QHostAddress::LocalHost, m_fixture->server()->port());
    QVERIFY(raw.waitForConnected(kWaitMs));
    raw.write("GET /-/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" +
              RawWsClient::frame(0x01, subscribe.left(10)) + RawWsClient::frame(0x89, "p") +
              RawWsClient::frame(0x80, subscribe.mid(10)));
    QByteArray received;
    QVERIFY(waitFor([&] {
        raw.waitForReadyRead(10);
        received += raw.readAll();
        return received.contains(R"("type":"subscribed")");
    }));
    QVERIFY(received.startsWith("HTTP/1.1 101"));
    const qsizetype hello = received.indexOf(R"("type":"hello")");
    const qsizetype pong = received.indexOf(QByteArray("\x8a\x01p", 3)); // our pong echoes the ping
    const qsizetype subscribed = received.indexOf(R"("type":"subscribed")");
    QVERIFY(hello > 0 && pong > hello && subscribed > pong);
    QCOMPARE(m_fixture->server()->metrics()->subscriptionsPublic.load(), 1);
}

void TestGateway::protocolErrorsClose_data()
{
    QTest::addColumn<int>("firstByte");
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<bool>("masked");
    QTest::addColumn<int>("closeCode");
    const QByteArray ping = R"({"type":"ping"})";
    QTest::newRow("unmasked frame") << 0x81 << ping << false << 1002;
    QTest::newRow("text that is not UTF-8") << 0x81 << QByteArray("\xc3\x28") << true << 1007;
    QTest::newRow("reserved bit, no extension negotiated") << 0xC1 << ping << true << 1002;
    QTest::newRow("unknown opcode") << 0x83 << ping << true << 1002;
    QTest::newRow("fragmented ping") << 0x09 << QByteArray("x") << true << 1002;
    QTest::newRow("continuation with nothing to continue") << 0x80 << ping << true << 1002;
    QTest::newRow("close code 1005 on the wire") << 0x88 << QByteArray("\x03\xed", 2) << true << 1002;
}

void TestGateway::protocolErrorsClose()
{
    QFETCH(int, firstByte);
    QFETCH(QByteArray, payload);
    QFETCH(bool, masked);
    QFETCH(int, closeCode);
    RawWsClient client;
    QVERIFY(client.connectAndUpgrade(m_fixture->server()->port()));
    QVERIFY(waitFor([&] { return m_fixture->server()->metrics()->connections.load() == 1; }));
    client.sendFrame(quint8(firstByte), payload, masked);
    if (!masked && currentTransport() == "qt"_L1) {
        // QWebSocket (Qt 6.4) does not require a client to mask its frames: the ping is answered
        // like any other and the connection stays open (README, Transports).
        QVERIFY(client.readAvailableFor(500).contains(R"("type":"pong")"));
        QCOMPARE(m_fixture->server()->metrics()->connections.load(), 1);
        return;
    }
    QCOMPARE(client.readUntilClose(), closeCode);
    // Failing the connection: the server does not wait for a close answer, it ends the stream.
    QVERIFY(waitForPeerClose(client.socket()));
    QVERIFY(waitFor([&] { return m_fixture->server()->metrics()->connections.load() == 0; }));
}

void TestGateway::clientCloseIsEchoedAndConnectionEnds()
{
    RawWsClient client;
    QVERIFY(client.connectAndUpgrade(m_fixture->server()->port()));
    QVERIFY(waitFor([&] { return m_fixture->server()->metrics()->connections.load() == 1; }));
    client.sendFrame(0x88, QByteArray("\x0f\xa0going", 7)); // 4000 "going"
    QCOMPARE(client.readUntilClose(), 4000);
    QVERIFY(waitForPeerClose(client.socket()));
    QVERIFY(waitFor([&] { return m_fixture->server()->metrics()->connections.load() == 0; }));
}

void TestGateway::pathPrefix()
{
    ServerConfig config = testConfig();
    config.pathPrefix = u"/push"_s;
    ServerFixture prefixed(config);
    QVERIFY(prefixed.start());
    WsClient client;
    QVERIFY(client.open(prefixed.wsUrl()));
    QVERIFY(prefixed.wsUrl().path() == u"/push/-/ws"_s);
    QCOMPARE(client.next().value("type"_L1).toString(), u"hello"_s);
    QCOMPARE(http("GET", QUrl(u"http://127.0.0.1:%1/-/ws"_s.arg(prefixed.server()->port())), {}, {}).status,
             404);
}

void TestGateway::retainedStateSurvivesRestart()
{
    QTemporaryDir dir;
    const QString state = dir.filePath(u"state.sqlite"_s);
    {
        ServerFixture first(testConfig(state));
        QVERIFY(first.start());
        QVERIFY(first.publish(u"/api/v1/users/7/notification-count"_s, R"({"count":9})", "PUT"));
        QCOMPARE(first.admin("PUT", u"/api/v1/projects/1/access"_s, R"({"users":[7]})").status, 200);
    }
    ServerFixture second(testConfig(state));
    QVERIFY(second.start());
    WsClient client;
    QVERIFY(client.open(second.wsUrl(), makeToken(7, u"alice"_s)));
    QCOMPARE(client.next().value("type"_L1).toString(), u"hello"_s);
    const QJsonObject count = client.next();
    QCOMPARE(count.value("type"_L1).toString(), u"notification-count"_s);
    QCOMPARE(count.value("count"_L1).toInt(), 9);
    client.subscribe(u"project-board.1"_s); // the ACL survived too
    QCOMPARE(client.next().value("type"_L1).toString(), u"subscribed"_s);
}

QTEST_GUILESS_MAIN(TestGateway)
#include "tst_gateway.moc"
