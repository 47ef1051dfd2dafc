// The tray's live board model with protocol messages only (PROTOCOL.md v1.1 "Live board model"):
// every board event kind, seq order (stale ignored, gaps resynced), snapshots replacing the model,
// deletion, reconnecting, the project and issue links and the text rendering.

#include "app/HeadlessPrinter.h"
#include "model/BoardState.h"
#include "model/LiveBoards.h"
#include "protocol/Protocol.h"

#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

namespace {

const QString kTopic = u"project-board.42"_s;

QJsonObject cardJson(qint64 issueId, qint64 index, const QString& title, qint64 sorting, bool closed = false)
{
    return {{u"issue_id"_s, issueId}, {u"issue_index"_s, index}, {u"repo"_s, u"alice/proj"_s},
            {u"title"_s, title},      {u"sorting"_s, sorting},   {u"is_closed"_s, closed}};
}

// Roadmap: "To do" (default) with #3 and #4, "Done" with #5 (closed).
QJsonObject roadmap(const QJsonValue& repo = u"proj"_s)
{
    return QJsonObject{
        {u"title"_s, u"Roadmap"_s},
        {u"description"_s, u"What comes next"_s},
        {u"is_closed"_s, false},
        {u"owner"_s, u"alice"_s},
        {u"repo"_s, repo},
        {u"columns"_s,
         QJsonArray{QJsonObject{{u"column_id"_s, 2},
                                {u"title"_s, u"Done"_s},
                                {u"color"_s, u"#2ecc71"_s},
                                {u"sorting"_s, 1},
                                {u"default"_s, false},
                                {u"cards"_s, QJsonArray{cardJson(15, 5, u"Ship it"_s, 0, true)}}},
                    QJsonObject{{u"column_id"_s, 1},
                                {u"title"_s, u"To do"_s},
                                {u"color"_s, u"#3a87ad"_s},
                                {u"sorting"_s, 0},
                                {u"default"_s, true},
                                {u"cards"_s, QJsonArray{cardJson(14, 4, u"Write docs"_s, 1),
                                                        cardJson(13, 3, u"Fix X"_s, 0)}}}}},
    };
}

BoardState snapshot(qint64 seq = 17, const QJsonValue& repo = u"proj"_s)
{
    QString error;
    const auto state = BoardState::fromSnapshot(42, seq, roadmap(repo), &error);
    if (!state)
        qFatal("bad test snapshot: %s", qPrintable(error));
    return *state;
}

protocol::BoardEvent boardEvent(const QString& name, const QJsonObject& data, std::optional<qint64> seq)
{
    protocol::BoardEvent e;
    e.topic = kTopic;
    e.event = name;
    e.data = data;
    e.seq = seq;
    return e;
}

protocol::BoardEvent moved(qint64 issueId, qint64 index, qint64 from, qint64 to, qint64 sorting,
                           std::optional<qint64> seq)
{
    return boardEvent(u"card.moved"_s,
                      {{u"issue_id"_s, issueId},
                       {u"issue_index"_s, index},
                       {u"repo"_s, u"alice/proj"_s},
                       {u"from_column_id"_s, from},
                       {u"to_column_id"_s, to},
                       {u"sorting"_s, sorting}},
                      seq);
}

protocol::BoardEvent columnEvent(const QString& name, qint64 id, const QString& title, qint64 sorting,
                                 std::optional<qint64> seq, bool isDefault = false)
{
    return boardEvent(name,
                      {{u"column_id"_s, id},
                       {u"title"_s, title},
                       {u"color"_s, u"#aa0000"_s},
                       {u"sorting"_s, sorting},
                       {u"default"_s, isDefault}},
                      seq);
}

QStringList titles(const BoardState& state)
{
    QStringList result;
    for (const BoardColumn& column : state.columns())
        result.append(column.title);
    return result;
}

QList<qint64> cards(const BoardState& state, qint64 columnId)
{
    QList<qint64> result;
    if (const BoardColumn* column = state.column(columnId)) {
        for (const BoardCard& card : column->cards)
            result.append(card.issueIndex);
    }
    return result;
}

protocol::ServerMessage snapshotMessage(qint64 seq, const QJsonObject& board = roadmap())
{
    return protocol::BoardSnapshot{kTopic, seq, board};
}

} // namespace

