// Bridge mode end to end: a real forgewire::Server polling a fake Gitea/Forgejo (a real HTTP server
// on loopback that follows the documented API shapes and status codes), real WebSocket clients.

#include "AdminServer.h"
#include "FakeForge.h"
#include "ForgeActions.h"
#include "ForgeBridge.h"
#include "TestSupport.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QRegularExpression>
#include <QTemporaryFile>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

constexpr qint64 kAliceId = 42;
const QByteArray kAliceToken = "forge-token-alice";
const QByteArray kAliceSecondToken = "forge-token-alice-laptop";
constexpr qint64 kBobId = 43;
const QByteArray kBobToken = "forge-token-bob";

PollSettings fastPolling(int minMs = 200, int stepMs = 200, int maxMs = 600, int outageMaxMs = 1600)
{
    PollSettings settings;
    settings.minMs = minMs;
    settings.stepMs = stepMs;
    settings.maxMs = maxMs;
    settings.outageMaxMs = outageMaxMs;
    settings.jitter = 0; // exact intervals; jitter itself is covered by tst_pollschedule
    return settings;
}

qint64 metricValue(const QByteArray& metrics, const QByteArray& name)
{
    for (const QByteArray& line : metrics.split('\n')) {
        if (line.startsWith(name + ' '))
            return line.mid(name.size() + 1).toLongLong();
    }
    return -1;
}

ForgeActionResult runAction(const std::function<void(ForgeActions::Done)>& action)
{
    std::optional<ForgeActionResult> result;
    action([&result](const ForgeActionResult& r) { result = r; });
    waitFor([&] { return result.has_value(); });
    return result.value_or(ForgeActionResult{});
}

} // namespace

class TestForgeBridge : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void configKeys();
    void tokenVerifiedOnceAndCached();
    void refusedTokenGets4001();
    void unverifiableTokenDuringOutageGets1001();
    void changesArePushedAndRetained();
    void noChangeNoPush();
    void intervalGrowsAndResets();
    void onePollerPerUser();
    void pollingStopsWithLastConnection();
    void rateLimitHonoursRetryAfter();
    void outageBacksOffAndRecovers();
    void connectionRefusedAndRecovery();
    void revokedTokenClosesWith4001();
    void resubscribeRepollsAtOnce();
    void forgeActions();

private:
    bool startServer(const PollSettings& settings = fastPolling());
    std::unique_ptr<WsClient> connectAs(const QByteArray& token);
    // Connects and consumes the state every new connection gets first (count and stopwatches).
    std::unique_ptr<WsClient> connectReady(const QByteArray& token);
    QByteArray metrics() const { return m_fixture->admin("GET", u"/metrics"_s).body; }
    ForgeBridge* bridge() const { return m_fixture->server()->forgeBridge(); }

    std::unique_ptr<FakeForge> m_forge;
    std::unique_ptr<ServerFixture> m_fixture;
};

void TestForgeBridge::init()
{
    m_forge = std::make_unique<FakeForge>();
    m_forge->addAccount(kAliceId, u"alice"_s, kAliceToken);
    m_forge->addAccount(kAliceId, u"alice"_s, kAliceSecondToken);
    m_forge->addAccount(kBobId, u"bob"_s, kBobToken);
    QVERIFY(m_forge->start());
    m_forge->rememberPort();
}

void TestForgeBridge::cleanup()
{
    m_fixture.reset();
    m_forge.reset();
}

bool TestForgeBridge::startServer(const PollSettings& settings)
{
    ServerConfig config = testConfig();
    config.forgeUrl = m_forge->url().toString();
    config.forgePoll = settings;
    m_fixture = std::make_unique<ServerFixture>(config);
    if (!m_fixture->start()) {
        qWarning() << m_fixture->error();
        return false;
    }
    return bridge() != nullptr;
}

std::unique_ptr<WsClient> TestForgeBridge::connectAs(const QByteArray& token)
{
    auto client = std::make_unique<WsClient>();
    if (!client->open(m_fixture->wsUrl(), token, "token"))
        return nullptr;
    return client;
}

std::unique_ptr<WsClient> TestForgeBridge::connectReady(const QByteArray& token)
{
    auto client = connectAs(token);
    if (!client || client->next().value("type"_L1).toString() != "hello"_L1)
        return nullptr;
    if (client->nextOfType(u"notification-count"_s).isEmpty() ||
        client->nextOfType(u"stopwatches"_s).isEmpty())
        return nullptr;
    return client;
}

