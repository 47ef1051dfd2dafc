// The newest Gitea pages' format on /-/ws (`[forge] page_format = eventType`, PROTOCOL.md v1.2, Forge
// drop-in): the messages a cookie-signed-in page reads, close code 3000 for an unknown or signed-out
// session (after the upgrade: the page worker stops at it), the default `type` format unchanged, and
// token clients untouched by the setting; on both transports, against a stand-in forge.

#include "FakeForge.h"
#include "TestSupport.h"
#include "format/EventTypeFormat.h"

#include <QJsonArray>
#include <QNetworkRequest>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

class TestPageFormat : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase_data() { addTransportRows(); }
    void init() { useGlobalTransport(); }

    void messages_data();
    void messages();
    void settingIsReadAndChecked();
    void countStopwatchesAndLogoutOnly();
    void unknownSessionIsClosedWith3000AfterTheUpgrade();
    void signedOutSessionHearsLogoutThen3000();
    void tokenClientsKeepTheirMessages();

private:
    void startServer(PageFormat format = PageFormat::EventType);
    std::unique_ptr<WsClient> openPage(const QByteArray& cookies);

    std::unique_ptr<FakeForge> m_forge;
    std::unique_ptr<ServerFixture> m_fixture;
};

namespace {

const QByteArray kOrigin = "http://git.example.org";

} // namespace

void TestPageFormat::startServer(PageFormat format)
{
    m_forge = std::make_unique<FakeForge>();
    QVERIFY(m_forge->start());
    m_forge->rememberPort();
    m_forge->addSignedInBrowsers();
    ServerConfig config = m_forge->cookieSignInConfig(QString::fromLatin1(kOrigin));
    config.pageFormat = format;
    m_fixture = std::make_unique<ServerFixture>(config);
    QVERIFY2(m_fixture->start(), qPrintable(m_fixture->error()));
}

std::unique_ptr<WsClient> TestPageFormat::openPage(const QByteArray& cookies)
{
    QNetworkRequest request(m_fixture->wsUrl());
    request.setRawHeader("Origin", kOrigin);
    if (!cookies.isEmpty())
        request.setRawHeader("Cookie", cookies);
    auto client = std::make_unique<WsClient>();
    client->socket().open(request);
    return client;
}

void TestPageFormat::messages_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("count") << QByteArray(R"({"type":"notification-count","count":3})")
                           << QByteArray(R"({"eventData":{"count":3},"eventType":"notification-count"})");
    QTest::newRow("stopwatches") << QByteArray(R"({"type":"stopwatches","data":[{"issue_index":4}]})")
                                 << QByteArray(
                                        R"({"eventData":[{"issue_index":4}],"eventType":"stopwatches"})");
    QTest::newRow("no stopwatch") << QByteArray(R"({"type":"stopwatches","data":[]})")
                                  << QByteArray(R"({"eventData":[],"eventType":"stopwatches"})");
    QTest::newRow("logout here") << QByteArray(R"({"type":"logout","data":"here"})")
                                 << QByteArray(R"({"eventType":"logout"})");
    // Only the signed-out session hears it.
    QTest::newRow("logout elsewhere")
        << QByteArray(R"({"type":"logout","data":"elsewhere"})") << QByteArray();
    QTest::newRow("hello") << QByteArray(R"({"type":"hello","user":null,"forge_session":true})")
                           << QByteArray();
    QTest::newRow("subscribed") << QByteArray(R"({"type":"subscribed","topic":"project-board.4"})")
                                << QByteArray();
    QTest::newRow("board") << QByteArray(R"({"type":"board","topic":"project-board.4","event":"card.moved"})")
                           << QByteArray();
    QTest::newRow("error") << QByteArray(R"({"type":"error","code":"forbidden"})") << QByteArray();
    QTest::newRow("not json") << QByteArray("{") << QByteArray();
}

void TestPageFormat::messages()
{
    QFETCH(QByteArray, json);
    QFETCH(QByteArray, expected);
    QCOMPARE(EventTypeFormat::messageFor(json), expected);
    const EventTypeFormat format;
    QCOMPARE(format.encode(json, {}, Identity()).bytes, expected);
    QCOMPARE(format.closeCode(4001), EventTypeFormat::kSignedOutCloseCode);
    QCOMPARE(format.closeCode(1001), quint16(1001));
}

void TestPageFormat::settingIsReadAndChecked()
{
    QCOMPARE(ServerConfig().pageFormat, PageFormat::Type);
    const ConfigParseResult parsed =
        parseServerArguments({u"forgewire-server"_s, u"--page-format"_s, u"eventType"_s});
    QVERIFY2(parsed.config, qPrintable(parsed.error));
    QCOMPARE(parsed.config->pageFormat, PageFormat::EventType);
    const ConfigParseResult wrong =
        parseServerArguments({u"forgewire-server"_s, u"--page-format"_s, u"eventtype"_s});
    QVERIFY(!wrong.config);
    QVERIFY2(wrong.error.contains(u"type or eventType"_s), qPrintable(wrong.error));
}