class TestBoardState : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void snapshotIsOrdered();
    void badSnapshotsAreRefused_data();
    void badSnapshotsAreRefused();
    void cardMoved();
    void cardLinkedAndUnlinked();
    void columnCreatedUpdatedDeleted();
    void columnReordered();
    void projectUpdated();
    void projectDeleted();
    void eventsNamingUnknownThingsDiverge();
    void seqOrder();
    void eventsWithoutSeqApplyToTheModel();
    void projectAndIssueLinks();
    void renderText();
    void codecRoundTrip();

    void liveBoardsAppliesAndResyncsOnGap();
    void liveBoardsResyncSnapshotReplaces();
    void liveBoardsDivergedEventResyncs();
    void liveBoardsReconnect();
    void liveBoardsDeletion();
    void liveBoardsRefusalAndList();
    void liveBoardsIgnoresUntracked();
    void headlessBoardFormat();
    void headlessJsonFormat();
};

void TestBoardState::snapshotIsOrdered()
{
    const BoardState s = snapshot();
    QVERIFY(s.hasSnapshot());
    QCOMPARE(s.seq(), 17);
    QCOMPARE(s.title(), u"Roadmap"_s);
    QCOMPARE(s.description(), u"What comes next"_s);
    QCOMPARE(s.owner(), u"alice"_s);
    QCOMPARE(s.repo(), u"proj"_s);
    QCOMPARE(titles(s), (QStringList{u"To do"_s, u"Done"_s}));
    QCOMPARE(cards(s, 1), (QList<qint64>{3, 4}));
    QVERIFY(s.column(1)->isDefault);
    QCOMPARE(s.column(1)->color, u"#3a87ad"_s);
    QVERIFY(s.card(15)->isClosed);
    QCOMPARE(s.card(13)->reference(), u"alice/proj#3"_s);
    QCOMPARE(s.columnOf(15), 2);
    QCOMPARE(snapshot(1, QJsonValue::Null).repo(), QString());
}

void TestBoardState::badSnapshotsAreRefused_data()
{
    QTest::addColumn<QJsonObject>("board");
    QTest::addColumn<QString>("error");
    QJsonObject noColumns = roadmap();
    noColumns.remove(u"columns"_s);
    QTest::newRow("no columns") << noColumns << u"a board snapshot needs 'columns' as an array"_s;
    QJsonObject badTitle = roadmap();
    badTitle.insert(u"title"_s, 5);
    QTest::newRow("title") << badTitle << u"a board snapshot's 'title' must be a string"_s;
    QJsonObject badRepo = roadmap();
    badRepo.insert(u"repo"_s, 5);
    QTest::newRow("repo") << badRepo << u"a board snapshot's 'repo' must be a string or null"_s;
    QJsonObject badColumn = roadmap();
    badColumn.insert(u"columns"_s, QJsonArray{QJsonObject{{u"title"_s, u"x"_s}}});
    QTest::newRow("column id") << badColumn << u"board columns need an integer column_id"_s;
    QJsonObject badCard = roadmap();
    badCard.insert(u"columns"_s, QJsonArray{QJsonObject{{u"column_id"_s, 1}, {u"cards"_s, QJsonArray{1}}}});
    QTest::newRow("card") << badCard << u"board cards need an integer issue_id"_s;
}

void TestBoardState::badSnapshotsAreRefused()
{
    QFETCH(QJsonObject, board);
    QFETCH(QString, error);
    QString actual;
    QVERIFY(!BoardState::fromSnapshot(42, 1, board, &actual));
    QCOMPARE(actual, error);
}

