// The Broker between engine and workers: board ACLs resolved at publish time, topic reference
// counting (what a Redis engine subscribes to), and users coming online / going offline.

#include "broker/Broker.h"
#include "engine/EmbeddedEngine.h"
#include "metrics/Metrics.h"

#include <QSignalSpy>
#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

namespace {

// What the bridge would be told: users and forge tokens coming and going on this node.
class PresenceRecorder : public QObject, public PresenceObserver
{
public:
    QStringList events;
    void userOnline(qint64 userId) override { events.append(u"+user %1"_s.arg(userId)); }
    void userOffline(qint64 userId) override { events.append(u"-user %1"_s.arg(userId)); }
    void tokenOnline(const QByteArray& key) override
    {
        events.append(u"+token "_s + QString::fromLatin1(key));
    }
    void tokenOffline(const QByteArray& key) override
    {
        events.append(u"-token "_s + QString::fromLatin1(key));
    }
    void refreshRequested(qint64 userId) override { events.append(u"refresh %1"_s.arg(userId)); }
};

// A EmbeddedEngine that records which topics the Broker asked it to watch.
class WatchingEngine : public EmbeddedEngine
{
public:
    WatchingEngine() : EmbeddedEngine(u":memory:"_s) {}
    void watchTopic(const QString& topic) override { watched.append(u"+"_s + topic); }
    void unwatchTopic(const QString& topic) override { watched.append(u"-"_s + topic); }
    QStringList watched;
};

Publication board(qint64 project)
{
    Publication p;
    p.topic = u"project-board.%1"_s.arg(project);
    p.type = u"board"_s;
    p.payload = "{}";
    return p;
}

} // namespace

class TestBroker : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void boardPublicationsCarryTheCurrentAcl();
    void topicReferenceCounting();
    void noSubscribersIsCountedAsDropped();
    void tokensAndRefreshesReachThePresenceObserver();
};

void TestBroker::boardPublicationsCarryTheCurrentAcl()
{
    WatchingEngine engine;
    engine.start();
    Metrics metrics;
    Broker broker(&engine, &metrics);
    QSignalSpy delivered(&engine, &Engine::delivered);
    engine.setProjectAccess(1, ProjectAccess{false, {7}}, [](const QString&) {});

    Publication user;
    user.topic = u"user-7"_s;
    user.type = u"notification-count"_s;
    user.payload = "{}";
    QString error = u"pending"_s;
    broker.publish({board(1), board(2), user}, [&](const QString& e) { error = e; });
    QCOMPARE(error, QString());
    QCOMPARE(delivered.size(), 3);
    const auto first = delivered[0][0].value<Publication>();
    QCOMPARE(first.access, std::optional<ProjectAccess>(ProjectAccess{false, {7}}));
    // A board without an ACL is readable by nobody but token grants: an empty ACL, not none.
    QCOMPARE(delivered[1][0].value<Publication>().access, std::optional<ProjectAccess>(ProjectAccess{}));
    QVERIFY(!delivered[2][0].value<Publication>().access); // not a board: no ACL filter
    QCOMPARE(metrics.published.load(), 3);

    // Revocation: the next publication carries the new ACL.
    engine.setProjectAccess(1, ProjectAccess{false, {8}}, [](const QString&) {});
    broker.publish({board(1)}, [](const QString&) {});
    QCOMPARE(delivered.last()[0].value<Publication>().access->users, QSet<qint64>{8});
}

void TestBroker::topicReferenceCounting()
{
    WatchingEngine engine;
    engine.start();
    Metrics metrics;
    Broker broker(&engine, &metrics);
    PresenceRecorder presence;
    broker.setPresenceObserver(&presence, &presence);
    // Two workers each report their first subscriber, then their last one leaving.
    broker.topicRefChanged(0, u"user-7"_s, +1);
    broker.topicRefChanged(1, u"user-7"_s, +1);
    broker.topicRefChanged(0, u"public.a"_s, +1);
    QTRY_COMPARE(engine.watched, (QStringList{u"+user-7"_s, u"+public.a"_s}));
    QVERIFY(broker.hasLocalSubscribers(u"user-7"_s));
    QCOMPARE(presence.events, QStringList{u"+user 7"_s});
    broker.topicRefChanged(0, u"user-7"_s, -1);
    QTest::qWait(20);
    QCOMPARE(engine.watched.size(), 2); // one worker still has a subscriber
    broker.topicRefChanged(1, u"user-7"_s, -1);
    QTRY_COMPARE(engine.watched.last(), u"-user-7"_s);
    QVERIFY(!broker.hasLocalSubscribers(u"user-7"_s));
    QCOMPARE(presence.events, (QStringList{u"+user 7"_s, u"-user 7"_s}));
}

void TestBroker::tokensAndRefreshesReachThePresenceObserver()
{
    WatchingEngine engine;
    engine.start();
    Metrics metrics;
    Broker broker(&engine, &metrics);
    auto presence = std::make_unique<PresenceRecorder>();
    broker.setPresenceObserver(presence.get(), presence.get());
    // A token is live while any worker holds a connection signed in with it.
    broker.tokenRefChanged(0, "k1", +1);
    broker.tokenRefChanged(1, "k1", +1);
    broker.tokenRefChanged(0, "k1", -1);
    broker.requestRefresh(7);
    broker.tokenRefChanged(1, "k1", -1);
    QTRY_COMPARE(presence->events, (QStringList{u"+token k1"_s, u"refresh 7"_s, u"-token k1"_s}));
    // An observer that is gone is not called (the bridge may go before the Broker's queued calls run).
    broker.requestRefresh(7);
    presence.reset();
    QTest::qWait(20);
}

void TestBroker::noSubscribersIsCountedAsDropped()
{
    WatchingEngine engine;
    engine.start();
    Metrics metrics;
    Broker broker(&engine, &metrics);
    broker.publish({board(3)}, [](const QString&) {});
    QCOMPARE(metrics.droppedNoSubscribers.load(), 1);
    broker.topicRefChanged(0, u"project-board.3"_s, +1);
    QTRY_VERIFY(broker.hasLocalSubscribers(u"project-board.3"_s));
    broker.publish({board(3)}, [](const QString&) {});
    QCOMPARE(metrics.droppedNoSubscribers.load(), 1);
}

QTEST_GUILESS_MAIN(TestBroker)
#include "tst_broker.moc"
