// Live boards end to end (issue #13, PROTOCOL.md v1.1): the real forgewire-server holds the board's
// model (PUT .../board), the tray's TrayController follows it through board-snapshot and seq'd
// events, resyncs after a gap, lists the readable boards, catches up after a reconnect and sees the
// project deleted; forgewire-tray --headless prints the board as text and as JSON.
//
// Needs the server side of live boards (snapshots, seq, resync, list-boards).

#include "SampleBoard.h"
#include "ServerProcess.h"
#include "client/SharedConnection.h"
#include "model/TrayController.h"

#include <QJsonDocument>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

QByteArray json(const QJsonObject& object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QByteArray eventBody(const QString& event, const QJsonObject& data)
{
    return json({{u"event"_s, event}, {u"data"_s, data}});
}

QByteArray moveBody(qint64 issueId, qint64 index, qint64 from, qint64 to, qint64 sorting)
{
    return eventBody(u"card.moved"_s, {{u"issue_id"_s, issueId},
                                       {u"issue_index"_s, index},
                                       {u"repo"_s, u"alice/proj"_s},
                                       {u"from_column_id"_s, from},
                                       {u"to_column_id"_s, to},
                                       {u"sorting"_s, sorting}});
}

QList<qint64> cardsOf(const BoardState* board, qint64 columnId)
{
    QList<qint64> result;
    if (const BoardColumn* column = board ? board->column(columnId) : nullptr) {
        for (const BoardCard& card : column->cards)
            result.append(card.issueIndex);
    }
    return result;
}

bool isSuccess(int status)
{
    return status >= 200 && status < 300;
}

} // namespace

class TestLiveBoards : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void snapshotThenEvents();
    void gapIsResynced();
    void listBoards();
    void reconnectCatchesUp();
    void deletedProject();
    void headlessBoardAndJson();

private:
    TrayController::Config config(const QList<qint64>& boards) const
    {
        TrayController::Config c;
        c.serverUrl = m_server.wsUrl();
        c.token = ServerProcess::kStaticToken;
        c.forgeUrl = QUrl(u"https://forge.example.org"_s);
        c.watchedBoards = boards;
        return c;
    }
    // A board the test owns: its ACL and a fresh snapshot.
    void putBoard(qint64 projectId, const QJsonValue& repo = u"proj"_s)
    {
        QCOMPARE(m_server
                     .admin("PUT", u"/api/v1/projects/%1/access"_s.arg(projectId),
                            R"({"public":false,"users":[7]})")
                     .status,
                 200);
        const HttpReply reply =
            m_server.admin("PUT", u"/api/v1/projects/%1/board"_s.arg(projectId), json(sampleBoard(repo)));
        QVERIFY2(isSuccess(reply.status), reply.body.constData());
    }

    ServerProcess m_server;
};

void TestLiveBoards::initTestCase()
{
    QString error;
    QVERIFY2(m_server.start(&error), qPrintable(error));
}

void TestLiveBoards::snapshotThenEvents()
{
    putBoard(42);
    if (QTest::currentTestFailed())
        return;
    TrayController controller;
    controller.configure(config({42}));
    controller.boards().setCoalesceWindow(100ms);
    QSignalSpy notifications(&controller, &TrayController::boardNotification);
    controller.start();
    LiveBoards& live = controller.liveBoards();
    QTRY_VERIFY(live.board(42) && live.board(42)->hasSnapshot());
    QVERIFY(live.isLive(42));
    const BoardState* board = live.board(42);
    QCOMPARE(board->title(), u"Roadmap"_s);
    QCOMPARE(cardsOf(board, 1), (QList<qint64>{3, 4, 6}));
    const qint64 seq = *board->seq();

    QVERIFY(
        isSuccess(m_server.admin("POST", u"/api/v1/projects/42/events"_s, moveBody(13, 3, 1, 3, 5)).status));
    QTRY_COMPARE(live.board(42)->seq(), seq + 1);
    QCOMPARE(cardsOf(live.board(42), 3), (QList<qint64>{5, 3}));

    // The notification for an unlinked card names it, from the model as it was.
    QVERIFY(isSuccess(m_server
                          .admin("POST", u"/api/v1/projects/42/events"_s,
                                 eventBody(u"card.unlinked"_s, {{u"issue_id"_s, 14}, {u"column_id"_s, 1}}))
                          .status));
    QTRY_COMPARE(live.board(42)->seq(), seq + 2);
    QVERIFY(!live.board(42)->card(14));
    QTRY_COMPARE(notifications.size(), 1);
    const auto n = notifications.first().at(0).value<BoardNotification>();
    QCOMPARE(n.title, u"Roadmap"_s);
    QVERIFY2(n.body.contains(u"alice/proj#4 “Write the docs” was removed from “To do”"_s),
             qPrintable(n.body));
}

