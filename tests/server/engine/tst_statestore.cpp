// The embedded engine's SQLite state: retained messages and ACLs, across reopen.

#include "engine/EmbeddedEngine.h"
#include "engine/StateStore.h"

#include "TestSupport.h"

#include <QDateTime>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestStateStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void retainedSurvivesReopen();
    void retainedOrderAndReplace();
    void accessSurvivesReopen();
    void unwritablePathIsAnError();
    void unwritablePathStopsTheServer();
    void engineDeliversAfterStoring();
    void revokedSessionsSurviveReopenUntilTheyEnd();
    void unchangedRetainedValuesAreNotWritten();
    void aFailedBatchChangesNothing();
    void largeBatchesRoundTrip();

private:
    // Runs `sql` on the state file through a second connection (as another process could); returns
    // SQLite's error, or empty.
    static QString execElsewhere(const QString& path, const QString& sql)
    {
        QString error;
        {
            QSqlDatabase other = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"elsewhere"_s);
            other.setDatabaseName(path);
            if (!other.open())
                return other.lastError().text();
            QSqlQuery q(other);
            if (!q.exec(sql))
                error = q.lastError().text();
        }
        QSqlDatabase::removeDatabase(u"elsewhere"_s);
        return error;
    }
    static Publication retained(const QString& topic, const QString& type, const QByteArray& payload)
    {
        Publication p;
        p.topic = topic;
        p.type = type;
        p.payload = payload;
        p.retain = true;
        return p;
    }
};

void TestStateStore::retainedSurvivesReopen()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"nested/state.sqlite"_s);
    {
        StateStore store(path);
        QCOMPARE(store.open(), QString());
        QCOMPARE(store.storeRetained({retained(u"user-1"_s, u"notification-count"_s, "a")}), QString());
    }
    StateStore again(path);
    QCOMPARE(again.open(), QString());
    const auto list = again.retained(u"user-1"_s);
    QCOMPARE(list.size(), 1);
    QCOMPARE(list.first().payload, QByteArray("a"));
    QVERIFY(again.retained(u"user-2"_s).isEmpty());
}

void TestStateStore::retainedOrderAndReplace()
{
    StateStore store(u":memory:"_s);
    QCOMPARE(store.open(), QString());
    Publication notRetained = retained(u"user-1"_s, u"logout"_s, "x");
    notRetained.retain = false;
    QCOMPARE(store.storeRetained({retained(u"user-1"_s, u"stopwatches"_s, "s1"),
                                  retained(u"user-1"_s, u"notification-count"_s, "c1"), notRetained}),
             QString());
    QCOMPARE(store.storeRetained({retained(u"user-1"_s, u"notification-count"_s, "c2")}), QString());
    const auto list = store.retained(u"user-1"_s);
    QCOMPARE(list.size(), 2);                        // one per type; the non-retained one was not stored
    QCOMPARE(list[0].type, u"notification-count"_s); // count first, as clients expect after hello
    QCOMPARE(list[0].payload, QByteArray("c2"));
    QCOMPARE(list[1].payload, QByteArray("s1"));
}

void TestStateStore::accessSurvivesReopen()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"state.sqlite"_s);
    {
        StateStore store(path);
        QCOMPARE(store.open(), QString());
        QVERIFY(!store.projectAccess(5));
        QCOMPARE(store.storeProjectAccess(5, ProjectAccess{false, {1, 2}}), QString());
    }
    StateStore again(path);
    QCOMPARE(again.open(), QString());
    QCOMPARE(again.projectAccess(5), std::optional<ProjectAccess>(ProjectAccess{false, {1, 2}}));
}

void TestStateStore::unwritablePathIsAnError()
{
    StateStore store(u"/proc/forgewire/state.sqlite"_s);
    QVERIFY(!store.open().isEmpty());
    EmbeddedEngine engine(u"/proc/forgewire/state.sqlite"_s);
    engine.start();
    QVERIFY(!engine.isReady());
    QString error;
    engine.publish({retained(u"user-1"_s, u"notification-count"_s, "a")},
                   [&](const QString& e) { error = e; });
    QVERIFY(!error.isEmpty()); // reported, not silently lost
    // Through the Engine interface, which is all the Server knows of its engine.
    const Engine& asEngine = engine;
    QCOMPARE(asEngine.startError(), store.open());
}