void TestBoardState::cardMoved()
{
    BoardState s = snapshot();
    // #3 from "To do" to the top of "Done".
    QCOMPARE(s.apply(moved(13, 3, 1, 2, -1, 18)), BoardState::Applied::Changed);
    QCOMPARE(cards(s, 1), (QList<qint64>{4}));
    QCOMPARE(cards(s, 2), (QList<qint64>{3, 5}));
    QCOMPARE(s.card(13)->title, u"Fix X"_s); // what the model knew stays
    QCOMPARE(s.seq(), 18);
    // Within a column, to the end.
    QCOMPARE(s.apply(moved(13, 3, 2, 2, 5, 19)), BoardState::Applied::Changed);
    QCOMPARE(cards(s, 2), (QList<qint64>{5, 3}));
}

void TestBoardState::cardLinkedAndUnlinked()
{
    BoardState s = snapshot();
    const QJsonObject linked{{u"issue_id"_s, 20},     {u"column_id"_s, 2},    {u"issue_index"_s, 9},
                             {u"repo"_s, u"bob/x"_s}, {u"title"_s, u"New"_s}, {u"sorting"_s, -5}};
    QCOMPARE(s.apply(boardEvent(u"card.linked"_s, linked, 18)), BoardState::Applied::Changed);
    QCOMPARE(cards(s, 2), (QList<qint64>{9, 5}));
    QCOMPARE(s.card(20)->reference(), u"bob/x#9"_s);
    QCOMPARE(s.card(20)->title, u"New"_s);
    // Without the optional fields: appended, named by its id.
    QCOMPARE(s.apply(boardEvent(u"card.linked"_s, {{u"issue_id"_s, 21}, {u"column_id"_s, 1}}, 19)),
             BoardState::Applied::Changed);
    QCOMPARE(s.column(1)->cards.last().issueId, 21);
    QCOMPARE(s.card(21)->reference(), u"issue 21"_s);

    QCOMPARE(s.apply(boardEvent(u"card.unlinked"_s, {{u"issue_id"_s, 13}, {u"column_id"_s, 1}}, 20)),
             BoardState::Applied::Changed);
    QVERIFY(!s.card(13));
    QCOMPARE(s.column(1)->cards.size(), 2);
}

void TestBoardState::columnCreatedUpdatedDeleted()
{
    BoardState s = snapshot();
    QCOMPARE(s.apply(columnEvent(u"column.created"_s, 3, u"Doing"_s, 0, 18)), BoardState::Applied::Changed);
    // Equal sorting: the new column comes after the one already there.
    QCOMPARE(titles(s), (QStringList{u"To do"_s, u"Doing"_s, u"Done"_s}));
    QCOMPARE(s.column(3)->color, u"#aa0000"_s);

    QCOMPARE(s.apply(columnEvent(u"column.updated"_s, 3, u"In progress"_s, 5, 19, true)),
             BoardState::Applied::Changed);
    QCOMPARE(titles(s), (QStringList{u"To do"_s, u"Done"_s, u"In progress"_s}));
    QVERIFY(s.column(3)->isDefault);
    QVERIFY(!s.column(1)->isDefault); // one default column per board

    // "To do"'s cards go after the ones of "Done".
    QCOMPARE(
        s.apply(boardEvent(u"column.deleted"_s, {{u"column_id"_s, 1}, {u"moved_to_column_id"_s, 2}}, 20)),
        BoardState::Applied::Changed);
    QCOMPARE(titles(s), (QStringList{u"Done"_s, u"In progress"_s}));
    QCOMPARE(cards(s, 2), (QList<qint64>{5, 3, 4}));
}