void TestLiveBoards::gapIsResynced()
{
    putBoard(43);
    if (QTest::currentTestFailed())
        return;
    TrayController controller;
    controller.configure(config({43}));
    controller.start();
    LiveBoards& live = controller.liveBoards();
    QTRY_VERIFY(live.board(43) && live.board(43)->hasSnapshot());
    const qint64 seq = *live.board(43)->seq();
    QSignalSpy resync(&live, &LiveBoards::resyncNeeded);
    QSignalSpy changed(&live, &LiveBoards::boardChanged);

    // As if events had been lost: one seq'd far ahead arrives. The tray asks the real server for a
    // resync and takes its snapshot, which is at the server's seq.
    live.handle(sampleMove(43, 13, 3, 1, 2, 0, seq + 5));
    QCOMPARE(resync.size(), 1);
    QTRY_VERIFY(std::any_of(changed.cbegin(), changed.cend(), [](const QList<QVariant>& args) {
        return args.at(1).value<protocol::BoardEvent>().event.isEmpty(); // a snapshot
    }));
    QCOMPARE(live.board(43)->seq(), seq);
    QCOMPARE(cardsOf(live.board(43), 1), (QList<qint64>{3, 4, 6}));
    // And the next real event applies.
    QVERIFY(
        isSuccess(m_server.admin("POST", u"/api/v1/projects/43/events"_s, moveBody(13, 3, 1, 2, 9)).status));
    QTRY_COMPARE(live.board(43)->seq(), seq + 1);
    QCOMPARE(cardsOf(live.board(43), 2), (QList<qint64>{7, 3}));
}

void TestLiveBoards::listBoards()
{
    putBoard(44, QJsonValue::Null);
    if (QTest::currentTestFailed())
        return;
    TrayController controller;
    controller.configure(config({}));
    controller.start();
    QTRY_VERIFY(!controller.state().session().isEmpty()); // hello arrived
    QSignalSpy listed(&controller.liveBoards(), &LiveBoards::boardsListed);
    QVERIFY(controller.listBoards());
    QVERIFY(listed.wait(kWaitMs));
    const auto& boards = controller.liveBoards().listed();
    const auto it = std::find_if(boards.cbegin(), boards.cend(), [](const protocol::BoardInfo& b) {
        return b.topic == u"project-board.44"_s;
    });
    QVERIFY(it != boards.cend());
    QCOMPARE(it->title, u"Roadmap"_s);
    QCOMPARE(it->owner, u"alice"_s);
    QCOMPARE(it->repo, QString());

    // A board opened from that list (not watched) is modelled while open; its link is the user
    // project's.
    controller.openBoard(44);
    QTRY_VERIFY(controller.liveBoards().board(44) && controller.liveBoards().board(44)->hasSnapshot());
    QCOMPARE(controller.boardUrl(44), QUrl(u"https://forge.example.org/alice/-/projects/44"_s));
    controller.closeBoard(44);
    QVERIFY(!controller.liveBoards().isTracked(44));
    QTRY_VERIFY(!controller.connection()->topics().contains(u"project-board.44"_s));
}