void TestForgeBridge::configKeys()
{
    const ServerConfig defaults;
    QVERIFY(defaults.forgeUrl.isEmpty());
    QCOMPARE(defaults.forgePoll.minMs, 10'000);
    QCOMPARE(defaults.forgePoll.stepMs, 10'000);
    QCOMPARE(defaults.forgePoll.maxMs, 60'000);

    const auto flag =
        parseServerArguments({u"forgewire-server"_s, u"--forge-url"_s, u"https://codeberg.org"_s});
    QVERIFY2(flag.config, qPrintable(flag.error));
    QCOMPARE(flag.config->forgeUrl, u"https://codeberg.org"_s);

    QTemporaryFile ini;
    QVERIFY(ini.open());
    ini.write("[forge]\nurl=https://git.example.org/gitea\npoll_min_ms=5000\npoll_step_ms=2000\n"
              "poll_max_ms=30000\noutage_max_ms=120000\n");
    ini.close();
    const auto fromIni = parseServerArguments({u"forgewire-server"_s, u"--config"_s, ini.fileName()});
    QVERIFY2(fromIni.config, qPrintable(fromIni.error));
    QCOMPARE(fromIni.config->forgeUrl, u"https://git.example.org/gitea"_s);
    QCOMPARE(fromIni.config->forgePoll.minMs, 5000);
    QCOMPARE(fromIni.config->forgePoll.stepMs, 2000);
    QCOMPARE(fromIni.config->forgePoll.maxMs, 30000);
    QCOMPARE(fromIni.config->forgePoll.outageMaxMs, 120000);

    const auto bad = parseServerArguments({u"forgewire-server"_s, u"--forge-url"_s, u"codeberg.org"_s});
    QVERIFY(!bad.config);
    QVERIFY(bad.error.contains("forge url"_L1));
}

void TestForgeBridge::tokenVerifiedOnceAndCached()
{
    QVERIFY(startServer());
    auto first = connectAs(kAliceToken);
    QVERIFY(first);
    const QJsonObject hello = first->next();
    QCOMPARE(hello.value("type"_L1).toString(), u"hello"_s);
    // The forge's numeric id is the user id: the client lives on user-42.
    QCOMPARE(hello.value("user"_L1).toObject().value("id"_L1).toInteger(), kAliceId);
    QCOMPARE(hello.value("user"_L1).toObject().value("login"_L1).toString(), u"alice"_s);
    // After the bridge's first poll, so its publication cannot overtake this one.
    QCOMPARE(first->nextOfType(u"stopwatches"_s).value("type"_L1).toString(), u"stopwatches"_s);
    QCOMPARE(first->nextOfType(u"notification-count"_s).value("count"_L1).toInt(-1), 0);
    QVERIFY(m_fixture->publish(u"/api/v1/users/42/notification-count"_s, R"({"count":9})", "PUT"));
    QCOMPARE(first->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 9);

    auto second = connectReady(kAliceToken);
    QVERIFY(second);
    first.reset();
    second.reset();
    auto third = connectReady(kAliceToken);
    QVERIFY(third);
    QCOMPARE(m_forge->count(u"/api/v1/user"_s), 1);
    const QByteArray text = metrics();
    QCOMPARE(metricValue(text, "forgewire_forge_token_checks_total{source=\"forge\"}"), 1);
    QCOMPARE(metricValue(text, "forgewire_forge_token_checks_total{source=\"cache\"}"), 2);
}

void TestForgeBridge::refusedTokenGets4001()
{
    QVERIFY(startServer());
    auto client = connectAs("not-a-forge-token");
    QVERIFY(client);
    QCOMPARE(client->waitClosed(), 4001);
    QCOMPARE(m_forge->count(u"/api/v1/user"_s), 1);
    QCOMPARE(bridge()->pollerCount(), 0);
}

void TestForgeBridge::unverifiableTokenDuringOutageGets1001()
{
    // A token never seen before while the forge is down: not known to be bad, so the client is told
    // to come back later (1001, reconnect with backoff), not never to retry it (4001).
    QVERIFY(startServer());
    const quint16 port = m_forge->port();
    m_forge->stop();
    auto client = connectAs(kAliceToken);
    QVERIFY(client);
    QCOMPARE(client->waitClosed(), 1001);
    QVERIFY(client->queue().isEmpty());
    QCOMPARE(m_fixture->server()->metrics()->authFailures.load(), 0);
    // Once the forge answers again the same token gets in.
    QVERIFY(m_forge->start(port));
    auto again = connectReady(kAliceToken);
    QVERIFY(again);
}

void TestForgeBridge::changesArePushedAndRetained()
{
    QVERIFY(startServer());
    auto client = connectAs(kAliceToken);
    QVERIFY(client);
    QCOMPARE(client->next().value("type"_L1).toString(), u"hello"_s);
    // First poll: the state as it is (204 from the forge means 0).
    QCOMPARE(client->nextOfType(u"notification-count"_s).value("count"_L1).toInt(-1), 0);
    QCOMPARE(client->nextOfType(u"stopwatches"_s).value("data"_L1).toArray().size(), 0);

    m_forge->accounts[kAliceId].unread = 3;
    QCOMPARE(client->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 3);

    const QDateTime created = QDateTime::currentDateTimeUtc().addSecs(-125);
    m_forge->accounts[kAliceId].stopwatches.append(FakeForge::stopwatch(7, u"Fix X"_s, created));
    const QJsonArray data = client->nextOfType(u"stopwatches"_s).value("data"_L1).toArray();
    QCOMPARE(data.size(), 1);
    const QJsonObject watch = data.first().toObject();
    QCOMPARE(watch.value("issue_index"_L1).toInteger(), 7);
    QCOMPARE(watch.value("issue_title"_L1).toString(), u"Fix X"_s);
    QCOMPARE(watch.value("repo_owner_name"_L1).toString(), u"alice"_s);
    QCOMPARE(watch.value("repo_name"_L1).toString(), u"proj"_s);
    QVERIFY(watch.value("seconds"_L1).toInteger() >= 125);

    // Retained: a new connection is correct at once, before any further poll.
    auto late = connectAs(kAliceSecondToken);
    QVERIFY(late);
    QCOMPARE(late->next().value("type"_L1).toString(), u"hello"_s);
    QCOMPARE(late->nextOfType(u"notification-count"_s, 1000).value("count"_L1).toInt(), 3);
    QCOMPARE(late->nextOfType(u"stopwatches"_s, 1000).value("data"_L1).toArray().size(), 1);
}

void TestForgeBridge::noChangeNoPush()
{
    // A running stopwatch: the forge's `seconds` grows on every poll, which is not a change.
    m_forge->accounts[kAliceId].unread = 2;
    m_forge->accounts[kAliceId].stopwatches.append(
        FakeForge::stopwatch(7, u"Fix X"_s, QDateTime::currentDateTimeUtc().addSecs(-30)));
    QVERIFY(startServer());
    auto client = connectReady(kAliceToken);
    QVERIFY(client);
    const qint64 since = m_forge->nowMs();
    QVERIFY(client->silentFor(2200));
    QVERIFY2(m_forge->count(u"/api/v1/user/stopwatches"_s, since) >= 3,
             qPrintable(QString::number(m_forge->count(u"/api/v1/user/stopwatches"_s, since))));
    QCOMPARE(metricValue(metrics(), "forgewire_forge_pushes_total"), 2);
}

void TestForgeBridge::intervalGrowsAndResets()
{
    QVERIFY(startServer(fastPolling(200, 200, 600)));
    auto client = connectReady(kAliceToken);
    QVERIFY(client);
    const QString path = u"/api/v1/notifications/new"_s;
    // The first poll changed (nothing was known): 200 ms, then 400, 600, 600 while unchanged.
    QVERIFY(waitFor([&] { return m_forge->count(path) >= 5; }, 5000));
    // QTimer's default coarse timers may fire up to 5 % early.
    QList<qint64> t = m_forge->times(path);
    const QList<qint64> expected{200, 400, 600, 600};
    for (int i = 0; i < expected.size(); ++i) {
        const qint64 gap = t[i + 1] - t[i];
        QVERIFY2(gap >= expected[i] * 9 / 10 && gap <= expected[i] + 250,
                 qPrintable(u"gap %1 was %2 ms, expected %3"_s.arg(i).arg(gap).arg(expected[i])));
    }
    // A change resets the interval to the minimum.
    m_forge->accounts[kAliceId].unread = 1;
    QCOMPARE(client->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 1);
    const qint64 changedAt = m_forge->times(path).last();
    QVERIFY(waitFor([&] { return m_forge->count(path, changedAt + 1) >= 1; }));
    const qint64 gap = m_forge->times(path, changedAt + 1).first() - changedAt;
    QVERIFY2(gap >= 180 && gap <= 450, qPrintable(QString::number(gap)));
}

void TestForgeBridge::onePollerPerUser()
{
    QVERIFY(startServer(fastPolling(300, 0, 300)));
    auto a = connectReady(kAliceToken);
    auto b = connectReady(kAliceSecondToken); // another device, another token, same user
    auto c = connectReady(kAliceToken);
    QVERIFY(a && b && c);
    QCOMPARE(bridge()->pollerCount(), 1);
    const qint64 since = m_forge->nowMs();
    QTest::qWait(1500);
    // One poller: about 5 polls in 1.5 s at 300 ms; three would make about 15.
    const int polls = m_forge->count(u"/api/v1/notifications/new"_s, since);
    QVERIFY2(polls >= 3 && polls <= 7, qPrintable(QString::number(polls)));
    QCOMPARE(metricValue(metrics(), "forgewire_forge_pollers"), 1);

    auto bob = connectReady(kBobToken);
    QVERIFY(bob);
    QCOMPARE(bridge()->pollerCount(), 2);
}

void TestForgeBridge::pollingStopsWithLastConnection()
{
    QVERIFY(startServer(fastPolling(200, 0, 200)));
    auto a = connectReady(kAliceToken);
    auto b = connectReady(kAliceToken);
    QVERIFY(a && b);
    const QString path = u"/api/v1/notifications/new"_s;
    a.reset();
    const qint64 afterFirst = m_forge->nowMs() + 100;
    QVERIFY(waitFor([&] { return m_forge->count(path, afterFirst) >= 2; }));
    QCOMPARE(bridge()->pollerCount(), 1);

    b.reset();
    QVERIFY(waitFor([&] { return bridge()->pollerCount() == 0; }));
    QTest::qWait(100); // a request already on the wire may still land
    const int before = m_forge->count(path);
    QTest::qWait(1000);
    QCOMPARE(m_forge->count(path), before);
}

void TestForgeBridge::rateLimitHonoursRetryAfter()
{
    QVERIFY(startServer(fastPolling(200, 0, 200)));
    auto client = connectReady(kAliceToken);
    QVERIFY(client);
    m_forge->retryAfter = "1";
    m_forge->rateLimitNext = 1;
    QVERIFY(waitFor([&] {
        return std::any_of(m_forge->hits.cbegin(), m_forge->hits.cend(),
                           [](const auto& h) { return h.status == 429; });
    }));
    const auto limited = std::find_if(m_forge->hits.cbegin(), m_forge->hits.cend(),
                                      [](const auto& h) { return h.status == 429; });
    const qint64 limitedAt = limited->atMs;
    // The other half of that round may land right after; the next round waits the full second.
    QVERIFY(
        waitFor([&] { return m_forge->count(u"/api/v1/notifications/new"_s, limitedAt + 50) >= 1; }, 3000));
    const qint64 next = m_forge->times(u"/api/v1/notifications/new"_s, limitedAt + 50).first();
    QVERIFY2(next - limitedAt >= 900, qPrintable(QString::number(next - limitedAt)));
    QVERIFY(metricValue(metrics(), "forgewire_forge_requests_total{result=\"rate_limited\"}") >= 1);
    // A refresh request does not jump the queue either.
    m_forge->rateLimitNext = 1;
    const qint64 since = m_forge->nowMs();
    QVERIFY(waitFor([&] { return m_forge->count(u"/api/v1/notifications/new"_s, since) >= 1; }));
    const qint64 secondLimit = m_forge->nowMs();
    client->subscribe(u"user-42"_s);
    QTest::qWait(500);
    QCOMPARE(m_forge->count(u"/api/v1/notifications/new"_s, secondLimit + 50), 0);
}

void TestForgeBridge::outageBacksOffAndRecovers()
{
    QVERIFY(startServer(fastPolling(200, 200, 600, 1600)));
    auto client = connectReady(kAliceToken);
    QVERIFY(client);
    QCOMPARE(metricValue(metrics(), "forgewire_forge_up"), 1);

    // The outage is logged once, not per poll, and so is the recovery.
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"answered 500 .* polling backs off"_s));
    QTest::ignoreMessage(QtInfoMsg, QRegularExpression(u"forge reachable again"_s));
    m_forge->failStatus = 500;
    const qint64 since = m_forge->nowMs();
    const QString path = u"/api/v1/notifications/new"_s;
    QVERIFY(waitFor([&] { return m_forge->count(path, since) >= 3; }, 6000));
    const QByteArray down = metrics();
    QCOMPARE(metricValue(down, "forgewire_forge_up"), 0);
    QVERIFY(metricValue(down, "forgewire_forge_consecutive_failures") >= 2);
    QVERIFY(metricValue(down, "forgewire_forge_requests_total{result=\"error\"}") >= 4);
    // Backing off: 400, 800, 1600 ms between failed polls.
    const QList<qint64> t = m_forge->times(path, since);
    const qint64 gap1 = t[1] - t[0];
    const qint64 gap2 = t[2] - t[1];
    QVERIFY2(gap1 >= 360 && gap2 >= 720 && gap2 > gap1 * 3 / 2,
             qPrintable(u"gaps %1 and %2 ms"_s.arg(gap1).arg(gap2)));
    QVERIFY(client->isOpen()); // an outage is not the client's fault

    m_forge->failStatus = 0;
    m_forge->accounts[kAliceId].unread = 5;
    QCOMPARE(client->nextOfType(u"notification-count"_s, 4000).value("count"_L1).toInt(), 5);
    QCOMPARE(metricValue(metrics(), "forgewire_forge_up"), 1);
    QCOMPARE(metricValue(metrics(), "forgewire_forge_consecutive_failures"), 0);
}

void TestForgeBridge::connectionRefusedAndRecovery()
{
    QVERIFY(startServer(fastPolling(200, 200, 600, 800)));
    auto client = connectReady(kAliceToken);
    QVERIFY(client);
    const quint16 port = m_forge->port();
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"unreachable .* polling backs off"_s));
    QTest::ignoreMessage(QtInfoMsg, QRegularExpression(u"forge reachable again"_s));
    m_forge->stop();
    QVERIFY(waitFor([&] { return metricValue(metrics(), "forgewire_forge_up") == 0; }));
    m_forge->accounts[kAliceId].unread = 6;
    QVERIFY(m_forge->start(port));
    QCOMPARE(client->nextOfType(u"notification-count"_s, 4000).value("count"_L1).toInt(), 6);
    QCOMPARE(metricValue(metrics(), "forgewire_forge_up"), 1);
    // Verification during an outage: a token verified before is still trusted.
    QVERIFY(client->isOpen());
}