void TestStateStore::unwritablePathStopsTheServer()
{
    test::ServerFixture fixture(test::testConfig(u"/proc/forgewire/state.sqlite"_s));
    QVERIFY(!fixture.start());
    StateStore store(u"/proc/forgewire/state.sqlite"_s);
    QCOMPARE(fixture.error(), store.open());
}

void TestStateStore::engineDeliversAfterStoring()
{
    EmbeddedEngine engine(u":memory:"_s);
    engine.start();
    QVERIFY(engine.isReady());
    QSignalSpy delivered(&engine, &Engine::delivered);
    QString error = u"not called"_s;
    engine.publish(
        {retained(u"user-1"_s, u"notification-count"_s, "a"), retained(u"user-2"_s, u"stopwatches"_s, "b")},
        [&](const QString& e) { error = e; });
    QCOMPARE(error, QString());
    QCOMPARE(delivered.size(), 2);
    QList<RetainedMessage> got;
    engine.retained(u"user-2"_s, [&](QList<RetainedMessage> list) { got = list; });
    QCOMPARE(got.size(), 1);
    QCOMPARE(got.first().payload, QByteArray("b"));
}

void TestStateStore::revokedSessionsSurviveReopenUntilTheyEnd()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"state.sqlite"_s);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    auto logout = [](const QString& sid, qint64 until) {
        Publication p;
        p.topic = u"user-1"_s;
        p.type = u"logout"_s;
        p.payload = "x";
        p.logoutSession = sid;
        p.revokeUntilMs = until;
        return p;
    };
    {
        StateStore store(path);
        QCOMPARE(store.open(), QString());
        QCOMPARE(store.storeRetained({logout(u"long"_s, now + 60'000), logout(u"short"_s, now + 300)}),
                 QString());
        // A second logout never shortens a revocation.
        QCOMPARE(store.storeRetained({logout(u"long"_s, now + 1000)}), QString());
        QCOMPARE(store.revokedSessions().value(u"long"_s), now + 60'000);
        QCOMPARE(store.revokedSessions().size(), 2);
    }
    QTest::qWait(400);
    StateStore again(path);
    QCOMPARE(again.open(), QString());
    // The ended one was pruned at open, on disk too.
    QCOMPARE(again.revokedSessions(), (QHash<QString, qint64>{{u"long"_s, now + 60'000}}));
    {
        // The engine reports the stored ones at start, before it reports ready.
        EmbeddedEngine engine(path);
        QSignalSpy revoked(&engine, &Engine::sessionsRevoked);
        QSignalSpy ready(&engine, &Engine::readyChanged);
        engine.start();
        QCOMPARE(revoked.size(), 1);
        using Revocations = QHash<QString, qint64>;
        QCOMPARE(revoked.first().first().value<Revocations>(), (Revocations{{u"long"_s, now + 60'000}}));
        QCOMPARE(ready.size(), 1);
    }
    QCOMPARE(again.pruneRevoked(now + 60'000), QString());
    QVERIFY(again.revokedSessions().isEmpty());
}

// A value the file holds already, or one the same batch overwrites, is not written: the file ends up
// the same without the writes (the unicast hot path: counts that did not change).
void TestStateStore::unchangedRetainedValuesAreNotWritten()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"state.sqlite"_s);
    const QString count = u"notification-count"_s;
    {
        StateStore store(path);
        QCOMPARE(store.open(), QString());
        QCOMPARE(store.storeRetained({retained(u"user-1"_s, count, "a"), retained(u"user-2"_s, count, "b")}),
                 QString());
        // PRAGMA data_version changes for a connection whenever another one commits a write.
        QSqlDatabase watcher = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"watcher"_s);
        watcher.setDatabaseName(path);
        QVERIFY(watcher.open());
        auto version = [&watcher] {
            QSqlQuery q(watcher);
            if (!q.exec(u"PRAGMA data_version"_s) || !q.next())
                return qint64(-1);
            return q.value(0).toLongLong();
        };
        const qint64 before = version();
        QVERIFY(before >= 0);
        QCOMPARE(store.storeRetained({retained(u"user-1"_s, count, "a")}), QString());
        QCOMPARE(version(), before);
        // Changed and changed back within one batch: the last value is the one held already.
        QCOMPARE(store.storeRetained({retained(u"user-2"_s, count, "x"), retained(u"user-2"_s, count, "b")}),
                 QString());
        QCOMPARE(version(), before);
        QCOMPARE(store.retained(u"user-2"_s).first().payload, QByteArray("b"));
        // Changed: written, the last of the batch winning.
        QCOMPARE(store.storeRetained({retained(u"user-1"_s, count, "c"), retained(u"user-1"_s, count, "d")}),
                 QString());
        QVERIFY(version() != before);
        QCOMPARE(store.retained(u"user-1"_s).first().payload, QByteArray("d"));
    }
    QSqlDatabase::removeDatabase(u"watcher"_s);
    StateStore again(path);
    QCOMPARE(again.open(), QString());
    QCOMPARE(again.retained(u"user-1"_s).first().payload, QByteArray("d"));
    QCOMPARE(again.retained(u"user-2"_s).first().payload, QByteArray("b"));
}

void TestStateStore::aFailedBatchChangesNothing()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"state.sqlite"_s);
    const QString count = u"notification-count"_s;
    StateStore store(path);
    QCOMPARE(store.open(), QString());
    QCOMPARE(store.storeRetained({retained(u"user-1"_s, count, "a")}), QString());
    // Another connection makes SQLite refuse the second row of the next batch: the first row's
    // update must be rolled back on disk and never reach memory.
    QCOMPARE(execElsewhere(path, u"CREATE TRIGGER refuse BEFORE INSERT ON retained WHEN NEW.topic = 'user-2' "
                                 "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"_s),
             QString());
    Publication logout;
    logout.topic = u"user-1"_s;
    logout.type = u"logout"_s;
    logout.payload = "{}";
    logout.logoutSession = u"s1"_s;
    logout.revokeUntilMs = QDateTime::currentMSecsSinceEpoch() + 60'000;
    const QString error =
        store.storeRetained({retained(u"user-1"_s, count, "b"), logout, retained(u"user-2"_s, count, "c")});
    QVERIFY2(error.contains(u"injected failure"_s), qPrintable(error));
    QCOMPARE(store.retained(u"user-1"_s).first().payload, QByteArray("a"));
    QVERIFY(store.retained(u"user-2"_s).isEmpty());
    QVERIFY(store.revokedSessions().isEmpty());
    // The store still works for what SQLite accepts, and the file holds only that.
    QCOMPARE(store.storeRetained({retained(u"user-1"_s, count, "d")}), QString());
    StateStore again(path);
    QCOMPARE(again.open(), QString());
    QCOMPARE(again.retained(u"user-1"_s).first().payload, QByteArray("d"));
    QVERIFY(again.retained(u"user-2"_s).isEmpty());
    QVERIFY(again.revokedSessions().isEmpty());
}

void TestStateStore::largeBatchesRoundTrip()
{
    // Past the 64 rows one statement writes: two full statements and single rows for the rest, with
    // a key repeated (the last wins) and one unchanged (not written); then a batch refused in its
    // second statement leaves everything as it was.
    QTemporaryDir dir;
    const QString path = dir.filePath(u"state.sqlite"_s);
    const QString count = u"notification-count"_s;
    StateStore store(path);
    QCOMPARE(store.open(), QString());
    QCOMPARE(store.storeRetained({retained(u"user-1"_s, count, "same")}), QString());
    QList<Publication> batch;
    for (int i = 1; i <= 150; ++i)
        batch.append(retained(u"user-%1"_s.arg(i), count, i == 1 ? "same" : QByteArray::number(i)));
    batch.append(retained(u"user-7"_s, count, "last"));
    QCOMPARE(store.storeRetained(batch), QString());
    QCOMPARE(execElsewhere(path,
                           u"CREATE TRIGGER refuse BEFORE UPDATE ON retained WHEN NEW.topic = 'user-100' "
                           "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"_s),
             QString());
    QList<Publication> refused;
    for (int i = 1; i <= 140; ++i)
        refused.append(retained(u"user-%1"_s.arg(i), count, "changed"));
    QVERIFY(store.storeRetained(refused).contains(u"injected failure"_s));

    StateStore again(path);
    QCOMPARE(again.open(), QString());
    for (int i = 1; i <= 150; ++i) {
        const QByteArray expected = i == 1 ? "same" : i == 7 ? "last" : QByteArray::number(i);
        QCOMPARE(store.retained(u"user-%1"_s.arg(i)).first().payload, expected);
        QCOMPARE(again.retained(u"user-%1"_s.arg(i)).first().payload, expected);
    }
}

QTEST_GUILESS_MAIN(TestStateStore)
#include "tst_statestore.moc"
