// The live board model (PROTOCOL.md v1.1) on its own: every board event applied to a snapshot, the
// 409 cases leaving the board untouched, snapshot validation and its bounds, and the embedded engine
// applying a batch all or nothing.

#include "BoardCases.h"
#include "broker/BoardModel.h"
#include "config/ServerLimits.h"
#include "engine/EmbeddedEngine.h"
#include "protocol/Topic.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

QJsonObject base()
{
    QJsonObject board;
    const BoardModel::Result r = BoardModel::parseSnapshot(baseBoard(), &board);
    if (!r.ok())
        qFatal("base board rejected: %s", qPrintable(r.error));
    return board;
}

QByteArray boardWith(int columns, int cardsPerColumn)
{
    QJsonArray list;
    int issue = 1;
    for (int c = 1; c <= columns; ++c) {
        QJsonArray cards;
        for (int i = 0; i < cardsPerColumn; ++i)
            cards.append(QJsonObject{{u"issue_id"_s, issue++}, {u"title"_s, u"t"_s}});
        list.append(QJsonObject{{u"column_id"_s, c}, {u"title"_s, u"c"_s}, {u"cards"_s, cards}});
    }
    return QJsonDocument(QJsonObject{{u"title"_s, u"B"_s}, {u"columns"_s, list}})
        .toJson(QJsonDocument::Compact);
}

QByteArray eventMessage(const char* event, const char* data)
{
    return QByteArray(R"({"type":"board","topic":"project-board.1","event":")") + event + R"(","data":)" +
           data + '}';
}

} // namespace

class TestBoardModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void applyEvent_data();
    void applyEvent();
    void cardLinkedCarriesItsFields();
    void projectDeletedLeavesTheBoard();
    void snapshotNormalised();
    void badSnapshot_data();
    void badSnapshot();
    void snapshotSizeBound();
    void snapshotCardBound();
    void snapshotColumnBound();
    void linkPastCardBoundRefused();
    void withSeqAndStoredForm();
    void embeddedBatchAllOrNothing();
};

void TestBoardModel::applyEvent_data()
{
    QTest::addColumn<QString>("event");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<bool>("conflict");
    QTest::addColumn<QString>("expected");
    for (const BoardCase& c : boardCases())
        QTest::newRow(c.name) << QString::fromLatin1(c.event) << QByteArray(c.data) << c.conflict
                              << QString::fromLatin1(c.layout);
}

void TestBoardModel::applyEvent()
{
    QFETCH(QString, event);
    QFETCH(QByteArray, data);
    QFETCH(bool, conflict);
    QFETCH(QString, expected);
    QJsonObject board = base();
    const QString before = layout(board);
    const BoardModel::Result r = BoardModel::apply(board, event, QJsonDocument::fromJson(data).object());
    if (conflict) {
        QCOMPARE(r.status, BoardModel::Status::Conflict);
        QVERIFY(!r.error.isEmpty());
        QCOMPARE(layout(board), before);
        QCOMPARE(board, base());
    } else {
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(layout(board), expected);
    }
}

void TestBoardModel::cardLinkedCarriesItsFields()
{
    QJsonObject board = base();
    QVERIFY(BoardModel::applyMessage(board, eventMessage("card.linked", R"({"issue_id":20,"column_id":3,
        "issue_index":9,"repo":"alice/other","title":"New card","sorting":4})"))
                .ok());
    const QJsonObject card =
        board.value("columns"_L1).toArray()[2].toObject().value("cards"_L1).toArray()[0].toObject();
    QCOMPARE(card.value("issue_id"_L1).toInt(), 20);
    QCOMPARE(card.value("issue_index"_L1).toInt(), 9);
    QCOMPARE(card.value("repo"_L1).toString(), u"alice/other"_s);
    QCOMPARE(card.value("title"_L1).toString(), u"New card"_s);
    QCOMPARE(card.value("sorting"_L1).toInt(), 4);
    QCOMPARE(card.value("is_closed"_L1).toBool(true), false);
    // A moved card keeps its title and takes the event's index, repo and sorting.
    QVERIFY(BoardModel::apply(board, u"card.moved"_s,
                              QJsonDocument::fromJson(R"({"issue_id":20,"issue_index":10,
        "repo":"alice/moved","from_column_id":3,"to_column_id":1,"sorting":7})")
                                  .object())
                .ok());
    const QJsonObject moved =
        board.value("columns"_L1).toArray()[0].toObject().value("cards"_L1).toArray()[2].toObject();
    QCOMPARE(moved.value("title"_L1).toString(), u"New card"_s);
    QCOMPARE(moved.value("repo"_L1).toString(), u"alice/moved"_s);
    QCOMPARE(moved.value("issue_index"_L1).toInt(), 10);
}

