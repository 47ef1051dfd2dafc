// SentinelLocator and its URL: the redis-sentinel:// form (every part, every refusal), and asking
// real redis-sentinel processes started here for the primary: past sentinels that are down, an
// unknown master named as such, and a switch followed when a sentinel announces it.

#include "RedisProcess.h"
#include "TestSupport.h"
#include "engine/redis/SentinelLocator.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

constexpr auto kMaster = "fwtest";

struct Located
{
    bool answered = false;
    std::optional<SentinelSettings::Endpoint> primary;
    QString error;
};

// Asks `locator` and waits for its answer.
Located ask(SentinelLocator& locator, int timeoutMs = kWaitMs)
{
    auto located = std::make_shared<Located>();
    locator.locate([located](std::optional<SentinelSettings::Endpoint> primary, const QString& error) {
        *located = {true, primary, error};
    });
    waitFor([&] { return located->answered; }, timeoutMs);
    return *located;
}

SentinelSettings settingsFor(const QList<quint16>& sentinelPorts,
                             const QString& master = QString::fromLatin1(kMaster))
{
    QStringList hosts;
    for (quint16 port : sentinelPorts)
        hosts.append(u"127.0.0.1:%1"_s.arg(port));
    QString error;
    const auto settings =
        SentinelSettings::parseUrl(u"redis-sentinel://%1/%2"_s.arg(hosts.join(u','), master), &error);
    if (!settings)
        qFatal("%s", qPrintable(error));
    return *settings;
}

} // namespace

class TestSentinelLocator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void parseUrl();
    void badUrl_data();
    void badUrl();
    void asksPastSentinelsThatAreDown();
    void unknownMasterIsAnError();
    void announcedSwitchIsFollowed();
    void unannouncedChangeIsFoundByAsking();
    void questionsPastTheBoundAreRefused();
};

void TestSentinelLocator::initTestCase()
{
    FORGEWIRE_REQUIRE_REDIS(true);
}

void TestSentinelLocator::parseUrl()
{
    QString error;
    const auto full = SentinelSettings::parseUrl(
        u"redis-sentinel://al%20ice:p%40ss@s1.internal:26380,[::1]:26381,s3/my%2Dmaster?db=3&"
        "sentinel_password=s%26cret&sentinel_user=watch&wait_replicas=2"_s,
        &error);
    QVERIFY2(full, qPrintable(error));
    QCOMPARE(full->sentinels.size(), 3);
    QCOMPARE(full->sentinels.at(0).host, u"s1.internal"_s);
    QCOMPARE(full->sentinels.at(0).port, quint16(26380));
    QCOMPARE(full->sentinels.at(1).host, u"::1"_s);
    QCOMPARE(full->sentinels.at(1).port, quint16(26381));
    QCOMPARE(full->sentinels.at(1).toString(), u"[::1]:26381"_s);
    QCOMPARE(full->sentinels.at(2).port, SentinelSettings::kDefaultSentinelPort);
    QCOMPARE(full->masterName, u"my-master"_s);
    QCOMPARE(full->db, 3);
    QCOMPARE(full->user, u"al ice"_s);
    QCOMPARE(full->password, u"p@ss"_s);
    QCOMPARE(full->sentinelUser, u"watch"_s);
    QCOMPARE(full->sentinelPassword, u"s&cret"_s);
    QCOMPARE(full->waitReplicas, 2);

    const auto bare =
        SentinelSettings::parseUrl(u"redis-sentinel://10.0.0.1:26379,10.0.0.1:26379/m"_s, &error);
    QVERIFY2(bare, qPrintable(error));
    QCOMPARE(bare->sentinels.size(), 1); // the same sentinel twice is asked once
    QCOMPARE(bare->db, 0);
    QCOMPARE(bare->waitReplicas, 1); // a failover must not lose an acknowledged state write
    QVERIFY(bare->password.isEmpty());
    const auto passwordAlone =
        SentinelSettings::parseUrl(u"redis-sentinel://:pw@h/m?wait_replicas=0"_s, &error);
    QVERIFY2(passwordAlone, qPrintable(error));
    QVERIFY(passwordAlone->user.isEmpty());
    QCOMPARE(passwordAlone->password, u"pw"_s);
    QCOMPARE(passwordAlone->waitReplicas, 0);
}

