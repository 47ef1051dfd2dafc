// Bridge mode end to end: a real forgewire::Server polling a fake Gitea/Forgejo (a real HTTP server
// on loopback that follows the documented API shapes and status codes), real WebSocket clients.

#include "FakeForge.h"
#include "TestSupport.h"
#include "admin/AdminServer.h"
#include "auth/Authenticator.h"
#include "bridge/ForgeBridge.h"
#include "config/ServerLimits.h"
#include "forge/ForgeActions.h"
#include "forge/ForgeClient.h"
#include "protocol/Protocol.h"

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
// Alice's token created without read:notification: enough to sign in (GET /user), not to poll.
const QByteArray kAliceNarrowToken = "forge-token-alice-narrow";

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

// An upgrade request signing in with `token` through the query, from `source` (any loopback address).
std::unique_ptr<QTcpSocket> rawUpgrade(quint16 port, const QByteArray& token,
                                       const QHostAddress& source = QHostAddress::LocalHost)
{
    auto socket = std::make_unique<QTcpSocket>();
    if (!socket->bind(source))
        return nullptr;
    socket->connectToHost(QHostAddress::LocalHost, port);
    socket->write("GET /-/ws?access_token=" + token +
                  " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    return socket;
}

// The close code of the first close frame in `bytes` (server frames are unmasked), after the
// 101 response; 0 when there is none yet.
int closeCodeIn(const QByteArray& bytes, QByteArray* reason = nullptr)
{
    qsizetype at = bytes.indexOf("\r\n\r\n");
    if (at < 0)
        return 0;
    at += 4;
    while (at + 2 <= bytes.size()) {
        const quint8 opcode = quint8(bytes[at]) & 0x0F;
        qsizetype length = quint8(bytes[at + 1]) & 0x7F;
        qsizetype offset = 2;
        if (length == 126) {
            if (at + 4 > bytes.size())
                return 0;
            length = (quint8(bytes[at + 2]) << 8) | quint8(bytes[at + 3]);
            offset = 4;
        }
        if (at + offset + length > bytes.size())
            return 0;
        if (opcode == 0x8) {
            if (reason && length > 2)
                *reason = bytes.mid(at + offset + 2, length - 2);
            return length >= 2 ? (quint8(bytes[at + offset]) << 8) | quint8(bytes[at + offset + 1]) : 1005;
        }
        at += offset + length;
    }
    return 0;
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
    void metricsKeepEveryFamily();

    // Security: header injection (token syntax), per-token verification, live re-checks, flood bounds.
    void tokenSyntax_data();
    void tokenSyntax();
    void headerInjectionNeverReachesTheForge();
    void controlCharactersAreNeverSent();
    void tokenFailureClosesOnlyItsConnections();
    void missingScopeSaysSo();
    void revokedLiveTokenIsRechecked();
    void refusalsAreCached();
    void tokenChecksRateLimitedPerAddress();
    void tokenChecksBoundedAndGoodTokensNotDelayed();

private:
    bool startServer(const PollSettings& settings = fastPolling(), int handshakeTimeoutMs = 0);
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
    m_forge->addAccount(kAliceId, u"alice"_s, kAliceNarrowToken);
    m_forge->lackingScope.insert(kAliceNarrowToken, u"read:notification"_s);
    QVERIFY(m_forge->start());
    m_forge->rememberPort();
}

void TestForgeBridge::cleanup()
{
    m_fixture.reset();
    m_forge.reset();
}

bool TestForgeBridge::startServer(const PollSettings& settings, int handshakeTimeoutMs)
{
    ServerConfig config = testConfig();
    config.forgeUrl = m_forge->url().toString();
    config.forgePoll = settings;
    if (handshakeTimeoutMs > 0)
        config.handshakeTimeoutMs = handshakeTimeoutMs;
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

    // The cached identity is gone, and the refusal is cached instead: refused without asking again.
    const int checks = m_forge->count(u"/api/v1/user"_s);
    auto again = connectAs(kAliceToken);
    QVERIFY(again);
    QCOMPARE(again->waitClosed(), 4001);
    QCOMPARE(again->socket().closeReason(), u"forge token revoked"_s);
    QCOMPARE(m_forge->count(u"/api/v1/user"_s), checks);
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

// /metrics in bridge mode: the server's own families, then the bridge's, each name as before the
// Prometheus writer was shared (dashboards and alerts use them), in valid exposition format.
void TestForgeBridge::metricsKeepEveryFamily()
{
    QVERIFY(startServer());
    auto client = connectReady(kAliceToken);
    QVERIFY(client);
    QString error;
    const QByteArrayList shape = metricShape(metrics(), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QByteArrayList expected = {
        "forgewire_connections gauge",
        "forgewire_connections",
        "forgewire_connections_total counter",
        "forgewire_connections_total",
        "forgewire_subscriptions gauge",
        "forgewire_subscriptions{kind=\"user\"}",
        "forgewire_subscriptions{kind=\"project_board\"}",
        "forgewire_subscriptions{kind=\"public\"}",
        "forgewire_event_streams gauge",
        "forgewire_event_streams",
        "forgewire_event_stream_events_total counter",
        "forgewire_event_stream_events_total",
        "forgewire_event_stream_closes_total counter",
        "forgewire_event_stream_closes_total{reason=\"unauthorized\"}",
        "forgewire_event_stream_closes_total{reason=\"slow_consumer\"}",
        "forgewire_event_stream_closes_total{reason=\"going_away\"}",
        "forgewire_event_stream_closes_total{reason=\"client_gone\"}",
        "forgewire_event_stream_closes_total{reason=\"other\"}",
        "forgewire_messages_published_total counter",
        "forgewire_messages_published_total",
        "forgewire_messages_delivered_total counter",
        "forgewire_messages_delivered_total",
        "forgewire_messages_dropped_total counter",
        "forgewire_messages_dropped_total{reason=\"no_subscribers\"}",
        "forgewire_messages_dropped_total{reason=\"forbidden\"}",
        "forgewire_messages_dropped_total{reason=\"slow_consumer\"}",
        "forgewire_slow_consumer_disconnects_total counter",
        "forgewire_slow_consumer_disconnects_total",
        "forgewire_auth_failures_total counter",
        "forgewire_auth_failures_total",
        "forgewire_handshake_timeouts_total counter",
        "forgewire_handshake_timeouts_total",
        "forgewire_pong_timeouts_total counter",
        "forgewire_pong_timeouts_total",
        "forgewire_connections_rejected_total counter",
        "forgewire_connections_rejected_total",
        "forgewire_connections_refused_total counter",
        "forgewire_connections_refused_total{reason=\"per_address\"}",
        "forgewire_forwarded_headers_malformed_total counter",
        "forgewire_forwarded_headers_malformed_total",
        "forgewire_accept_pauses_total counter",
        "forgewire_accept_pauses_total",
        "forgewire_queued_bytes gauge",
        "forgewire_queued_bytes",
        "forgewire_queue_budget_evictions_total counter",
        "forgewire_queue_budget_evictions_total",
        "forgewire_deferred_overflow_total counter",
        "forgewire_deferred_overflow_total",
        "forgewire_client_errors_total counter",
        "forgewire_client_errors_total",
        "forgewire_publish_rejected_total counter",
        "forgewire_publish_rejected_total",
        "forgewire_publish_failed_total counter",
        "forgewire_publish_failed_total",
        "forgewire_engine_ready gauge",
        "forgewire_engine_ready",
        "forgewire_ready gauge",
        "forgewire_ready{part=\"server\"}",
        "forgewire_ready{part=\"state\"}",
        "forgewire_forge_up gauge",
        "forgewire_forge_up",
        "forgewire_forge_pollers gauge",
        "forgewire_forge_pollers",
        "forgewire_forge_consecutive_failures gauge",
        "forgewire_forge_consecutive_failures",
        "forgewire_forge_requests_total counter",
        "forgewire_forge_requests_total{result=\"ok\"}",
        "forgewire_forge_requests_total{result=\"unauthorized\"}",
        "forgewire_forge_requests_total{result=\"rate_limited\"}",
        "forgewire_forge_requests_total{result=\"error\"}",
        "forgewire_forge_token_checks_total counter",
        "forgewire_forge_token_checks_total{source=\"forge\"}",
        "forgewire_forge_token_checks_total{source=\"cache\"}",
        "forgewire_forge_token_checks_total{source=\"refused_cache\"}",
        "forgewire_forge_token_checks_total{source=\"rejected_busy\"}",
        "forgewire_forge_token_checks_total{source=\"rate_limited\"}",
        "forgewire_forge_token_checks_total{source=\"recheck\"}",
        "forgewire_forge_token_checks_queued gauge",
        "forgewire_forge_token_checks_queued",
        "forgewire_forge_live_tokens gauge",
        "forgewire_forge_live_tokens",
        "forgewire_forge_revocations_total counter",
        "forgewire_forge_revocations_total",
        "forgewire_forge_pushes_total counter",
        "forgewire_forge_pushes_total",
    };
    QCOMPARE(shape, expected);
    QVERIFY(metrics().contains("\nforgewire_forge_live_tokens 1\n"));
}

void TestForgeBridge::tokenSyntax_data()
{
    QTest::addColumn<QByteArray>("authorization");
    QTest::addColumn<QString>("query");
    QTest::addColumn<QByteArray>("token"); // what extractToken() finds
    QTest::addColumn<bool>("wellFormed");

    const QByteArray hex = "0123456789abcdef0123456789abcdef01234567";
    QTest::newRow("forge token (40 hex)") << "token " + hex << QString() << hex << true;
    QTest::newRow("bearer JWT") << QByteArray("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0.c2ln") << QString()
                                << QByteArray("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0.c2ln") << true;
    QTest::newRow("every b64token character")
        << QByteArray("Bearer aZ09-._~+/==") << QString() << QByteArray("aZ09-._~+/==") << true;
    QTest::newRow("query, + and / percent-encoded")
        << QByteArray() << u"access_token=ab%2Bc%2Fd%3D"_s << QByteArray("ab+c/d=") << true;
    QTest::newRow("exactly the longest") << "Bearer " + QByteArray(protocol::kMaxTokenBytes, 'a') << QString()
                                         << QByteArray(protocol::kMaxTokenBytes, 'a') << true;
    QTest::newRow("one byte too long") << "Bearer " + QByteArray(protocol::kMaxTokenBytes + 1, 'a')
                                       << QString() << QByteArray(protocol::kMaxTokenBytes + 1, 'a') << false;
    QTest::newRow("padding inside") << QByteArray("Bearer ab=cd") << QString() << QByteArray("ab=cd")
                                    << false;
    QTest::newRow("padding only") << QByteArray("Bearer ==") << QString() << QByteArray("==") << false;
    QTest::newRow("space inside") << QByteArray("Bearer abc def") << QString() << QByteArray("abc def")
                                  << false;
    QTest::newRow("CR LF in the header value")
        << QByteArray("token abc\r\nHost: evil") << QString() << QByteArray("abc\r\nHost: evil") << false;
    QTest::newRow("%0D%0A in the query")
        << QByteArray() << u"access_token=x%0D%0AHost:%20evil"_s << QByteArray("x\r\nHost: evil") << false;
    QTest::newRow("%00 in the query")
        << QByteArray() << u"access_token=ab%00cd"_s << QByteArray("ab\0cd", 5) << false;
    QTest::newRow("tab") << QByteArray("Bearer ab\tcd") << QString() << QByteArray("ab\tcd") << false;
    QTest::newRow("non-ASCII") << QByteArray() << u"access_token=ab%C3%A9"_s << QByteArray("ab\xc3\xa9")
                               << false;
    QTest::newRow("quote") << QByteArray("Bearer ab\"cd") << QString() << QByteArray("ab\"cd") << false;
    QTest::newRow("empty") << QByteArray() << QString() << QByteArray() << false;
}

void TestForgeBridge::tokenSyntax()
{
    QFETCH(QByteArray, authorization);
    QFETCH(QString, query);
    QFETCH(QByteArray, token);
    QFETCH(bool, wellFormed);
    const QByteArray extracted = Authenticator::extractToken(authorization, query);
    QCOMPARE(extracted, token);
    QCOMPARE(protocol::isWellFormedToken(extracted), wellFormed);
    if (extracted.isEmpty())
        return; // anonymous: no token to judge
    // The Authenticator refuses a malformed token before anything else looks at it, in words.
    ServerConfig config;
    config.jwtSecret = "secret";
    const AuthResult result = Authenticator(config).authenticate(extracted);
    QVERIFY(!result.ok);
    if (!wellFormed) {
        QCOMPARE(result.reason, u"malformed token"_s);
        QVERIFY2(!result.error.contains(QString::fromLatin1(extracted)), "the token must not be logged");
    }
}

void TestForgeBridge::headerInjectionNeverReachesTheForge()
{
    // A token that percent-decodes to CR LF: once written into `Authorization: token ...` it would
    // end the bridge's request to the forge and smuggle a second one behind it on the kept-alive
    // connection (here the public profile of alice, which needs no token); its answer would be read
    // as the answer to the NEXT token check, whoever made it.
    QVERIFY(startServer());
    const QString smuggled = u"access_token=junk%0D%0A%0D%0AGET%20/api/v1/users/alice%20HTTP/1.1%0D%0A"
                             "Host:%20127.0.0.1%0D%0AX-Pad:%20"_s;
    auto attack = std::make_unique<WsClient>();
    QVERIFY(attack->open(m_fixture->wsUrl(smuggled)));
    QCOMPARE(attack->waitClosed(), 4001);
    QCOMPARE(attack->socket().closeReason(), u"malformed token"_s);
    QVERIFY(attack->queue().isEmpty());
    // The follow-up: a well-formed junk token whose check would have received the smuggled answer.
    auto follow = std::make_unique<WsClient>();
    QVERIFY(follow->open(m_fixture->wsUrl(u"access_token=junk-two"_s)));
    QCOMPARE(follow->waitClosed(), 4001);
    for (const QJsonObject& message : std::as_const(follow->queue()))
        QVERIFY2(message.value("type"_L1).toString() != "hello"_L1, "the attacker got hello");
    // The same through the header: the strict HTTP parser refuses a control character in any header
    // value (400) before a token is even looked for.
    RawWsClient raw;
    QVERIFY(!raw.connectAndUpgrade(m_fixture->server()->port(), "/-/ws", "Authorization: token ab\rcd\r\n"));
    QVERIFY2(raw.refusal().startsWith("HTTP/1.1 400"), raw.refusal().constData());
    // Only the junk-two check reached the forge; nothing of the smuggling attempt did.
    QCOMPARE(m_forge->count(u"/api/v1/user"_s), 1);
    QCOMPARE(m_forge->count(u"/api/v1/users/alice"_s), 0);
    QCOMPARE(m_forge->hits.size(), 1);
}

void TestForgeBridge::controlCharactersAreNeverSent()
{
    // Defence in depth behind the syntax check: neither the bridge's client nor the tray's actions
    // send a header value with a control character.
    ForgeClient client(m_forge->url());
    QObject context;
    std::optional<ForgeReply> reply;
    client.fetchUser("abc\r\nX-Evil: 1", &context, [&](ForgeReply r, ForgeUser) { reply = r; });
    QVERIFY(waitFor([&] { return reply.has_value(); }));
    QCOMPARE(reply->status, ForgeReply::Status::Unauthorized);
    QVERIFY(reply->notSent);
    QVERIFY(reply->error.contains("control character"_L1));

    ForgeActions actions(m_forge->url(), "abc\nX-Evil: 1");
    const ForgeActionResult r = runAction([&](ForgeActions::Done done) { actions.markAllRead(done); });
    QVERIFY(!r.ok);
    QCOMPARE(r.httpStatus, 0);
    QVERIFY(r.error.contains("control character"_L1));
    QVERIFY(m_forge->hits.isEmpty());
}

void TestForgeBridge::tokenFailureClosesOnlyItsConnections()
{
    QVERIFY(startServer(fastPolling(200, 0, 200)));
    auto tray = connectReady(kAliceToken); // full scope
    QVERIFY(tray);
    // Another device signs in with a token that may read the user but not the notifications. It is
    // the most recently accepted token of alice; it must not become what alice is polled with.
    auto narrow = connectAs(kAliceNarrowToken);
    QVERIFY(narrow);
    QCOMPARE(narrow->next().value("type"_L1).toString(), u"hello"_s);
    QVERIFY(waitFor([&] { return m_forge->count(u"/api/v1/notifications/new"_s) >= 4; }));
    QVERIFY(tray->isOpen());
    m_forge->accounts[kAliceId].unread = 2;
    QCOMPARE(tray->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 2);

    // One token revoked: its connection goes, saying why; the user's other token keeps polling.
    auto laptop = connectReady(kAliceSecondToken);
    QVERIFY(laptop);
    m_forge->revoked.insert(kAliceToken);
    QCOMPARE(tray->waitClosed(), 4001);
    QCOMPARE(tray->socket().closeReason(), u"forge token revoked"_s);
    QVERIFY(laptop->isOpen());
    m_forge->accounts[kAliceId].unread = 3;
    QCOMPARE(laptop->nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 3);
    QVERIFY(laptop->isOpen());
    // The narrow token may have been tried on the way (and closed for its scope), nothing else.
    if (!narrow->isOpen()) {
        QCOMPARE(narrow->waitClosed(), 4001);
        QCOMPARE(narrow->socket().closeReason(), u"forge token lacks the scope read:notification"_s);
    }
    QCOMPARE(bridge()->pollerCount(), 1);
}

void TestForgeBridge::missingScopeSaysSo()
{
    QVERIFY(startServer(fastPolling(200, 0, 200)));
    auto narrow = connectAs(kAliceNarrowToken);
    QVERIFY(narrow);
    QCOMPARE(narrow->next().value("type"_L1).toString(), u"hello"_s);
    QCOMPARE(narrow->waitClosed(), 4001);
    QCOMPARE(narrow->socket().closeReason(), u"forge token lacks the scope read:notification"_s);
    // Signing in again with it is refused from memory, with the same words.
    auto again = connectAs(kAliceNarrowToken);
    QVERIFY(again);
    QCOMPARE(again->waitClosed(), 4001);
    QCOMPARE(again->socket().closeReason(), u"forge token lacks the scope read:notification"_s);
}

void TestForgeBridge::revokedLiveTokenIsRechecked()
{
    // The laptop's token is not the one alice is polled with, so only a re-check of live tokens can
    // notice its revocation.
    const int maxMs = 600;
    QVERIFY(startServer(fastPolling(200, 200, maxMs)));
    auto tray = connectReady(kAliceToken);
    auto laptop = connectReady(kAliceSecondToken);
    QVERIFY(tray && laptop);
    QCOMPARE(bridge()->liveTokenCount(), 2);
    QElapsedTimer timer;
    timer.start();
    m_forge->revoked.insert(kAliceSecondToken);
    QCOMPARE(laptop->waitClosed(), 4001);
    QVERIFY2(timer.elapsed() <= maxMs + 1000, qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(laptop->socket().closeReason(), u"forge token revoked"_s);
    QVERIFY(tray->isOpen());
    QVERIFY(tray->silentFor(maxMs)); // and stays so
    QVERIFY(tray->isOpen());
    const QByteArray text = metrics();
    QVERIFY(metricValue(text, "forgewire_forge_token_checks_total{source=\"recheck\"}") >= 1);
    QCOMPARE(metricValue(text, "forgewire_forge_revocations_total"), 1);
    QCOMPARE(metricValue(text, "forgewire_forge_live_tokens"), 1);
}

void TestForgeBridge::refusalsAreCached()
{
    QVERIFY(startServer());
    auto first = connectAs("not-a-forge-token");
    QVERIFY(first);
    QCOMPARE(first->waitClosed(), 4001);
    QCOMPARE(first->socket().closeReason(), u"forge refused the token"_s);
    auto second = connectAs("not-a-forge-token");
    QVERIFY(second);
    QCOMPARE(second->waitClosed(), 4001);
    QCOMPARE(second->socket().closeReason(), u"forge refused the token"_s);
    QCOMPARE(m_forge->count(u"/api/v1/user"_s), 1);
    QCOMPARE(metricValue(metrics(), "forgewire_forge_token_checks_total{source=\"refused_cache\"}"), 1);
}

void TestForgeBridge::tokenChecksRateLimitedPerAddress()
{
    QVERIFY(startServer());
    auto alice = connectReady(kAliceToken); // one check from this address, then cached
    QVERIFY(alice);
    const int attempts = limits::kForgeChecksPerAddressBurst + 10;
    int tryLater = 0;
    int refused = 0;
    for (int i = 0; i < attempts; ++i) {
        // Raw, to see the code on the wire: Qt's QWebSocket (6.4) knows no close code above 1011 and
        // reports 1013 as a protocol error (1002), which a client also retries with backoff.
        auto junk = rawUpgrade(m_fixture->server()->port(), "junk-" + QByteArray::number(i));
        QVERIFY(junk);
        QByteArray bytes;
        QByteArray reason;
        QVERIFY(waitFor([&] {
            bytes += junk->readAll();
            return closeCodeIn(bytes) != 0;
        }));
        const int code = closeCodeIn(bytes, &reason);
        if (code == protocol::CloseCode::TryAgainLater) {
            QCOMPARE(reason, QByteArray("try later"));
            ++tryLater;
        } else {
            QCOMPARE(code, 4001);
            ++refused;
        }
    }
    // The burst (a little refill aside) reached the forge; the rest was told to come back later.
    QVERIFY2(refused <= limits::kForgeChecksPerAddressBurst + 2 && tryLater >= 8,
             qPrintable(u"%1 refused, %2 try later"_s.arg(refused).arg(tryLater)));
    QCOMPARE(m_forge->count(u"/api/v1/user"_s), 1 + refused);
    QCOMPARE(metricValue(metrics(), "forgewire_forge_token_checks_total{source=\"rate_limited\"}"), tryLater);
    // A good token known to the cache is not limited.
    auto again = connectReady(kAliceToken);
    QVERIFY(again);
}

void TestForgeBridge::tokenChecksBoundedAndGoodTokensNotDelayed()
{
    const int handshakeMs = 3000;
    QVERIFY(startServer(fastPolling(), handshakeMs));
    auto alice = connectReady(kAliceToken);
    QVERIFY(alice);
    // A slow forge and more junk tokens than checks in flight plus queued, each from its own address
    // (127.0.0.0/8 is all loopback), so the per-address limit does not hide the global bounds.
    m_forge->userDelayMs = 1000;
    const int extra = 8;
    const int total = limits::kForgeChecksInFlight + limits::kForgeChecksQueued + extra;
    const quint16 port = m_fixture->server()->port();
    std::vector<std::unique_ptr<QTcpSocket>> sockets;
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < total; ++i) {
        sockets.push_back(
            rawUpgrade(port, "flood-" + QByteArray::number(i), QHostAddress(quint32(0x7f010001 + i))));
        QVERIFY(sockets.back());
    }
    // A good token known to the cache goes straight through the flood.
    QVERIFY(waitFor([&] { return m_forge->count(u"/api/v1/user"_s) >= 2; }));
    QElapsedTimer goodTimer;
    goodTimer.start();
    auto good = connectAs(kAliceToken);
    QVERIFY(good);
    QCOMPARE(good->next(1000).value("type"_L1).toString(), u"hello"_s);
    QVERIFY2(goodTimer.elapsed() < 1000, qPrintable(QString::number(goodTimer.elapsed())));

    // Everyone gets an answer before the handshake timeout: 4001 from the forge, or 1013.
    QHash<QByteArray, QByteArray> received;
    auto codeOf = [&](int i) {
        QByteArray& bytes = received[QByteArray::number(i)];
        bytes += sockets[i]->readAll();
        return closeCodeIn(bytes);
    };
    QVERIFY(waitFor(
        [&] {
            for (int i = 0; i < total; ++i) {
                if (codeOf(i) == 0)
                    return false;
            }
            return true;
        },
        handshakeMs + 2000));
    int tryLater = 0;
    int refused = 0;
    for (int i = 0; i < total; ++i) {
        const int code = codeOf(i);
        QVERIFY2(code == 4001 || code == protocol::CloseCode::TryAgainLater,
                 qPrintable(QString::number(code)));
        (code == 4001 ? refused : tryLater)++;
    }
    QVERIFY2(timer.elapsed() < handshakeMs, qPrintable(QString::number(timer.elapsed())));
    QVERIFY(m_forge->maxUserOutstanding <= limits::kForgeChecksInFlight);
    // Those the forge could answer in time, and no more, cost a request.
    QCOMPARE(m_forge->count(u"/api/v1/user"_s), 1 + refused);
    QVERIFY2(refused <= 3 * limits::kForgeChecksInFlight, qPrintable(QString::number(refused)));
    QVERIFY(tryLater >= total - 3 * limits::kForgeChecksInFlight);
    const QByteArray text = metrics();
    QCOMPARE(metricValue(text, "forgewire_forge_token_checks_total{source=\"rejected_busy\"}"), tryLater);
    QCOMPARE(metricValue(text, "forgewire_forge_token_checks_queued"), 0);
}

QTEST_GUILESS_MAIN(TestForgeBridge)
#include "tst_forgebridge.moc"