void TestBoardModel::projectDeletedLeavesTheBoard()
{
    QJsonObject board = base();
    QVERIFY(BoardModel::apply(board, u"project.deleted"_s, {}).ok());
    QCOMPARE(board, base());
    QCOMPARE(BoardModel::apply(board, u"card.flipped"_s, {}).status, BoardModel::Status::BadRequest);
}

void TestBoardModel::snapshotNormalised()
{
    QJsonObject board;
    QVERIFY(BoardModel::parseSnapshot(
                R"({"title":"T","extra":1,"columns":[{"column_id":2,"title":"B","sorting":3},
        {"column_id":1,"title":"A","sorting":1,"cards":[{"issue_id":5,"sorting":2},{"issue_id":4,"sorting":1}]}]})",
                &board)
                .ok());
    QVERIFY(!board.contains("extra"_L1));
    QCOMPARE(board.value("repo"_L1).type(), QJsonValue::Null);
    QCOMPARE(board.value("description"_L1).toString(u"x"_s), QString());
    QCOMPARE(layout(board), u"T|1 A:4,5|2 B:"_s);
    QCOMPARE(BoardModel::summary(u"project-board.3"_s, board),
             QJsonObject({{u"topic"_s, u"project-board.3"_s},
                          {u"title"_s, u"T"_s},
                          {u"owner"_s, u""_s},
                          {u"repo"_s, QJsonValue(QJsonValue::Null)}}));
}

void TestBoardModel::badSnapshot_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("not json") << QByteArray("{");
    QTest::newRow("array") << QByteArray("[]");
    QTest::newRow("no title") << QByteArray(R"({"columns":[]})");
    QTest::newRow("no columns") << QByteArray(R"({"title":"T"})");
    QTest::newRow("repo number") << QByteArray(R"({"title":"T","repo":3,"columns":[]})");
    QTest::newRow("column id text") << QByteArray(
        R"({"title":"T","columns":[{"column_id":"1","title":"A"}]})");
    QTest::newRow("column id fraction")
        << QByteArray(R"({"title":"T","columns":[{"column_id":1.5,"title":"A"}]})");
    QTest::newRow("duplicate column")
        << QByteArray(R"({"title":"T","columns":[{"column_id":1,"title":"A"},{"column_id":1,"title":"B"}]})");
    QTest::newRow("duplicate issue") << QByteArray(
        R"({"title":"T","columns":[{"column_id":1,"title":"A","cards":[{"issue_id":1}]},{"column_id":2,"title":"B","cards":[{"issue_id":1}]}]})");
    QTest::newRow("card without id") << QByteArray(
        R"({"title":"T","columns":[{"column_id":1,"title":"A","cards":[{"title":"x"}]}]})");
    QTest::newRow("card title number") << QByteArray(
        R"({"title":"T","columns":[{"column_id":1,"title":"A","cards":[{"issue_id":1,"title":2}]}]})");
}

void TestBoardModel::badSnapshot()
{
    QFETCH(QByteArray, body);
    QJsonObject board;
    const BoardModel::Result r = BoardModel::parseSnapshot(body, &board);
    QCOMPARE(r.status, BoardModel::Status::BadRequest);
    QVERIFY(!r.error.isEmpty());
}

void TestBoardModel::snapshotSizeBound()
{
    QJsonObject board;
    QByteArray body = baseBoard();
    body.insert(body.size() - 1, QByteArray(",\"pad\":\"") +
                                     QByteArray(limits::kMaxBoardSnapshotBytes - body.size() - 10, 'x') +
                                     "\"");
    QVERIFY(body.size() <= limits::kMaxBoardSnapshotBytes);
    QVERIFY(BoardModel::parseSnapshot(body, &board).ok());
    body.insert(body.size() - 3, QByteArray(20, 'x'));
    const BoardModel::Result r = BoardModel::parseSnapshot(body, &board);
    QCOMPARE(r.status, BoardModel::Status::TooLarge);
    QVERIFY(r.error.contains(QString::number(limits::kMaxBoardSnapshotBytes)));
}

void TestBoardModel::snapshotCardBound()
{
    QJsonObject board;
    QVERIFY(BoardModel::parseSnapshot(boardWith(4, limits::kMaxBoardCards / 4), &board).ok());
    const BoardModel::Result r = BoardModel::parseSnapshot(boardWith(1, limits::kMaxBoardCards + 1), &board);
    QCOMPARE(r.status, BoardModel::Status::BadRequest);
    QVERIFY(r.error.contains(QString::number(limits::kMaxBoardCards)));
}

