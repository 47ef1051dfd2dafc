// /readyz tells the truth about every dependency a publish needs (the state file, the server
// itself), made by the test for real: a full file system (a small tmpfs the test mounts, as root),
// a read-only state file, the file deleted under the server, the database locked by another
// connection, and draining. Each case: 503 with the failing part and why, the same in /metrics, a
// publish that fails says why in its 503, the failure is logged once, and readiness comes back by
// itself once the cause is gone. The Redis engine's part is in tst_redisengine.

#include "TestSupport.h"
#include "engine/StateHealth.h"
#include "engine/StateStore.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QMutex>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

// What the server logged about its state store, for the once-per-episode check.
QMutex g_logMutex;
QStringList g_stateLog;
QtMessageHandler g_previous = nullptr;

void captureLog(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    if (qstrcmp(context.category, "forgewire.state") == 0) {
        const QMutexLocker lock(&g_logMutex);
        g_stateLog.append(message);
    }
    g_previous(type, context, message);
}

int loggedCount(const QString& text)
{
    const QMutexLocker lock(&g_logMutex);
    return int(std::count_if(g_stateLog.cbegin(), g_stateLog.cend(),
                             [&](const QString& line) { return line.contains(text); }));
}

bool run(const QString& program, const QStringList& arguments)
{
    QProcess process;
    process.start(program, arguments);
    return process.waitForFinished(10'000) && process.exitStatus() == QProcess::NormalExit &&
           process.exitCode() == 0;
}

// A publish that needs new pages in the file (a new topic, about 47 KB retained, under the 64 KiB cap).
QByteArray bigStopwatches()
{
    QJsonArray list;
    for (int i = 0; i < 180; ++i)
        list.append(QJsonObject{{u"issue_index"_s, i},
                                {u"issue_title"_s, QString(180, u'x')},
                                {u"repo_owner_name"_s, u"alice"_s},
                                {u"repo_name"_s, u"proj"_s},
                                {u"seconds"_s, 1},
                                {u"created"_s, u"2026-01-05T10:00:00Z"_s}});
    return QJsonDocument(list).toJson(QJsonDocument::Compact);
}

} // namespace

class TestReadiness : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanupTestCase();

    void readyWhenEverythingWorks();
    void fullDisk();
    void readOnlyStateFile();
    void stateFileDeletedUnderTheServer();
    void databaseLockedByAnotherProcess();
    void drainingIsNotReady();

private:
    std::unique_ptr<ServerFixture> startOn(const QString& statePath);
    // The failing parts of /readyz ({} when 200), as "part: reason".
    QStringList failing(const ServerFixture& fixture) const;
    bool waitFailing(const ServerFixture& fixture, const QString& expected, int timeoutMs = 5000) const;
    bool waitReady(const ServerFixture& fixture, int timeoutMs = 5000) const;
    QByteArray metrics(const ServerFixture& fixture) const
    {
        return fixture.admin("GET", u"/metrics"_s).body;
    }
};

void TestReadiness::initTestCase()
{
    g_previous = qInstallMessageHandler(captureLog);
}

void TestReadiness::init()
{
    const QMutexLocker lock(&g_logMutex);
    g_stateLog.clear();
}

void TestReadiness::cleanupTestCase()
{
    qInstallMessageHandler(g_previous);
}

std::unique_ptr<ServerFixture> TestReadiness::startOn(const QString& statePath)
{
    auto fixture = std::make_unique<ServerFixture>(testConfig(statePath));
    if (!fixture->start()) {
        qWarning().noquote() << fixture->error();
        return nullptr;
    }
    return fixture;
}

QStringList TestReadiness::failing(const ServerFixture& fixture) const
{
    const HttpReply reply = fixture.admin("GET", u"/readyz"_s);
    QStringList parts;
    for (const QJsonValue& part : reply.json().value("failing"_L1).toArray())
        parts.append(part["part"_L1].toString() + u": "_s + part["reason"_L1].toString());
    if (reply.status == 503 && parts.isEmpty())
        parts.append(u"503 without a reason"_s);
    if (reply.status == 200 && reply.json().value("status"_L1) != "ready"_L1)
        parts.append(u"200 without status ready"_s);
    return parts;
}