void TestBoardState::columnReordered()
{
    BoardState s = snapshot();
    const QJsonArray order{QJsonObject{{u"column_id"_s, 1}, {u"sorting"_s, 9}},
                           QJsonObject{{u"column_id"_s, 2}, {u"sorting"_s, 2}}};
    QCOMPARE(s.apply(boardEvent(u"column.reordered"_s, {{u"columns"_s, order}}, 18)),
             BoardState::Applied::Changed);
    QCOMPARE(titles(s), (QStringList{u"Done"_s, u"To do"_s}));
}

void TestBoardState::projectUpdated()
{
    BoardState s = snapshot();
    QCOMPARE(s.apply(boardEvent(
                 u"project.updated"_s,
                 {{u"title"_s, u"Plan"_s}, {u"description"_s, u"New"_s}, {u"is_closed"_s, true}}, 18)),
             BoardState::Applied::Changed);
    QCOMPARE(s.title(), u"Plan"_s);
    QCOMPARE(s.description(), u"New"_s);
    QVERIFY(s.isClosed());
}

void TestBoardState::projectDeleted()
{
    BoardState s = snapshot();
    QCOMPARE(s.apply(boardEvent(u"project.deleted"_s, {}, 18)), BoardState::Applied::Changed);
    QVERIFY(s.isDeleted());
    // Nothing changes a deleted board any more.
    QCOMPARE(s.apply(moved(13, 3, 1, 2, 0, 19)), BoardState::Applied::Stale);
    QCOMPARE(s.apply(moved(13, 3, 1, 2, 0, std::nullopt)), BoardState::Applied::Stale);
    QCOMPARE(cards(s, 1), (QList<qint64>{3, 4}));
}

void TestBoardState::eventsNamingUnknownThingsDiverge()
{
    const BoardState original = snapshot();
    const QList<protocol::BoardEvent> events{
        moved(99, 3, 1, 2, 0, 18),                                                      // unknown card
        moved(13, 3, 1, 77, 0, 18),                                                     // unknown column
        boardEvent(u"card.linked"_s, {{u"issue_id"_s, 20}, {u"column_id"_s, 77}}, 18),  // unknown column
        boardEvent(u"card.unlinked"_s, {{u"issue_id"_s, 99}, {u"column_id"_s, 1}}, 18), // unknown card
        columnEvent(u"column.updated"_s, 77, u"x"_s, 0, 18),                            // unknown column
        boardEvent(u"column.deleted"_s, {{u"column_id"_s, 1}, {u"moved_to_column_id"_s, 77}}, 18),
        boardEvent(u"column.deleted"_s, {{u"column_id"_s, 1}, {u"moved_to_column_id"_s, 1}}, 18),
        boardEvent(u"column.reordered"_s,
                   {{u"columns"_s, QJsonArray{QJsonObject{{u"column_id"_s, 77}, {u"sorting"_s, 1}}}}}, 18),
    };
    for (const protocol::BoardEvent& e : events) {
        BoardState s = original;
        QCOMPARE(s.apply(e), BoardState::Applied::Diverged);
        // Nothing half-applied, seq not advanced.
        QCOMPARE(s.columns(), original.columns());
        QCOMPARE(s.seq(), 17);
    }
}

void TestBoardState::seqOrder()
{
    BoardState s = snapshot(17);
    QCOMPARE(s.apply(moved(13, 3, 1, 2, 0, 17)), BoardState::Applied::Stale);
    QCOMPARE(s.apply(moved(13, 3, 1, 2, 0, 3)), BoardState::Applied::Stale);
    QCOMPARE(cards(s, 1), (QList<qint64>{3, 4}));
    QCOMPARE(s.apply(moved(13, 3, 1, 2, 0, 19)), BoardState::Applied::Gap);
    QCOMPARE(cards(s, 1), (QList<qint64>{3, 4}));
    QCOMPARE(s.seq(), 17);
    QCOMPARE(s.apply(moved(13, 3, 1, 2, 0, 18)), BoardState::Applied::Changed);
    QCOMPARE(s.seq(), 18);
    // Without a snapshot a seq has nothing to follow.
    BoardState empty(42);
    QCOMPARE(empty.apply(moved(13, 3, 1, 2, 0, 1)), BoardState::Applied::Gap);
}