void TestSentinelLocator::badUrl_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("complaint");
    QTest::newRow("scheme") << u"redis://h:1/m"_s << u"redis-sentinel://"_s;
    QTest::newRow("no master") << u"redis-sentinel://h:1"_s << u"no master name"_s;
    QTest::newRow("empty master") << u"redis-sentinel://h:1/"_s << u"master name"_s;
    QTest::newRow("master with slash") << u"redis-sentinel://h:1/a/b"_s << u"master name"_s;
    QTest::newRow("no sentinel") << u"redis-sentinel:///m"_s << u"sentinel ''"_s;
    QTest::newRow("empty sentinel") << u"redis-sentinel://h:1,,h:2/m"_s << u"sentinel ''"_s;
    QTest::newRow("port text") << u"redis-sentinel://h:x/m"_s << u"sentinel 'h:x'"_s;
    QTest::newRow("port range") << u"redis-sentinel://h:70000/m"_s << u"sentinel 'h:70000'"_s;
    QTest::newRow("port empty") << u"redis-sentinel://h:/m"_s << u"sentinel 'h:'"_s;
    QTest::newRow("bare ipv6") << u"redis-sentinel://::1:26379/m"_s << u"sentinel '::1:26379'"_s;
    QTest::newRow("user without password") << u"redis-sentinel://secret@h/m"_s << u"a user but no password"_s;
    QTest::newRow("empty password") << u"redis-sentinel://u:@h/m"_s << u"an empty password"_s;
    QTest::newRow("db text") << u"redis-sentinel://h/m?db=x"_s << u"db must be a whole number"_s;
    QTest::newRow("db negative") << u"redis-sentinel://h/m?db=-1"_s << u"db must be a whole number"_s;
    QTest::newRow("wait replicas") << u"redis-sentinel://h/m?wait_replicas=17"_s << u"from 0 to 16"_s;
    QTest::newRow("unknown parameter")
        << u"redis-sentinel://h/m?sentinel_pasword=x"_s << u"unknown parameter 'sentinel_pasword'"_s;
    QTest::newRow("sentinel user alone")
        << u"redis-sentinel://h/m?sentinel_user=u"_s << u"sentinel_user without sentinel_password"_s;
    QString many;
    for (int i = 0; i <= SentinelSettings::kMaxSentinels; ++i)
        many += u"h%1:1,"_s.arg(i);
    many.chop(1);
    QTest::newRow("too many sentinels")
        << u"redis-sentinel://%1/m"_s.arg(many) << u"more than 16 sentinels"_s;
}

void TestSentinelLocator::badUrl()
{
    QFETCH(QString, url);
    QFETCH(QString, complaint);
    QString error;
    QVERIFY(!SentinelSettings::parseUrl(url, &error));
    QVERIFY2(error.contains(complaint), qPrintable(error));
    QVERIFY2(error.contains(u"expected redis-sentinel://"_s), qPrintable(error));
    // The error goes to the log: a password in the URL must not.
    QVERIFY(!error.contains(u"secret"_s));
}

void TestSentinelLocator::asksPastSentinelsThatAreDown()
{
    RedisProcess primary(freePort());
    QVERIFY(primary.start());
    auto sentinel = RedisProcess::sentinel(freePort(), QString::fromLatin1(kMaster), primary.port(), 1, 5000);
    QVERIFY(sentinel && sentinel->start());

    // Two ports where nothing listens, before the sentinel that answers.
    SentinelLocator locator(settingsFor({freePort(), freePort(), sentinel->port()}));
    const Located first = ask(locator);
    QVERIFY(first.answered);
    QVERIFY2(first.primary, qPrintable(first.error));
    QCOMPARE(first.primary->host, u"127.0.0.1"_s);
    QCOMPARE(first.primary->port, primary.port());
    QCOMPARE(locator.lastKnown()->port, primary.port());
    QCOMPARE(locator.switchesSeen(), 0);
    // The next question goes straight to the sentinel that answered.
    QElapsedTimer clock;
    clock.start();
    QCOMPARE(ask(locator).primary->port, primary.port());
    QVERIFY(clock.elapsed() < SentinelLocator::kSentinelTimeoutMs);

    // All down: one error naming each sentinel, within one timeout per sentinel.
    const quint16 port = sentinel->port();
    sentinel->stop();
    const Located none = ask(locator, 3 * SentinelLocator::kSentinelTimeoutMs + kWaitMs);
    QVERIFY(none.answered);
    QVERIFY(!none.primary);
    QVERIFY2(none.error.startsWith(u"no sentinel answered"_s), qPrintable(none.error));
    QVERIFY2(none.error.contains(u"127.0.0.1:%1"_s.arg(port)), qPrintable(none.error));
    QCOMPARE(none.error.count(u"127.0.0.1:"_s), 3);
}

void TestSentinelLocator::unknownMasterIsAnError()
{
    RedisProcess primary(freePort());
    QVERIFY(primary.start());
    auto sentinel = RedisProcess::sentinel(freePort(), QString::fromLatin1(kMaster), primary.port(), 1, 5000);
    QVERIFY(sentinel && sentinel->start());
    SentinelLocator locator(settingsFor({sentinel->port()}, u"other"_s));
    const Located located = ask(locator);
    QVERIFY(located.answered);
    QVERIFY(!located.primary);
    QVERIFY2(located.error.contains(u"does not know master 'other'"_s), qPrintable(located.error));
}