bool TestReadiness::waitFailing(const ServerFixture& fixture, const QString& expected, int timeoutMs) const
{
    QStringList last;
    const bool seen = waitFor(
        [&] {
            last = failing(fixture);
            return last.contains(expected);
        },
        timeoutMs);
    if (!seen)
        qWarning().noquote() << "failing parts:" << last;
    return seen;
}

bool TestReadiness::waitReady(const ServerFixture& fixture, int timeoutMs) const
{
    return waitFor([&] { return failing(fixture).isEmpty(); }, timeoutMs);
}

void TestReadiness::readyWhenEverythingWorks()
{
    QTemporaryDir dir;
    auto fixture = startOn(dir.filePath(u"state.sqlite"_s));
    QVERIFY(fixture);
    const HttpReply reply = fixture->admin("GET", u"/readyz"_s);
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.json(), (QJsonObject{{u"status"_s, u"ready"_s}}));
    const QByteArray text = metrics(*fixture);
    QVERIFY(text.contains("\nforgewire_ready{part=\"server\"} 1\n"));
    QVERIFY(text.contains("\nforgewire_ready{part=\"state\"} 1\n"));
    // The probe keeps the file's size: it rewrites one row in place.
    const qint64 size = QFileInfo(dir.filePath(u"state.sqlite"_s)).size();
    QTest::qWait(3 * StateHealth::kCheckIntervalMs);
    QCOMPARE(QFileInfo(dir.filePath(u"state.sqlite"_s)).size(), size);
}

void TestReadiness::fullDisk()
{
    if (::geteuid() != 0)
        QSKIP("needs root to mount a small tmpfs (CI runs as root)");
    QTemporaryDir dir;
    const QString mountPoint = dir.filePath(u"small"_s);
    QVERIFY(QDir().mkpath(mountPoint));
    if (!run(u"mount"_s, {u"-t"_s, u"tmpfs"_s, u"-o"_s, u"size=4m"_s, u"tmpfs"_s, mountPoint}))
        QSKIP("cannot mount a tmpfs here (no CAP_SYS_ADMIN in this container?)");
    const auto unmount = qScopeGuard([&] { run(u"umount"_s, {u"-l"_s, mountPoint}); });
    {
        auto fixture = startOn(mountPoint + u"/state.sqlite"_s);
        QVERIFY(fixture);
        QVERIFY(fixture->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":3})", "PUT"));
        // Fill the file system.
        QFile filler(mountPoint + u"/filler"_s);
        QVERIFY(filler.open(QIODevice::WriteOnly));
        const QByteArray chunk(64 * 1024, 'x');
        while (filler.write(chunk) == chunk.size() && filler.flush()) {
        }
        filler.close();
        QVERIFY(waitFailing(*fixture, u"state: disk full"_s));
        QVERIFY(metrics(*fixture).contains("\nforgewire_ready{part=\"state\"} 0\n"));
        // A publish that needs room fails, and says why; a few more are not logged again.
        for (int i = 0; i < 3; ++i) {
            const HttpReply refused =
                fixture->admin("PUT", u"/api/v1/users/%1/stopwatches"_s.arg(100 + i), bigStopwatches());
            QVERIFY2(refused.status == 503, refused.body.constData());
            QVERIFY2(refused.body.contains("disk full"), refused.body.constData());
        }
        QCOMPARE(loggedCount(u"state store cannot write"_s), 1);

        QVERIFY(QFile::remove(mountPoint + u"/filler"_s));
        QVERIFY(waitReady(*fixture));
        QCOMPARE(loggedCount(u"state store writes again"_s), 1);
        QCOMPARE(fixture->admin("PUT", u"/api/v1/users/100/stopwatches"_s, bigStopwatches()).status, 202);
    }
}