void TestBoardState::eventsWithoutSeqApplyToTheModel()
{
    // A board event without seq (a v1 server) still changes what the model shows; the seq stays.
    BoardState s = snapshot(17);
    QCOMPARE(s.apply(moved(13, 3, 1, 2, 0, std::nullopt)), BoardState::Applied::Changed);
    QCOMPARE(cards(s, 2), (QList<qint64>{5, 3}));
    QCOMPARE(s.seq(), 17);
    // A v1 board: no snapshot, the project's own fields and columns still show.
    BoardState v1(42);
    QCOMPARE(v1.apply(columnEvent(u"column.created"_s, 3, u"Doing"_s, 0, std::nullopt)),
             BoardState::Applied::Changed);
    QCOMPARE(titles(v1), QStringList{u"Doing"_s});
    QVERIFY(!v1.hasSnapshot());
    QCOMPARE(v1.displayTitle(), u"Project board 42"_s);
}

void TestBoardState::projectAndIssueLinks()
{
    const QUrl forge(u"https://git.example.org/sub/"_s);
    QCOMPARE(snapshot(1).projectUrl(forge), QUrl(u"https://git.example.org/sub/alice/proj/projects/42"_s));
    // User and org projects live under the owner with "-" for the repository.
    QCOMPARE(snapshot(1, QJsonValue::Null).projectUrl(forge),
             QUrl(u"https://git.example.org/sub/alice/-/projects/42"_s));
    QCOMPARE(BoardState(42).projectUrl(forge), QUrl());
    QCOMPARE(snapshot(1).projectUrl(QUrl()), QUrl());
    const BoardState s = snapshot();
    QCOMPARE(BoardState::issueUrl(forge, *s.card(13)),
             QUrl(u"https://git.example.org/sub/alice/proj/issues/3"_s));
    BoardCard unnamed;
    unnamed.issueId = 5;
    QCOMPARE(BoardState::issueUrl(forge, unnamed), QUrl());
}

void TestBoardState::renderText()
{
    BoardState s = snapshot();
    QCOMPARE(s.renderText(), u"== Roadmap — alice/proj [seq 17]\n"
                             u"What comes next\n"
                             u"-- To do (2) *\n"
                             u"   [ ] alice/proj#3 Fix X\n"
                             u"   [ ] alice/proj#4 Write docs\n"
                             u"-- Done (1)\n"
                             u"   [x] alice/proj#5 Ship it\n"_s);
    s.apply(boardEvent(u"project.deleted"_s, {}, 18));
    QCOMPARE(s.renderText(), u"== Roadmap — alice/proj [seq 18]\n(this project was deleted)\n"_s);
}