void TestForgeBridge::revokedTokenClosesWith4001()
{
    QVERIFY(startServer());
    auto a = connectReady(kAliceToken);
    auto b = connectReady(kAliceToken);
    auto bob = connectReady(kBobToken);
    QVERIFY(a && b && bob);
    m_forge->revoked.insert(kAliceToken);
    QCOMPARE(a->waitClosed(), 4001);
    QCOMPARE(b->waitClosed(), 4001);
    QVERIFY(bob->isOpen());
    QCOMPARE(metricValue(metrics(), "forgewire_forge_revocations_total"), 1);
    QVERIFY(waitFor([&] { return bridge()->pollerCount() == 1; }));

    // The cached identity is gone: the same token is checked again, and refused.
    const int checks = m_forge->count(u"/api/v1/user"_s);
    auto again = connectAs(kAliceToken);
    QVERIFY(again);
    QCOMPARE(again->waitClosed(), 4001);
    QCOMPARE(m_forge->count(u"/api/v1/user"_s), checks + 1);
}

void TestForgeBridge::resubscribeRepollsAtOnce()
{
    // Intervals far longer than the test: only a refresh can explain a poll.
    QVERIFY(startServer(fastPolling(20'000, 0, 20'000)));
    auto client = connectReady(kAliceToken);
    QVERIFY(client);
    m_forge->accounts[kAliceId].stopwatches.append(
        FakeForge::stopwatch(7, u"Fix X"_s, QDateTime::currentDateTimeUtc().addSecs(-60)));
    m_forge->accounts[kAliceId].unread = 4;
    QVERIFY(client->silentFor(500));

    // The tray's flow: act on the forge directly, then re-subscribe to its own topic.
    ForgeActions actions(m_forge->url(), kAliceToken);
    QVERIFY(runAction([&](ForgeActions::Done done) { actions.markAllRead(done); }).ok);
    client->subscribe(u"user-42"_s);
    QCOMPARE(client->nextOfType(u"subscribed"_s, 1000).value("topic"_L1).toString(), u"user-42"_s);
    // The count went 0 -> 4 -> 0 on the forge with no poll between: no change, no push. The
    // stopwatch was new, so it arrives within the refresh.
    QCOMPARE(client->nextOfType(u"stopwatches"_s, 1500).value("data"_L1).toArray().size(), 1);

    QVERIFY(runAction([&](ForgeActions::Done done) {
                actions.stopStopwatch(u"alice"_s, u"proj"_s, 7, done);
            }).ok);
    QTest::qWait(int(ForgeBridge::kMinRefreshGapMs)); // refreshes closer together share one poll
    client->subscribe(u"user-42"_s);
    QCOMPARE(client->nextOfType(u"stopwatches"_s, 2500).value("data"_L1).toArray().size(), 0);

    // Re-subscribing to someone else's topic is refused and polls nobody.
    const int polls = m_forge->count(u"/api/v1/notifications/new"_s);
    client->subscribe(u"user-43"_s);
    QCOMPARE(client->nextOfType(u"error"_s).value("code"_L1).toString(), u"forbidden"_s);
    QTest::qWait(300);
    QCOMPARE(m_forge->count(u"/api/v1/notifications/new"_s), polls);
}

