// Application events (PROTOCOL.md v1.1) end to end: a type of the forge's own reaches the topic's
// readers as the object it was published as, a retained one greets the next connection, board
// topics keep their access check, and reserved or malformed types get a 400 that delivers nothing.

#include "TestSupport.h"

#include <QJsonDocument>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

std::unique_ptr<WsClient> connectAs(const ServerFixture& fixture, const QByteArray& token = {})
{
    auto client = std::make_unique<WsClient>();
    if (!client->open(fixture.wsUrl(), token) || client->next().value("type"_L1).toString() != "hello"_L1)
        return nullptr;
    return client;
}

QJsonObject object(const QByteArray& json)
{
    return QJsonDocument::fromJson(json).object();
}

} // namespace

class TestApplicationEvents : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void deliveredAsPublished();
    void retainedGreetsTheNextConnection();
    void boardTopicKeepsItsAccessCheck();
    void badTypesRefused_data();
    void badTypesRefused();

private:
    std::unique_ptr<ServerFixture> m_fixture;
};

void TestApplicationEvents::init()
{
    m_fixture = std::make_unique<ServerFixture>();
    QVERIFY2(m_fixture->start(), qPrintable(m_fixture->error()));
}

void TestApplicationEvents::cleanup()
{
    m_fixture.reset();
}

void TestApplicationEvents::deliveredAsPublished()
{
    auto alice = connectAs(*m_fixture, makeToken(7, u"alice"_s));
    QVERIFY(alice);
    const QByteArray event = R"({"type":"ci.status","repo":"alice/proj","state":"failed","jobs":[1,2]})";
    QVERIFY(m_fixture->publish(u"/api/v1/publish"_s, R"({"topic":"user-7","message":)" + event + "}"));
    QCOMPARE(alice->nextOfType(u"ci.status"_s), object(event));

    auto anonymous = connectAs(*m_fixture);
    QVERIFY(anonymous);
    anonymous->subscribe(u"public.news"_s);
    QCOMPARE(anonymous->nextOfType(u"subscribed"_s).value("topic"_L1).toString(), u"public.news"_s);
    const QByteArray news = R"({"type":"release","version":"1.2"})";
    QVERIFY(m_fixture->publish(u"/api/v1/publish"_s, R"({"topic":"public.news","message":)" + news + "}"));
    QCOMPARE(anonymous->nextOfType(u"release"_s), object(news));
    // Not sent to a reader of another topic.
    QVERIFY(alice->nextOfType(u"release"_s, 300).isEmpty());
}

void TestApplicationEvents::retainedGreetsTheNextConnection()
{
    const QByteArray event = R"({"type":"deploy-done","env":"prod"})";
    QVERIFY(m_fixture->publish(u"/api/v1/publish"_s,
                               R"({"topic":"user-7","message":)" + event + R"(,"retain":true})"));
    auto alice = connectAs(*m_fixture, makeToken(7, u"alice"_s));
    QVERIFY(alice);
    QCOMPARE(alice->nextOfType(u"deploy-done"_s), object(event));
    // Another user does not get it.
    auto bob = connectAs(*m_fixture, makeToken(8, u"bob"_s));
    QVERIFY(bob);
    QVERIFY(bob->nextOfType(u"deploy-done"_s, 300).isEmpty());
}

void TestApplicationEvents::boardTopicKeepsItsAccessCheck()
{
    QCOMPARE(
        m_fixture->admin("PUT", u"/api/v1/projects/5/access"_s, R"({"public":false,"users":[7]})").status,
        200);
    auto alice = connectAs(*m_fixture, makeToken(7, u"alice"_s));
    auto bob = connectAs(*m_fixture, makeToken(8, u"bob"_s, {}, {u"project-board.5"_s}));
    QVERIFY(alice && bob);
    alice->subscribe(u"project-board.5"_s);
    QCOMPARE(alice->nextOfType(u"subscribed"_s).value("topic"_L1).toString(), u"project-board.5"_s);
    bob->subscribe(u"project-board.5"_s);
    QCOMPARE(bob->nextOfType(u"subscribed"_s).value("topic"_L1).toString(), u"project-board.5"_s);
    // The ACL no longer lists alice: an application event on the board reaches bob (token grant) only.
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/5/access"_s, R"({"public":false,"users":[]})").status,
             200);
    const QByteArray event = R"({"type":"board.viewers","count":2})";
    QVERIFY(
        m_fixture->publish(u"/api/v1/publish"_s, R"({"topic":"project-board.5","message":)" + event + "}"));
    QCOMPARE(bob->nextOfType(u"board.viewers"_s), object(event));
    QVERIFY(alice->nextOfType(u"board.viewers"_s, 300).isEmpty());
}

void TestApplicationEvents::badTypesRefused_data()
{
    QTest::addColumn<QByteArray>("type");
    QTest::newRow("hello") << QByteArray("hello");
    QTest::newRow("board-snapshot") << QByteArray("board-snapshot");
    QTest::newRow("boards") << QByteArray("boards");
    QTest::newRow("error") << QByteArray("error");
    QTest::newRow("upper case") << QByteArray("Deploy");
    QTest::newRow("slash") << QByteArray("ci/status");
    QTest::newRow("too long") << QByteArray(65, 'a');
}

void TestApplicationEvents::badTypesRefused()
{
    QFETCH(QByteArray, type);
    auto alice = connectAs(*m_fixture, makeToken(7, u"alice"_s));
    QVERIFY(alice);
    const HttpReply reply = m_fixture->admin(
        "POST", u"/api/v1/publish"_s, R"({"topic":"user-7","message":{"type":")" + type + R"(","x":1}})");
    QCOMPARE(reply.status, 400);
    QVERIFY2(!reply.json().value("error"_L1).toString().isEmpty(), reply.body.constData());
    QVERIFY(alice->silentFor(300));
}

QTEST_MAIN(TestApplicationEvents)
#include "tst_applicationevents.moc"
