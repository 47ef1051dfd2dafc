// TopicIndex, a worker's topic -> sessions index: subscriptions mirrored on the session, only a
// topic's 0 <-> 1 transitions reported, the subscription gauges, and removals deferred while a
// delivery iterates a topic's members.

#include "metrics/Metrics.h"
#include "protocol/Topic.h"
#include "session/ClientSession.h"
#include "session/TopicIndex.h"

#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestTopicIndex : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void reportsFirstAndLastMemberOnly();
    void mirrorsSubscriptionsAndGauges();
    void removeIsIdempotent();
    void removalsWaitForTheDelivery();
};

namespace {

struct Recorder
{
    QStringList changes;
    TopicIndex::RefChanged callback()
    {
        return [this](const QString& topic, int delta) {
            changes.append((delta > 0 ? u"+"_s : u"-"_s) + topic);
        };
    }
};

ClientSession makeSession(quint64 serial)
{
    return ClientSession(nullptr, serial, u"s%1"_s.arg(serial), 0);
}

} // namespace

void TestTopicIndex::reportsFirstAndLastMemberOnly()
{
    Recorder recorder;
    TopicIndex index(nullptr, recorder.callback());
    ClientSession a = makeSession(1);
    ClientSession b = makeSession(2);

    index.add(&a, u"public.news"_s);
    index.add(&b, u"public.news"_s);
    index.add(&b, u"user-7"_s);
    QCOMPARE(recorder.changes, (QStringList{u"+public.news"_s, u"+user-7"_s}));
    QCOMPARE(index.topicCount(), 2);
    const TopicMembers* news = index.members(u"public.news"_s);
    QVERIFY(news);
    QCOMPARE(QSet<ClientSession*>(news->begin(), news->end()), (QSet<ClientSession*>{&a, &b}));
    QVERIFY(!index.members(u"user-8"_s));

    index.remove(&a, u"public.news"_s);
    QCOMPARE(recorder.changes.size(), 2); // b still reads it
    index.removeAll(&b);
    // removeAll() walks a set of topics: the two last-member reports come in either order.
    QCOMPARE(recorder.changes.size(), 4);
    QStringList lastTwo = recorder.changes.mid(2);
    lastTwo.sort();
    QCOMPARE(lastTwo, (QStringList{u"-public.news"_s, u"-user-7"_s}));
    QCOMPARE(index.topicCount(), 0);
    QVERIFY(!index.members(u"public.news"_s));
}

void TestTopicIndex::mirrorsSubscriptionsAndGauges()
{
    Metrics metrics;
    TopicIndex index(&metrics, {});
    ClientSession a = makeSession(1);
    index.add(&a, u"user-7"_s);
    index.add(&a, u"project-board.3"_s);
    index.add(&a, u"public.news"_s);
    index.add(&a, u"public.news"_s); // already subscribed: counted once
    QCOMPARE(a.subscriptions(), (QStringList{u"user-7"_s, u"project-board.3"_s, u"public.news"_s}));
    QCOMPARE(metrics.subscriptionsUser.load(), 1);
    QCOMPARE(metrics.subscriptionsBoard.load(), 1);
    QCOMPARE(metrics.subscriptionsPublic.load(), 1);

    index.remove(&a, u"project-board.3"_s);
    QCOMPARE(a.subscriptions(), (QStringList{u"user-7"_s, u"public.news"_s}));
    QCOMPARE(metrics.subscriptionsBoard.load(), 0);
    index.removeAll(&a);
    QVERIFY(a.subscriptions().isEmpty());
    QCOMPARE(metrics.subscriptionsUser.load(), 0);
    QCOMPARE(metrics.subscriptionsPublic.load(), 0);
}

void TestTopicIndex::removeIsIdempotent()
{
    Metrics metrics;
    Recorder recorder;
    TopicIndex index(&metrics, recorder.callback());
    ClientSession a = makeSession(1);
    index.add(&a, u"public.news"_s);
    index.remove(&a, u"public.news"_s);
    index.remove(&a, u"public.news"_s);
    index.remove(&a, u"public.other"_s);
    index.removeAll(&a);
    QCOMPARE(recorder.changes, (QStringList{u"+public.news"_s, u"-public.news"_s}));
    QCOMPARE(metrics.subscriptionsPublic.load(), 0);
}

void TestTopicIndex::removalsWaitForTheDelivery()
{
    Recorder recorder;
    TopicIndex index(nullptr, recorder.callback());
    ClientSession a = makeSession(1);
    ClientSession b = makeSession(2);
    index.add(&a, u"public.news"_s);
    index.add(&b, u"public.news"_s);

    index.beginDelivery();
    const TopicMembers* members = index.members(u"public.news"_s);
    QVERIFY(members);
    int visited = 0;
    for (ClientSession* session : *members) {
        ++visited;
        // Closing a session while its topic is iterated: the member set stays as it is.
        index.removeAllAfterDelivery(session);
        QCOMPARE(members->size(), 2);
    }
    QCOMPARE(visited, 2);
    QCOMPARE(recorder.changes, (QStringList{u"+public.news"_s}));
    index.endDelivery();
    QCOMPARE(recorder.changes, (QStringList{u"+public.news"_s, u"-public.news"_s}));
    QVERIFY(a.subscriptions().isEmpty());
    QVERIFY(b.subscriptions().isEmpty());

    // Outside a delivery the removal is immediate.
    index.add(&a, u"public.news"_s);
    index.removeAllAfterDelivery(&a);
    QVERIFY(!index.members(u"public.news"_s));
}

QTEST_GUILESS_MAIN(TestTopicIndex)
#include "tst_topicindex.moc"