void TestLiveBoards::reconnectCatchesUp()
{
    putBoard(45);
    if (QTest::currentTestFailed())
        return;
    TrayController controller;
    controller.configure(config({45}));
    controller.start();
    LiveBoards& live = controller.liveBoards();
    QTRY_VERIFY(live.board(45) && live.board(45)->hasSnapshot());
    const qint64 seq = *live.board(45)->seq();

    // The socket goes; while it is down the board changes twice; the new socket's snapshot has both.
    controller.connection()->reconnectNow();
    QTRY_VERIFY(!live.isLive(45) || live.board(45)->seq() != seq);
    QVERIFY(
        isSuccess(m_server.admin("POST", u"/api/v1/projects/45/events"_s, moveBody(13, 3, 1, 2, 9)).status));
    QVERIFY(
        isSuccess(m_server.admin("POST", u"/api/v1/projects/45/events"_s, moveBody(14, 4, 1, 2, 10)).status));
    QTRY_COMPARE(live.board(45)->seq(), seq + 2);
    QVERIFY(live.isLive(45));
    QCOMPARE(cardsOf(live.board(45), 2), (QList<qint64>{7, 3, 4}));
}

void TestLiveBoards::deletedProject()
{
    putBoard(46);
    if (QTest::currentTestFailed())
        return;
    TrayController controller;
    controller.configure(config({46}));
    controller.start();
    LiveBoards& live = controller.liveBoards();
    QTRY_VERIFY(live.board(46) && live.board(46)->hasSnapshot());
    QVERIFY(isSuccess(m_server.admin("DELETE", u"/api/v1/projects/46"_s).status));
    QTRY_VERIFY(live.board(46)->isDeleted());
    QCOMPARE(cardsOf(live.board(46), 1), (QList<qint64>{3, 4, 6})); // the last board stays on show
}

void TestLiveBoards::headlessBoardAndJson()
{
    const QString binary = qEnvironmentVariable("FORGEWIRE_TRAY_BIN");
    QVERIFY2(QFile::exists(binary), "FORGEWIRE_TRAY_BIN not set");
    putBoard(47);
    if (QTest::currentTestFailed())
        return;
    QTemporaryDir configDir;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"XDG_CONFIG_HOME"_s, configDir.path());
    env.insert(u"FORGEWIRE_TOKEN"_s, QString::fromUtf8(ServerProcess::kStaticToken));
    env.remove(u"DISPLAY"_s);

    QProcess boardTray;
    boardTray.setProcessEnvironment(env);
    boardTray.start(binary, {u"--headless"_s, u"--server"_s, m_server.wsUrl().toString(), u"--format"_s,
                             u"board"_s, u"--watch-board"_s, u"47"_s});
    QProcess jsonTray;
    jsonTray.setProcessEnvironment(env);
    jsonTray.start(
        binary, {u"--headless"_s, u"--server"_s, m_server.wsUrl().toString(), u"--watch-board"_s, u"47"_s});
    const auto cleanup = qScopeGuard([&] {
        for (QProcess* p : {&boardTray, &jsonTray}) {
            p->kill();
            p->waitForFinished();
        }
    });

    QByteArray boardOut;
    QVERIFY(waitFor([&] {
        boardOut += boardTray.readAllStandardOutput();
        return boardOut.contains("-- Done (1)\n   [x] alice/proj#5 Ship 1.1\n\n");
    }));
    QVERIFY2(boardOut.startsWith("== Roadmap — alice/proj [seq "), boardOut.constData());
    QByteArray jsonOut;
    QVERIFY(waitFor([&] {
        jsonOut += jsonTray.readAllStandardOutput();
        return jsonOut.contains(R"("type":"board-snapshot")");
    }));

    QVERIFY(
        isSuccess(m_server.admin("POST", u"/api/v1/projects/47/events"_s, moveBody(13, 3, 1, 3, 5)).status));
    QVERIFY(waitFor([&] {
        boardOut += boardTray.readAllStandardOutput();
        return boardOut.contains("-- Done (2)\n   [x] alice/proj#5 Ship 1.1\n   [ ] alice/proj#3 Fix X\n\n");
    }));
    QVERIFY(waitFor([&] {
        jsonOut += jsonTray.readAllStandardOutput();
        return jsonOut.contains(R"("event":"card.moved")") && jsonOut.contains(R"("seq":)");
    }));
}

QTEST_GUILESS_MAIN(TestLiveBoards)
#include "tst_liveboards.moc"