void TestReadiness::readOnlyStateFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"state.sqlite"_s);
    {
        auto first = startOn(path);
        QVERIFY(first);
        QVERIFY(first->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":3})", "PUT"));
    }
    // Read-only as the operator makes it: the mode bits, or (root writes whatever the mode says) a
    // read-only bind mount of the file.
    const bool root = ::geteuid() == 0;
    if (root) {
        if (!run(u"mount"_s, {u"--bind"_s, path, path}))
            QSKIP("cannot bind-mount here (no CAP_SYS_ADMIN in this container?)");
        QVERIFY(run(u"mount"_s, {u"-o"_s, u"remount,ro,bind"_s, path}));
    } else {
        QVERIFY(QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::ReadGroup));
    }
    auto unmount = qScopeGuard([&] {
        if (root)
            run(u"umount"_s, {u"-l"_s, path});
    });
    auto fixture = startOn(path);
    QVERIFY(fixture);
    QVERIFY(waitFailing(*fixture, u"state: read-only state file"_s));
    const HttpReply refused =
        fixture->admin("PUT", u"/api/v1/users/7/notification-count"_s, R"({"count":4})");
    QCOMPARE(refused.status, 503);
    QVERIFY2(refused.body.contains("read-only"), refused.body.constData());

    if (root) {
        QVERIFY(run(u"mount"_s, {u"-o"_s, u"remount,rw,bind"_s, path}));
    } else {
        QVERIFY(QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner));
    }
    QVERIFY(waitReady(*fixture));
    QCOMPARE(fixture->admin("PUT", u"/api/v1/users/7/notification-count"_s, R"({"count":5})").status, 202);
    // What was in the file is still served.
    WsClient client;
    QVERIFY(client.open(fixture->wsUrl(), makeToken(7, u"alice"_s)));
    QCOMPARE(client.nextOfType(u"notification-count"_s).value("count"_L1).toInt(), 5);
}

void TestReadiness::stateFileDeletedUnderTheServer()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"state.sqlite"_s);
    {
        auto fixture = startOn(path);
        QVERIFY(fixture);
        QVERIFY(fixture->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":3})", "PUT"));
        QVERIFY(QFile::remove(path));
        QVERIFY(waitFailing(*fixture, u"state: state file deleted"_s));
        // Written again from the open database, without a restart.
        QVERIFY(waitReady(*fixture));
        QVERIFY(QFile::exists(path));
        QVERIFY(fixture->publish(u"/api/v1/users/8/notification-count"_s, R"({"count":4})", "PUT"));
    }
    // Nothing stored before or after the deletion was lost.
    StateStore store(path);
    QCOMPARE(store.open(), QString());
    QCOMPARE(store.retained(u"user-7"_s).size(), 1);
    QVERIFY(store.retained(u"user-7"_s).first().payload.contains("\"count\":3"));
    QVERIFY(store.retained(u"user-8"_s).first().payload.contains("\"count\":4"));
}

void TestReadiness::databaseLockedByAnotherProcess()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"state.sqlite"_s);
    auto fixture = startOn(path);
    QVERIFY(fixture);
    {
        // Another program holds the write lock (sqlite3 with an open transaction).
        QSqlDatabase other = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"other"_s);
        other.setDatabaseName(path);
        QVERIFY(other.open());
        QSqlQuery q(other);
        QVERIFY(q.exec(u"BEGIN IMMEDIATE"_s));
        QVERIFY(waitFailing(*fixture, u"state: database locked"_s));
        // A publish waits out the lock's timeout, then says why it failed.
        const HttpReply refused =
            fixture->admin("PUT", u"/api/v1/users/7/notification-count"_s, R"({"count":4})");
        QCOMPARE(refused.status, 503);
        QVERIFY2(refused.body.contains("database locked"), refused.body.constData());
        QVERIFY(q.exec(u"ROLLBACK"_s));
        other.close();
    }
    QSqlDatabase::removeDatabase(u"other"_s);
    QVERIFY(waitReady(*fixture));
    QVERIFY(fixture->publish(u"/api/v1/users/7/notification-count"_s, R"({"count":5})", "PUT"));
}

void TestReadiness::drainingIsNotReady()
{
    ServerConfig config = testConfig();
    config.drainTimeoutMs = 60'000;
    ServerFixture fixture(config);
    QVERIFY(fixture.start());
    WsClient client; // keeps the drain from finishing while the test looks
    QVERIFY(client.open(fixture.wsUrl()));
    fixture.server()->drain();
    QVERIFY(waitFailing(fixture, u"server: draining"_s, 2000));
    QVERIFY(metrics(fixture).contains("\nforgewire_ready{part=\"server\"} 0\n"));
}

QTEST_MAIN(TestReadiness)
#include "tst_readiness.moc"