void TestPageFormat::countStopwatchesAndLogoutOnly()
{
    startServer();
    auto page = openPage("lang=en-US; i_like_gitea=sess-a");
    // No hello: the first message is the count.
    const QJsonObject count = page->next();
    QCOMPARE(count, QJsonObject({{u"eventType"_s, u"notification-count"_s},
                                 {u"eventData"_s, QJsonObject{{u"count"_s, 3}}}}));
    const QJsonObject watches = page->next();
    QCOMPARE(watches.value("eventType"_L1).toString(), u"stopwatches"_s);
    QCOMPARE(watches.value("eventData"_L1).toArray().first().toObject().value("issue_title"_L1).toString(),
             u"Fix X"_s);
    QVERIFY(!watches.contains("type"_L1));
    m_forge->accounts[7].unread = 5;
    QCOMPARE(page->next().value("eventData"_L1).toObject().value("count"_L1).toInt(), 5);
    // Whatever the page sends (it sends nothing; a hostile one might) gets no reply in this format.
    page->send(QJsonObject{{u"type"_s, u"subscribe"_s}, {u"topic"_s, u"project-board.1"_s}});
    page->sendRaw(u"not json"_s);
    QVERIFY(page->silentFor(300));
    for (const QJsonObject& message : std::as_const(page->queue()))
        QVERIFY(message.contains("eventType"_L1));
}

void TestPageFormat::unknownSessionIsClosedWith3000AfterTheUpgrade()
{
    startServer();
    // Upgraded (the newest page worker would retry a refused upgrade for ever), then closed with 3000.
    auto unknown = openPage("i_like_gitea=nope");
    QCOMPARE(unknown->waitClosed(), 3000);
    QVERIFY(unknown->queue().isEmpty());
    auto noSession = openPage("lang=en");
    QCOMPARE(noSession->waitClosed(), 3000);
    // A page of the forge without any cookie (its pages cannot read an anonymous connection).
    auto noCookie = openPage({});
    QCOMPARE(noCookie->waitClosed(), 3000);
    QCOMPARE(m_fixture->server()->metrics()->connectionsTotal.load(), 3);
    // A native client (no Origin) without a token is still an anonymous JSON client.
    WsClient native;
    QVERIFY(native.open(m_fixture->wsUrl()));
    QCOMPARE(native.next().value("type"_L1).toString(), u"hello"_s);
    // Hostile cookies and other origins are still refused before the upgrade.
    RawWsClient foreign;
    QVERIFY(!foreign.connectAndUpgrade(m_fixture->server()->port(), "/-/ws",
                                       "Origin: http://evil.example\r\nCookie: i_like_gitea=sess-a\r\n"));
    QVERIFY(foreign.refusal().startsWith("HTTP/1.1 403"));
    RawWsClient hostile;
    QVERIFY(!hostile.connectAndUpgrade(m_fixture->server()->port(), "/-/ws",
                                       "Origin: " + kOrigin + "\r\nCookie: i_like_gitea=a\x01z\r\n"));
    QVERIFY(hostile.refusal().startsWith("HTTP/1.1 400"));
}

void TestPageFormat::signedOutSessionHearsLogoutThen3000()
{
    startServer();
    auto a = openPage("lang=en-US; i_like_gitea=sess-a");
    auto b = openPage("i_like_gitea=sess-b");
    QCOMPARE(a->next().value("eventType"_L1).toString(), u"notification-count"_s);
    QCOMPARE(b->next().value("eventType"_L1).toString(), u"notification-count"_s);
    m_forge->sessions.remove("sess-a");
    QVERIFY(waitFor([&] { return a->queue().contains(QJsonObject{{u"eventType"_s, u"logout"_s}}); }));
    QCOMPARE(a->waitClosed(), 3000);
    // The other session of the same person goes on, and hears no logout.
    QVERIFY(b->isOpen());
    for (const QJsonObject& message : std::as_const(b->queue()))
        QVERIFY(message.value("eventType"_L1) != "logout"_L1);
}

void TestPageFormat::tokenClientsKeepTheirMessages()
{
    startServer();
    QVERIFY(m_fixture->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":9})", "PUT"));
    WsClient client;
    QVERIFY(client.open(m_fixture->wsUrl(), makeToken(7, u"alice"_s)));
    QCOMPARE(client.next().value("type"_L1).toString(), u"hello"_s);
    QCOMPARE(client.nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 9);
    // A bad token is still 4001 to a token client.
    WsClient bad;
    QVERIFY(bad.open(m_fixture->wsUrl(), "not-a-valid-token"));
    QCOMPARE(bad.waitClosed(), 4001);
}

QTEST_MAIN(TestPageFormat)
#include "tst_pageformat.moc"
