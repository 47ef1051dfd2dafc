// TopicMembers: a topic's sessions on one worker, inline while few, indexed past kIndexedFrom.

#include "session/TopicMembers.h"

#include <QRandomGenerator>
#include <QSet>
#include <QTest>

#include <algorithm>
#include <numeric>
#include <random>

using namespace forgewire;

class TestTopicMembers : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void insertAndRemove_data();
    void insertAndRemove();
    void growsAndShrinksAcrossTheIndex();

private:
    // Members are only compared, never dereferenced: distinct addresses are enough.
    static ClientSession* session(int i)
    {
        return reinterpret_cast<ClientSession*>(quintptr(0x1000 + 16 * i));
    }
    static QSet<ClientSession*> asSet(const TopicMembers& members)
    {
        return QSet<ClientSession*>(members.begin(), members.end());
    }
};

void TestTopicMembers::insertAndRemove_data()
{
    QTest::addColumn<int>("count");
    QTest::newRow("one (a user's own topic)") << 1;
    QTest::newRow("inline, below the index") << int(TopicMembers::kIndexedFrom - 1);
    QTest::newRow("at the index") << int(TopicMembers::kIndexedFrom);
    QTest::newRow("indexed") << int(TopicMembers::kIndexedFrom * 3 + 5);
}

void TestTopicMembers::insertAndRemove()
{
    QFETCH(int, count);
    TopicMembers members;
    QSet<ClientSession*> expected;
    for (int i = 0; i < count; ++i) {
        QVERIFY(members.insert(session(i)));
        QVERIFY(!members.insert(session(i))); // once only
        expected.insert(session(i));
    }
    QCOMPARE(members.size(), qsizetype(count));
    QCOMPARE(asSet(members), expected);
    QVERIFY(!members.contains(session(count)));
    QVERIFY(!members.remove(session(count)));

    // Removed in a random order, the last member filling each hole: every step keeps the others.
    QList<int> order(count);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), *QRandomGenerator::global());
    for (int i : std::as_const(order)) {
        QVERIFY(members.contains(session(i)));
        QVERIFY(members.remove(session(i)));
        QVERIFY(!members.remove(session(i)));
        expected.remove(session(i));
        QCOMPARE(asSet(members), expected);
        for (ClientSession* left : std::as_const(expected))
            QVERIFY(members.contains(left));
    }
    QVERIFY(members.isEmpty());
}

void TestTopicMembers::growsAndShrinksAcrossTheIndex()
{
    // Up past the index, down below half of it (the index is dropped), up again: the positions
    // rebuilt each time must match the list.
    TopicMembers members;
    const int high = int(TopicMembers::kIndexedFrom * 2);
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < high; ++i)
            members.insert(session(i));
        QCOMPARE(members.size(), qsizetype(high));
        for (int i = 0; i < high - 2; ++i)
            QVERIFY(members.remove(session(i)));
        QCOMPARE(asSet(members), (QSet<ClientSession*>{session(high - 2), session(high - 1)}));
        QVERIFY(members.remove(session(high - 1)));
        QVERIFY(members.contains(session(high - 2)));
        QVERIFY(members.remove(session(high - 2)));
        QVERIFY(members.isEmpty());
    }
}

QTEST_GUILESS_MAIN(TestTopicMembers)
#include "tst_topicmembers.moc"
