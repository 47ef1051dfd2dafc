#include "bridge/IdentityCache.h"
#include "config/ServerLimits.h"

#include "FakeClock.h"

#include <QTest>

using namespace forgewire;
using namespace std::chrono_literals;
using namespace Qt::StringLiterals;

class TestIdentityCache : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void keyIsSha256NotToken();
    void freshForTtlThenFallbackOnly();
    void fallbackEndsAfterTwiceTtl();
    void confirmRenews();
    void refusalCachedForItsTime();
    void refusalForgetsIdentityAndRememberForgetsRefusal();
    void refusalsAreBounded();
    void pruneDropsExpired();
    void wallClockIsNotUsed();
};

static const QByteArray kKey = IdentityCache::keyOf("token-a");

void TestIdentityCache::keyIsSha256NotToken()
{
    QCOMPARE(kKey.size(), 32);
    QVERIFY(!kKey.contains("token-a"));
    QCOMPARE(IdentityCache::keyOf("token-a"), kKey);
    QVERIFY(IdentityCache::keyOf("token-b") != kKey);
}

void TestIdentityCache::freshForTtlThenFallbackOnly()
{
    test::FakeClock clock;
    IdentityCache cache(clock);
    QVERIFY(!cache.fresh(kKey));
    QVERIFY(!cache.fallback(kKey));
    const IdentityCache::Identity& stored = cache.remember(kKey, 7, u"alice"_s);
    QCOMPARE(stored.userId, 7);
    QCOMPARE(stored.verifiedAtMs, clock.now().count());
    clock.advance(std::chrono::milliseconds(IdentityCache::kTtlMs - 1));
    QVERIFY(cache.fresh(kKey));
    QCOMPARE(cache.fresh(kKey)->login, u"alice"_s);
    clock.advance(1ms);
    QVERIFY(!cache.fresh(kKey));
    QVERIFY(cache.fallback(kKey));
    QCOMPARE(cache.fallback(kKey)->userId, 7);
}

void TestIdentityCache::fallbackEndsAfterTwiceTtl()
{
    test::FakeClock clock;
    IdentityCache cache(clock);
    cache.remember(kKey, 7, u"alice"_s);
    clock.advance(std::chrono::milliseconds(IdentityCache::kFallbackMs - 1));
    QVERIFY(cache.fallback(kKey));
    clock.advance(1ms);
    // Not pruned yet, but an outage must not keep an old identity trusted forever.
    QCOMPARE(cache.identityCount(), 1);
    QVERIFY(!cache.fallback(kKey));
}

void TestIdentityCache::confirmRenews()
{
    test::FakeClock clock;
    IdentityCache cache(clock);
    cache.confirm(kKey); // unknown: nothing to renew, nothing created
    QCOMPARE(cache.identityCount(), 0);
    cache.remember(kKey, 7, u"alice"_s);
    clock.advance(std::chrono::milliseconds(IdentityCache::kTtlMs));
    QVERIFY(!cache.fresh(kKey));
    cache.confirm(kKey);
    QVERIFY(cache.fresh(kKey));
}

void TestIdentityCache::refusalCachedForItsTime()
{
    test::FakeClock clock;
    IdentityCache cache(clock);
    cache.refuse(kKey, u"401 Unauthorized"_s, u"forge refused the token"_s);
    QVERIFY(cache.refusal(kKey));
    QCOMPARE(cache.refusal(kKey)->reason, u"forge refused the token"_s);
    QCOMPARE(cache.refusal(kKey)->error, u"401 Unauthorized"_s);
    clock.advance(std::chrono::milliseconds(limits::kForgeRefusalCacheMs - 1));
    QVERIFY(cache.refusal(kKey));
    clock.advance(1ms);
    QVERIFY(!cache.refusal(kKey));
}

void TestIdentityCache::refusalForgetsIdentityAndRememberForgetsRefusal()
{
    test::FakeClock clock;
    IdentityCache cache(clock);
    cache.remember(kKey, 7, u"alice"_s);
    cache.refuse(kKey, u"401"_s, u"revoked"_s);
    QVERIFY(!cache.fresh(kKey));
    QVERIFY(!cache.fallback(kKey)); // a refused token is not trusted during an outage either
    cache.remember(kKey, 7, u"alice"_s);
    QVERIFY(!cache.refusal(kKey));
    QVERIFY(cache.fresh(kKey));
}

void TestIdentityCache::refusalsAreBounded()
{
    test::FakeClock clock;
    IdentityCache cache(clock);
    for (int i = 0; i < IdentityCache::kMaxRefusals + 10; ++i)
        cache.refuse(IdentityCache::keyOf(QByteArray::number(i)), u"401"_s, u"refused"_s);
    QCOMPARE(cache.refusalCount(), IdentityCache::kMaxRefusals);
    QVERIFY(!cache.refusal(IdentityCache::keyOf(QByteArray::number(IdentityCache::kMaxRefusals))));
    // Once the old ones expire, a new refusal makes room by pruning them.
    clock.advance(std::chrono::milliseconds(limits::kForgeRefusalCacheMs));
    cache.refuse(kKey, u"401"_s, u"refused"_s);
    QCOMPARE(cache.refusalCount(), 1);
    QVERIFY(cache.refusal(kKey));
}

void TestIdentityCache::pruneDropsExpired()
{
    test::FakeClock clock;
    IdentityCache cache(clock);
    cache.remember(kKey, 7, u"alice"_s);
    cache.refuse(IdentityCache::keyOf("bad"), u"401"_s, u"refused"_s);
    clock.advance(std::chrono::milliseconds(limits::kForgeRefusalCacheMs));
    cache.prune();
    QCOMPARE(cache.identityCount(), 1); // still within the outage fallback
    QCOMPARE(cache.refusalCount(), 0);
    clock.advance(std::chrono::milliseconds(IdentityCache::kFallbackMs));
    cache.prune();
    QCOMPARE(cache.identityCount(), 0);
}

void TestIdentityCache::wallClockIsNotUsed()
{
    // Only the given clock decides: an entry made "now" stays fresh however long the test runs.
    test::FakeClock clock;
    IdentityCache cache(clock);
    cache.remember(kKey, 7, u"alice"_s);
    QTest::qWait(20);
    QCOMPARE(cache.fresh(kKey)->verifiedAtMs, clock.now().count());
}

QTEST_GUILESS_MAIN(TestIdentityCache)
#include "tst_identitycache.moc"