void TestBoardState::codecRoundTrip()
{
    // The v1.1 messages as the server sends them, through the shared codec.
    const QByteArray snapshotJson =
        R"({"type":"board-snapshot","topic":"project-board.42","seq":17,"board":{"title":"R","columns":[]}})";
    const auto decoded = protocol::decodeServerMessage(snapshotJson);
    QVERIFY2(decoded, qPrintable(decoded.error));
    const auto& snap = std::get<protocol::BoardSnapshot>(*decoded.value);
    QCOMPARE(snap.seq, 17);
    QCOMPARE(snap.board.value(u"title"_s).toString(), u"R"_s);
    QCOMPARE(protocol::decodeServerMessage(protocol::encode(*decoded.value)).value, decoded.value);

    const auto board = protocol::decodeServerMessage(
        R"({"type":"board","topic":"project-board.42","event":"project.deleted","data":{},"seq":18})");
    QVERIFY2(board, qPrintable(board.error));
    QCOMPARE(std::get<protocol::BoardEvent>(*board.value).seq, 18);
    QVERIFY(!protocol::decodeServerMessage(
        R"({"type":"board","topic":"project-board.42","event":"project.deleted","data":{},"seq":"x"})"));

    const auto boards = protocol::decodeServerMessage(
        R"({"type":"boards","boards":[{"topic":"project-board.42","title":"Roadmap","owner":"alice","repo":"proj"},)"
        R"({"topic":"project-board.7","title":"Org","owner":"acme","repo":null}]})");
    QVERIFY2(boards, qPrintable(boards.error));
    const auto& list = std::get<protocol::Boards>(*boards.value).boards;
    QCOMPARE(list.size(), 2);
    QCOMPARE(list.at(1).repo, QString());
    QCOMPARE(protocol::toJson(*boards.value).value(u"boards"_s).toArray().at(1).toObject().value(u"repo"_s),
             QJsonValue(QJsonValue::Null));
    QVERIFY(!protocol::decodeServerMessage(R"({"type":"boards","boards":[{"topic":1}]})"));

    QCOMPARE(protocol::encode(protocol::ClientMessage(protocol::Resync{kTopic})),
             QByteArray(R"({"topic":"project-board.42","type":"resync"})"));
    QCOMPARE(protocol::encode(protocol::ClientMessage(protocol::ListBoards{})),
             QByteArray(R"({"type":"list-boards"})"));
}

void TestBoardState::liveBoardsAppliesAndResyncsOnGap()
{
    LiveBoards live;
    live.track(42);
    live.setConnected(true);
    QSignalSpy changed(&live, &LiveBoards::boardChanged);
    QSignalSpy resync(&live, &LiveBoards::resyncNeeded);
    QVERIFY(!live.isLive(42));
    QVERIFY(!live.handle(protocol::Subscribed{kTopic}));
    QVERIFY(live.isLive(42));
    QVERIFY(live.handle(snapshotMessage(17)));
    QCOMPARE(changed.size(), 1);
    QCOMPARE(live.board(42)->seq(), 17);

    QVERIFY(live.handle(moved(13, 3, 1, 2, 0, 18)));
    QCOMPARE(changed.size(), 2);
    QCOMPARE(changed.last().at(1).value<protocol::BoardEvent>().event, u"card.moved"_s);
    QVERIFY(live.handle(moved(13, 3, 2, 1, 0, 18))); // duplicate: ignored
    QCOMPARE(changed.size(), 2);
    QCOMPARE(resync.size(), 0);

    // 19 and 20 lost: one resync, however many events follow the gap.
    QVERIFY(live.handle(moved(13, 3, 2, 1, 0, 21)));
    QVERIFY(live.handle(moved(13, 3, 1, 2, 0, 22)));
    QCOMPARE(resync.size(), 1);
    QCOMPARE(resync.first().at(0).toString(), kTopic);
    QCOMPARE(changed.size(), 2);
    QCOMPARE(live.board(42)->seq(), 18);
}

void TestBoardState::liveBoardsResyncSnapshotReplaces()
{
    LiveBoards live;
    live.track(42);
    live.setConnected(true);
    live.handle(protocol::Subscribed{kTopic});
    live.handle(snapshotMessage(17));
    QSignalSpy resync(&live, &LiveBoards::resyncNeeded);
    live.handle(moved(13, 3, 1, 2, 0, 30));
    QCOMPARE(resync.size(), 1);

    // The answer: the server's board at 30, where #3 is already done and a column was added.
    QJsonObject board = roadmap();
    QJsonArray columns = board.value(u"columns"_s).toArray();
    columns.append(QJsonObject{{u"column_id"_s, 3}, {u"title"_s, u"Later"_s}, {u"sorting"_s, 5}});
    board.insert(u"columns"_s, columns);
    live.handle(snapshotMessage(30, board));
    QCOMPARE(live.board(42)->seq(), 30);
    QCOMPARE(titles(*live.board(42)), (QStringList{u"To do"_s, u"Done"_s, u"Later"_s}));
    live.handle(moved(13, 3, 1, 2, 0, 30)); // the one that had the gap: now stale
    QCOMPARE(cards(*live.board(42), 1), (QList<qint64>{3, 4}));
    live.handle(moved(13, 3, 1, 3, 0, 31));
    QCOMPARE(cards(*live.board(42), 3), QList<qint64>{3});
    // A new gap asks again: the first resync was answered.
    live.handle(moved(13, 3, 3, 1, 0, 40));
    QCOMPARE(resync.size(), 2);

    // A malformed snapshot keeps the model.
    live.handle(snapshotMessage(50, QJsonObject{{u"title"_s, u"broken"_s}}));
    QCOMPARE(live.board(42)->seq(), 31);
}