void TestBoardModel::snapshotColumnBound()
{
    QJsonObject board;
    QVERIFY(BoardModel::parseSnapshot(boardWith(limits::kMaxBoardColumns, 0), &board).ok());
    const BoardModel::Result r =
        BoardModel::parseSnapshot(boardWith(limits::kMaxBoardColumns + 1, 0), &board);
    QCOMPARE(r.status, BoardModel::Status::BadRequest);
    QVERIFY(r.error.contains(QString::number(limits::kMaxBoardColumns)));
    // Nor can column.created grow a full board past it.
    QVERIFY(BoardModel::parseSnapshot(boardWith(limits::kMaxBoardColumns, 0), &board).ok());
    QVERIFY(!BoardModel::apply(board, u"column.created"_s,
                               QJsonDocument::fromJson(R"({"column_id":999,"title":"x","color":"","sorting":0,
                                   "default":false})")
                                   .object())
                 .ok());
}

void TestBoardModel::linkPastCardBoundRefused()
{
    QJsonObject board;
    QVERIFY(BoardModel::parseSnapshot(boardWith(1, limits::kMaxBoardCards), &board).ok());
    const QJsonObject before = board;
    QVERIFY(!BoardModel::apply(board, u"card.linked"_s,
                               QJsonDocument::fromJson(R"({"issue_id":999999,"column_id":1})").object())
                 .ok());
    QCOMPARE(board, before);
}

void TestBoardModel::withSeqAndStoredForm()
{
    QCOMPARE(BoardModel::withSeq(R"({"type":"board","data":{}})", 17),
             QByteArray(R"({"type":"board","data":{},"seq":17})"));
    const QJsonObject snapshot =
        QJsonDocument::fromJson(BoardModel::snapshotMessage(u"project-board.4"_s, 3, base())).object();
    QCOMPARE(snapshot.value("type"_L1).toString(), u"board-snapshot"_s);
    QCOMPARE(snapshot.value("topic"_L1).toString(), u"project-board.4"_s);
    QCOMPARE(snapshot.value("seq"_L1).toInt(), 3);
    QCOMPARE(snapshot.value("board"_L1).toObject(), base());
    // Lua's cjson writes an empty array as an empty object.
    const QJsonObject stored =
        BoardModel::fromStored(R"({"title":"T","columns":[{"column_id":1,"title":"A","cards":{}}]})");
    QVERIFY(stored.value("columns"_L1).toArray()[0].toObject().value("cards"_L1).isArray());
}

void TestBoardModel::embeddedBatchAllOrNothing()
{
    EmbeddedEngine engine(u":memory:"_s);
    engine.start();
    QVERIFY(engine.isReady());
    QSignalSpy delivered(&engine, &Engine::delivered);
    qint64 seq = 0;
    engine.storeBoard(1, base(), ProjectAccess{}, [&](qint64 s, const QString& error) {
        QVERIFY(error.isEmpty());
        seq = s;
    });
    QCOMPARE(seq, 1);
    QCOMPARE(delivered.size(), 1);
    auto publication = [](const char* event, const char* data) {
        Publication p;
        p.topic = Topic::projectBoard(1);
        p.type = u"board"_s;
        p.payload = eventMessage(event, data);
        return p;
    };
    // The first event fits, the second does not: neither is applied nor sent.
    QString error;
    engine.publish({publication("card.unlinked", R"({"issue_id":12,"column_id":1})"),
                    publication("card.unlinked", R"({"issue_id":12,"column_id":1})")},
                   [&](const QString& e) { error = e; });
    QVERIFY(Engine::isConflict(error));
    QCOMPARE(delivered.size(), 1);
    std::optional<BoardState> state;
    engine.board(1, [&](std::optional<BoardState> s) { state = s; });
    QVERIFY(state);
    QCOMPARE(state->seq, 1);
    QCOMPARE(layout(state->board), layout(base()));
    // Both fitting: two seqs, in order.
    engine.publish({publication("card.unlinked", R"({"issue_id":12,"column_id":1})"),
                    publication("card.unlinked", R"({"issue_id":11,"column_id":1})")},
                   [&](const QString& e) { error = e; });
    QCOMPARE(error, QString());
    QCOMPARE(delivered.size(), 3);
    QCOMPARE(delivered[1][0].value<Publication>().seq, 2);
    QVERIFY(delivered[2][0].value<Publication>().payload.endsWith(",\"seq\":3}"));
}

QTEST_GUILESS_MAIN(TestBoardModel)
#include "tst_boardmodel.moc"