void TestSentinelLocator::announcedSwitchIsFollowed()
{
    RedisProcess primary(freePort());
    QVERIFY(primary.start());
    RedisProcess replica(freePort(), {u"--replicaof"_s, u"127.0.0.1"_s, QString::number(primary.port())});
    QVERIFY(replica.start());
    QVERIFY(waitFor([&] { return replica.info("replication", "master_link_status") == "up"; }));
    auto sentinel = RedisProcess::sentinel(freePort(), QString::fromLatin1(kMaster), primary.port(), 1, 5000);
    QVERIFY(sentinel && sentinel->start());
    // The sentinel learns of the replica from the primary's INFO; only then can it fail over.
    QVERIFY(waitFor(
        [&] {
            return sentinel->list({"SENTINEL", "replicas", kMaster}).contains("slave");
        },
        15'000));

    SentinelLocator locator(settingsFor({sentinel->port()}));
    QSignalSpy changed(&locator, &SentinelLocator::primaryChanged);
    locator.start();
    QVERIFY(waitFor([&] { return locator.lastKnown().has_value(); }));
    QCOMPARE(locator.lastKnown()->port, primary.port());
    QVERIFY(changed.isEmpty());
    // The watch: subscribed to the sentinel's announcements.
    QVERIFY(waitFor([&] { return sentinel->command({"CLIENT", "LIST"}).contains(" sub=1 "); }));

    // A failover the sentinel runs on its own (no quorum needed), with the old primary still up.
    // Refused (NOGOODSLAVE) until the sentinel has heard from the replica itself.
    QVERIFY(waitFor([&] { return sentinel->command({"SENTINEL", "FAILOVER", kMaster}) == "OK"; }));
    QVERIFY(waitFor([&] { return !changed.isEmpty(); }, 20'000));
    QCOMPARE(changed.constFirst().at(1).value<quint16>(), replica.port());
    QCOMPARE(locator.lastKnown()->port, replica.port());
    QCOMPARE(locator.switchesSeen(), 1);
    QCOMPARE(changed.size(), 1); // the recheck that follows finds nothing new
    QTest::qWait(SentinelLocator::kRecheckIntervalMs * 2);
    QCOMPARE(changed.size(), 1);
}

void TestSentinelLocator::unannouncedChangeIsFoundByAsking()
{
    RedisProcess first(freePort());
    RedisProcess second(freePort());
    QVERIFY(first.start() && second.start());
    auto sentinel = RedisProcess::sentinel(freePort(), QString::fromLatin1(kMaster), first.port(), 1, 5000);
    QVERIFY(sentinel && sentinel->start());
    SentinelLocator locator(settingsFor({sentinel->port()}));
    QSignalSpy changed(&locator, &SentinelLocator::primaryChanged);
    locator.start();
    QVERIFY(waitFor([&] { return locator.lastKnown().has_value(); }));

    // The sentinel is told to watch another server: no +switch-master, as when the announcement was
    // missed while no sentinel was watched.
    QCOMPARE(sentinel->command({"SENTINEL", "REMOVE", kMaster}), QByteArray("OK"));
    QCOMPARE(sentinel->command(
                 {"SENTINEL", "MONITOR", kMaster, "127.0.0.1", QByteArray::number(second.port()), "1"}),
             QByteArray("OK"));
    QElapsedTimer clock;
    clock.start();
    QVERIFY(waitFor([&] { return !changed.isEmpty(); }, 2 * SentinelLocator::kRecheckIntervalMs + kWaitMs));
    QVERIFY(clock.elapsed() <= 2 * SentinelLocator::kRecheckIntervalMs);
    QCOMPARE(changed.constFirst().at(1).value<quint16>(), second.port());
}

void TestSentinelLocator::questionsPastTheBoundAreRefused()
{
    RedisProcess primary(freePort());
    QVERIFY(primary.start());
    auto sentinel = RedisProcess::sentinel(freePort(), QString::fromLatin1(kMaster), primary.port(), 1, 5000);
    QVERIFY(sentinel && sentinel->start());
    SentinelLocator locator(settingsFor({sentinel->port()}));
    QVERIFY(ask(locator).primary);

    // The sentinel hangs: questions wait for the one on its way, up to the bound.
    sentinel->pause();
    int answered = 0;
    int refused = 0;
    for (qsizetype i = 0; i <= SentinelLocator::kMaxWaitingQuestions; ++i) {
        locator.locate([&](std::optional<SentinelSettings::Endpoint> primary, const QString& error) {
            ++answered;
            refused += !primary && error.contains(u"too many questions"_s) ? 1 : 0;
        });
    }
    QCOMPARE(answered, 1);
    QCOMPARE(refused, 1);
    sentinel->resume();
    QVERIFY(waitFor([&] { return answered == SentinelLocator::kMaxWaitingQuestions + 1; }));
    QCOMPARE(refused, 1);
}

QTEST_GUILESS_MAIN(TestSentinelLocator)
#include "tst_sentinellocator.moc"