void TestForgeBridge::forgeActions()
{
    ForgeActions actions(m_forge->url(), kAliceToken);
    auto& account = m_forge->accounts[kAliceId];
    account.stopwatches.append(FakeForge::stopwatch(7, u"Fix X"_s, QDateTime::currentDateTimeUtc()));
    account.stopwatches.append(FakeForge::stopwatch(8, u"Fix Y"_s, QDateTime::currentDateTimeUtc()));
    account.unread = 3;

    ForgeActionResult r =
        runAction([&](auto done) { actions.stopStopwatch(u"alice"_s, u"proj"_s, 7, done); });
    QVERIFY(r.ok);
    QCOMPARE(r.httpStatus, 201);
    QCOMPARE(m_forge->hits.last().method, QByteArray("POST"));
    QCOMPARE(m_forge->hits.last().path, u"/api/v1/repos/alice/proj/issues/7/stopwatch/stop"_s);

    r = runAction([&](auto done) { actions.stopStopwatch(u"alice"_s, u"proj"_s, 7, done); });
    QVERIFY(!r.ok);
    QCOMPARE(r.httpStatus, 409);
    QVERIFY(r.nothingToDo);
    QVERIFY(!r.error.isEmpty());

    r = runAction([&](auto done) { actions.cancelStopwatch(u"alice"_s, u"proj"_s, 8, done); });
    QVERIFY(r.ok);
    QCOMPARE(r.httpStatus, 204);
    QCOMPARE(m_forge->hits.last().method, QByteArray("DELETE"));
    QVERIFY(account.stopwatches.isEmpty());

    r = runAction([&](auto done) { actions.cancelStopwatch(u"alice"_s, u"proj"_s, 8, done); });
    QCOMPARE(r.httpStatus, 409);
    QVERIFY(!r.ok);

    r = runAction([&](auto done) { actions.markAllRead(done); });
    QVERIFY(r.ok);
    QCOMPARE(r.httpStatus, 205);
    QCOMPARE(m_forge->hits.last().method, QByteArray("PUT"));
    QCOMPARE(account.unread, 0);

    ForgeActions stranger(m_forge->url(), "wrong-token");
    r = runAction([&](auto done) { stranger.markAllRead(done); });
    QVERIFY(!r.ok);
    QCOMPARE(r.httpStatus, 401);

    m_forge->stop();
    r = runAction([&](auto done) { actions.markAllRead(done); });
    QVERIFY(!r.ok);
    QCOMPARE(r.httpStatus, 0);
}

QTEST_GUILESS_MAIN(TestForgeBridge)
#include "tst_forgebridge.moc"