void TestBoardState::liveBoardsDivergedEventResyncs()
{
    LiveBoards live;
    live.track(42);
    live.handle(snapshotMessage(17));
    QSignalSpy resync(&live, &LiveBoards::resyncNeeded);
    live.handle(moved(99, 9, 1, 2, 0, 18));
    QCOMPARE(resync.size(), 1);
    // A v1 board (no snapshot, no seq) has nothing to resync from.
    live.track(7);
    protocol::BoardEvent v1 =
        boardEvent(u"card.unlinked"_s, {{u"issue_id"_s, 1}, {u"column_id"_s, 1}}, std::nullopt);
    v1.topic = u"project-board.7"_s;
    live.handle(v1);
    QCOMPARE(resync.size(), 1);
}

void TestBoardState::liveBoardsReconnect()
{
    LiveBoards live;
    live.track(42);
    live.setConnected(true);
    live.handle(protocol::Subscribed{kTopic});
    live.handle(snapshotMessage(17));
    QSignalSpy status(&live, &LiveBoards::boardStatusChanged);
    QSignalSpy resync(&live, &LiveBoards::resyncNeeded);
    live.handle(moved(13, 3, 1, 2, 0, 25)); // gap: resync asked...
    QCOMPARE(resync.size(), 1);

    live.setConnected(false); // ...and never answered: the socket went away
    QVERIFY(!live.isLive(42));
    QCOMPARE(status.size(), 1);
    QCOMPARE(live.board(42)->title(), u"Roadmap"_s); // the last board stays on show

    // The new socket: subscribed, then the snapshot replaces the model.
    live.setConnected(true);
    live.handle(protocol::Subscribed{kTopic});
    QVERIFY(live.isLive(42));
    live.handle(snapshotMessage(25));
    QCOMPARE(live.board(42)->seq(), 25);
    live.handle(moved(13, 3, 1, 2, 0, 27));
    QCOMPARE(resync.size(), 2); // asked again on the new socket
}

void TestBoardState::liveBoardsDeletion()
{
    LiveBoards live;
    live.track(42);
    live.setConnected(true);
    live.handle(protocol::Subscribed{kTopic});
    live.handle(snapshotMessage(17));
    QSignalSpy status(&live, &LiveBoards::boardStatusChanged);
    QSignalSpy changed(&live, &LiveBoards::boardChanged);
    live.handle(boardEvent(u"project.deleted"_s, {}, 18));
    QVERIFY(live.board(42)->isDeleted());
    QCOMPARE(status.size(), 1);
    QCOMPARE(changed.size(), 1);
    live.handle(protocol::Unsubscribed{kTopic});
    live.handle(moved(13, 3, 1, 2, 0, 19));
    QCOMPARE(changed.size(), 1);
    // A deleted board is not "reconnecting" when the connection drops.
    live.setConnected(false);
    QCOMPARE(status.size(), 1);
}

void TestBoardState::liveBoardsRefusalAndList()
{
    LiveBoards live;
    live.track(42);
    QSignalSpy status(&live, &LiveBoards::boardStatusChanged);
    QVERIFY(!live.handle(protocol::Error{protocol::ErrorCode::RateLimited, u"slow down"_s, kTopic}));
    QCOMPARE(live.refusal(42), QString());
    QVERIFY(!live.handle(protocol::Error{protocol::ErrorCode::Forbidden, u"no access"_s, kTopic}));
    QCOMPARE(live.refusal(42), u"no access"_s);
    QCOMPARE(status.size(), 1);
    live.handle(protocol::Subscribed{kTopic});
    QCOMPARE(live.refusal(42), QString());

    QSignalSpy listed(&live, &LiveBoards::boardsListed);
    QVERIFY(live.handle(protocol::Boards{{{kTopic, u"Roadmap"_s, u"alice"_s, u"proj"_s}}}));
    QCOMPARE(listed.size(), 1);
    QCOMPARE(live.listed().first().title, u"Roadmap"_s);
}

void TestBoardState::liveBoardsIgnoresUntracked()
{
    LiveBoards live;
    QSignalSpy changed(&live, &LiveBoards::boardChanged);
    QVERIFY(live.handle(snapshotMessage(17)));
    QVERIFY(live.handle(moved(13, 3, 1, 2, 0, 18)));
    QCOMPARE(changed.size(), 0);
    QVERIFY(!live.board(42));
    live.track(42);
    live.handle(snapshotMessage(17));
    live.untrack(42);
    QVERIFY(!live.board(42));
    QVERIFY(!live.handle(protocol::NotificationCount{3}));
}

void TestBoardState::headlessBoardFormat()
{
    QBuffer out;
    out.open(QIODevice::WriteOnly);
    LiveBoards live;
    HeadlessPrinter printer(TrayOptions::Format::Board, &out, nullptr);
    printer.setBoards(&live);
    live.track(42);
    live.setConnected(true);
    live.handle(protocol::Subscribed{kTopic});
    QCOMPARE(out.data(), QByteArray()); // nothing to show before the snapshot
    live.handle(snapshotMessage(17));
    const QByteArray first = out.data();
    QVERIFY2(first.startsWith("== Roadmap — alice/proj [seq 17]\nWhat comes next\n-- To do (2) *\n"),
             first.constData());
    QVERIFY(first.endsWith("   [x] alice/proj#5 Ship it\n\n")); // an empty line after each board
    live.handle(moved(13, 3, 1, 2, 0, 18));
    const QByteArray second = out.data().mid(first.size());
    QVERIFY2(second.contains("-- To do (1) *\n   [ ] alice/proj#4 Write docs\n-- Done (2)\n   [x] "
                             "alice/proj#5 Ship it\n   [ ] alice/proj#3 Fix X"),
             second.constData());
    live.setConnected(false);
    QVERIFY(out.data().endsWith("(reconnecting…)\n\n"));
    live.setConnected(true);
    live.handle(protocol::Subscribed{kTopic});
    live.handle(snapshotMessage(18));
    live.handle(boardEvent(u"project.deleted"_s, {}, 19));
    QVERIFY(out.data().endsWith("[seq 19]\n(this project was deleted)\n\n"));
}

void TestBoardState::headlessJsonFormat()
{
    QBuffer out;
    out.open(QIODevice::WriteOnly);
    HeadlessPrinter printer(TrayOptions::Format::Json, &out, nullptr);
    printer.print(snapshotMessage(17, QJsonObject{{u"title"_s, u"R"_s}, {u"columns"_s, QJsonArray()}}));
    printer.print(moved(13, 3, 1, 2, 0, 18));
    const QList<QByteArray> lines = out.data().split('\n');
    QCOMPARE(lines.size(), 3);
    QCOMPARE(protocol::parseObject(lines.at(0)).value->value(u"type"_s).toString(), u"board-snapshot"_s);
    QCOMPARE(protocol::parseObject(lines.at(0)).value->value(u"seq"_s).toInteger(), 17);
    QCOMPARE(protocol::parseObject(lines.at(1)).value->value(u"seq"_s).toInteger(), 18);
}

QTEST_GUILESS_MAIN(TestBoardState)
#include "tst_boardstate.moc"
