// Board events to notifications: watched boards only, own echoes dropped, bursts folded, texts and
// links.

#include "model/BoardWatcher.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

Q_DECLARE_METATYPE(forgewire::protocol::BoardEvent)

namespace {

protocol::BoardEvent boardEvent(qint64 project, const QString& name, const QJsonObject& data,
                                const QString& tag = {})
{
    return protocol::BoardEvent{u"project-board.%1"_s.arg(project), name, data, tag};
}

protocol::BoardEvent cardMoved(qint64 project, qint64 index, qint64 toColumn = 2)
{
    return boardEvent(project, u"card.moved"_s,
                      {{u"issue_id"_s, 100 + index},
                       {u"issue_index"_s, index},
                       {u"repo"_s, u"alice/proj"_s},
                       {u"from_column_id"_s, 1},
                       {u"to_column_id"_s, toColumn},
                       {u"sorting"_s, 0}});
}

protocol::BoardEvent columnCreated(qint64 project, qint64 column, const QString& title)
{
    return boardEvent(project, u"column.created"_s,
                      {{u"column_id"_s, column},
                       {u"title"_s, title},
                       {u"color"_s, u"#00ff00"_s},
                       {u"sorting"_s, 1},
                       {u"default"_s, false}});
}

// "To do" (1) with alice/proj#3 "Fix X" and #4 "Write docs", owned by alice.
QJsonObject roadmap(const QJsonValue& repo)
{
    const auto card = [](qint64 id, qint64 index, const QString& title) {
        return QJsonObject{{u"issue_id"_s, id}, {u"issue_index"_s, index}, {u"repo"_s, u"alice/proj"_s},
                           {u"title"_s, title}, {u"sorting"_s, index},     {u"is_closed"_s, false}};
    };
    return QJsonObject{
        {u"title"_s, u"Roadmap"_s},
        {u"owner"_s, u"alice"_s},
        {u"repo"_s, repo},
        {u"columns"_s, QJsonArray{QJsonObject{{u"column_id"_s, 1},
                                              {u"title"_s, u"To do"_s},
                                              {u"cards"_s, QJsonArray{card(13, 3, u"Fix X"_s),
                                                                      card(14, 4, u"Write docs"_s)}}}}}};
}

BoardNotification take(QSignalSpy& spy, int index)
{
    return spy.at(index).at(0).value<BoardNotification>();
}

} // namespace

class TestBoardWatcher : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void topicsOfWatchedBoards();
    void unwatchedAndOwnEventsAreDropped();
    void oneEventOneNotification();
    void burstIsFolded();
    void boardsAreNotifiedSeparately();
    void describe_data();
    void describe();
    void learnedNamesAndLinks();
    void projectLinkFromTheModel_data();
    void projectLinkFromTheModel();
    void linkedAndUnlinkedNameTheIssue();
    void unwatchingDropsPending();
};

void TestBoardWatcher::topicsOfWatchedBoards()
{
    BoardWatcher watcher;
    watcher.setWatched({42, 7, 42, -1, 0});
    QCOMPARE(watcher.watched(), (QList<qint64>{42, 7}));
    QCOMPARE(watcher.topics(), (QStringList{u"project-board.42"_s, u"project-board.7"_s}));
}

void TestBoardWatcher::unwatchedAndOwnEventsAreDropped()
{
    BoardWatcher watcher;
    watcher.setWatched({42});
    watcher.setOwnSessionTags({u"mine"_s, u"my-connection"_s});
    QVERIFY(!watcher.handle(cardMoved(43, 1)));
    QVERIFY(!watcher.handle(boardEvent(42, u"project.deleted"_s, {}, u"mine"_s)));
    QVERIFY(!watcher.handle(boardEvent(42, u"project.deleted"_s, {}, u"my-connection"_s)));
    QVERIFY(!watcher.handle(protocol::BoardEvent{u"public.news"_s, u"project.deleted"_s, {}, {}}));
    QVERIFY(watcher.handle(boardEvent(42, u"project.deleted"_s, {}, u"someone-else"_s)));
    QVERIFY(watcher.handle(boardEvent(42, u"project.deleted"_s, {})));
}

void TestBoardWatcher::oneEventOneNotification()
{
    BoardWatcher watcher;
    watcher.setWatched({42});
    watcher.setCoalesceWindow(50ms);
    watcher.setForgeUrl(QUrl(u"https://git.example.org/"_s));
    QSignalSpy spy(&watcher, &BoardWatcher::notificationReady);
    QVERIFY(watcher.handle(cardMoved(42, 3)));
    QCOMPARE(spy.size(), 0);
    QVERIFY(spy.wait(2000));
    const BoardNotification n = take(spy, 0);
    QCOMPARE(n.projectId, 42);
    QCOMPARE(n.changes, 1);
    QCOMPARE(n.title, u"Project board 42"_s);
    QCOMPARE(n.body, u"alice/proj#3 moved to column 2"_s);
    QCOMPARE(n.url, QUrl(u"https://git.example.org/alice/proj/issues/3"_s));
}

void TestBoardWatcher::burstIsFolded()
{
    BoardWatcher watcher;
    watcher.setWatched({42});
    watcher.setCoalesceWindow(200ms);
    QSignalSpy spy(&watcher, &BoardWatcher::notificationReady);
    for (int i = 1; i <= 5; ++i)
        QVERIFY(watcher.handle(cardMoved(42, i)));
    QVERIFY(spy.wait(3000));
    QTest::qWait(300);
    QCOMPARE(spy.size(), 1);
    const BoardNotification n = take(spy, 0);
    QCOMPARE(n.changes, 5);
    QCOMPARE(n.body, u"5 changes\n• alice/proj#1 moved to column 2\n• alice/proj#2 moved to column 2\n"
                     u"• alice/proj#3 moved to column 2\n… and 2 more"_s);
    // No forge URL: nothing to open.
    QVERIFY(n.url.isEmpty());
}

void TestBoardWatcher::boardsAreNotifiedSeparately()
{
    BoardWatcher watcher;
    watcher.setWatched({1, 2});
    QSignalSpy spy(&watcher, &BoardWatcher::notificationReady);
    watcher.handle(cardMoved(2, 1));
    watcher.handle(cardMoved(1, 1));
    watcher.handle(cardMoved(2, 2));
    watcher.flush();
    QCOMPARE(spy.size(), 2);
    QCOMPARE(take(spy, 0).projectId, 2);
    QCOMPARE(take(spy, 0).changes, 2);
    QCOMPARE(take(spy, 1).projectId, 1);
    QCOMPARE(take(spy, 1).changes, 1);
    // Flushed means nothing left for the timer.
    QVERIFY(!spy.wait(BoardWatcher::kCoalesceWindow.count() + 200));
}

void TestBoardWatcher::describe_data()
{
    QTest::addColumn<protocol::BoardEvent>("event");
    QTest::addColumn<QString>("text");
    QTest::newRow("card.moved") << cardMoved(1, 3, 9) << u"alice/proj#3 moved to column 9"_s;
    QTest::newRow("card.linked") << boardEvent(1, u"card.linked"_s, {{u"issue_id"_s, 5}, {u"column_id"_s, 4}})
                                 << u"A card was added to column 4"_s;
    QTest::newRow("card.unlinked") << boardEvent(1, u"card.unlinked"_s,
                                                 {{u"issue_id"_s, 5}, {u"column_id"_s, 4}})
                                   << u"A card was removed from column 4"_s;
    QTest::newRow("column.created") << columnCreated(1, 4, u"Doing"_s) << u"Column “Doing” added"_s;
    QTest::newRow("column.updated") << boardEvent(1, u"column.updated"_s,
                                                  {{u"column_id"_s, 4}, {u"title"_s, u"Done"_s}})
                                    << u"Column “Done” changed"_s;
    QTest::newRow("column.deleted") << boardEvent(1, u"column.deleted"_s,
                                                  {{u"column_id"_s, 4}, {u"moved_to_column_id"_s, 1}})
                                    << u"Deleted column 4; its cards went to column 1"_s;
    QTest::newRow("column.reordered")
        << boardEvent(1, u"column.reordered"_s, {{u"columns"_s, QJsonArray()}}) << u"Columns reordered"_s;
    QTest::newRow("project.updated") << boardEvent(1, u"project.updated"_s,
                                                   {{u"title"_s, u"Roadmap"_s},
                                                    {u"description"_s, QString()},
                                                    {u"is_closed"_s, false}})
                                     << u"Project “Roadmap” updated"_s;
    QTest::newRow("project closed") << boardEvent(1, u"project.updated"_s,
                                                  {{u"title"_s, u"Roadmap"_s},
                                                   {u"description"_s, QString()},
                                                   {u"is_closed"_s, true}})
                                    << u"Project “Roadmap” closed"_s;
    QTest::newRow("project.deleted") << boardEvent(1, u"project.deleted"_s, {})
                                     << u"The project was deleted"_s;
}

void TestBoardWatcher::describe()
{
    QFETCH(protocol::BoardEvent, event);
    QFETCH(QString, text);
    BoardWatcher watcher;
    QCOMPARE(watcher.describe(event), text);
}

void TestBoardWatcher::learnedNamesAndLinks()
{
    BoardWatcher watcher;
    watcher.setWatched({42});
    watcher.setForgeUrl(QUrl(u"https://git.example.org/sub"_s));
    QSignalSpy spy(&watcher, &BoardWatcher::notificationReady);
    watcher.handle(columnCreated(42, 9, u"Done"_s));
    watcher.handle(
        boardEvent(42, u"project.updated"_s,
                   {{u"title"_s, u"Roadmap"_s}, {u"description"_s, QString()}, {u"is_closed"_s, false}}));
    watcher.flush();
    QCOMPARE(take(spy, 0).title, u"Roadmap"_s);
    // Nothing tells yet which repository the board belongs to: the forge itself.
    QCOMPARE(take(spy, 0).url, QUrl(u"https://git.example.org/sub"_s));

    watcher.handle(cardMoved(42, 3, 9));
    watcher.flush();
    QCOMPARE(take(spy, 1).body, u"alice/proj#3 moved to “Done”"_s);
    QCOMPARE(take(spy, 1).title, u"Roadmap"_s);

    // A card's repo is its issue's, not the board's: without the board's model the link stays on the
    // forge rather than guessing /alice/proj/projects/42, a page a user or org project does not have.
    watcher.handle(cardMoved(42, 3, 9));
    watcher.handle(boardEvent(42, u"project.deleted"_s, {}));
    watcher.flush();
    QCOMPARE(take(spy, 2).url, QUrl(u"https://git.example.org/sub"_s));
}

void TestBoardWatcher::projectLinkFromTheModel_data()
{
    QTest::addColumn<QJsonValue>("repo");
    QTest::addColumn<QUrl>("url");
    QTest::newRow("repository project")
        << QJsonValue(u"proj"_s) << QUrl(u"https://git.example.org/alice/proj/projects/42"_s);
    QTest::newRow("user or org project")
        << QJsonValue(QJsonValue::Null) << QUrl(u"https://git.example.org/alice/-/projects/42"_s);
}

void TestBoardWatcher::projectLinkFromTheModel()
{
    QFETCH(QJsonValue, repo);
    QFETCH(QUrl, url);
    QString error;
    const auto model = BoardState::fromSnapshot(42, 1, roadmap(repo), &error);
    QVERIFY2(model, qPrintable(error));
    BoardWatcher watcher;
    watcher.setWatched({42});
    watcher.setForgeUrl(QUrl(u"https://git.example.org"_s));
    QSignalSpy spy(&watcher, &BoardWatcher::notificationReady);
    // Its cards are issues of alice/proj either way.
    watcher.handle(cardMoved(42, 3, 9), &*model);
    watcher.handle(cardMoved(42, 4, 9), &*model);
    watcher.flush();
    QCOMPARE(take(spy, 0).url, url);
    QCOMPARE(take(spy, 0).title, u"Roadmap"_s);
}

void TestBoardWatcher::linkedAndUnlinkedNameTheIssue()
{
    QString error;
    const auto model = BoardState::fromSnapshot(42, 1, roadmap(u"proj"_s), &error);
    QVERIFY2(model, qPrintable(error));
    BoardWatcher watcher;
    watcher.setWatched({42});
    watcher.setForgeUrl(QUrl(u"https://git.example.org"_s));
    QSignalSpy spy(&watcher, &BoardWatcher::notificationReady);

    // Unlinked: only the model before the change knows the card.
    watcher.handle(boardEvent(42, u"card.unlinked"_s, {{u"issue_id"_s, 13}, {u"column_id"_s, 1}}), &*model);
    watcher.flush();
    QCOMPARE(take(spy, 0).body, u"alice/proj#3 “Fix X” was removed from “To do”"_s);
    QCOMPARE(take(spy, 0).url, QUrl(u"https://git.example.org/alice/proj/issues/3"_s));

    // Linked: the event names the new card (PROTOCOL.md v1.1 optional fields).
    watcher.handle(boardEvent(42, u"card.linked"_s,
                              {{u"issue_id"_s, 20},
                               {u"column_id"_s, 1},
                               {u"issue_index"_s, 9},
                               {u"repo"_s, u"bob/x"_s},
                               {u"title"_s, u"New thing"_s}}),
                   &*model);
    watcher.flush();
    QCOMPARE(take(spy, 1).body, u"bob/x#9 “New thing” was added to “To do”"_s);
    QCOMPARE(take(spy, 1).url, QUrl(u"https://git.example.org/bob/x/issues/9"_s));

    // Linked without the fields, but the model has the card (linked again into another column).
    watcher.handle(boardEvent(42, u"card.linked"_s, {{u"issue_id"_s, 14}, {u"column_id"_s, 1}}), &*model);
    watcher.flush();
    QCOMPARE(take(spy, 2).body, u"alice/proj#4 “Write docs” was added to “To do”"_s);
}

void TestBoardWatcher::unwatchingDropsPending()
{
    BoardWatcher watcher;
    watcher.setWatched({1, 2});
    QSignalSpy spy(&watcher, &BoardWatcher::notificationReady);
    watcher.handle(cardMoved(1, 1));
    watcher.handle(cardMoved(2, 1));
    watcher.setWatched({2});
    watcher.flush();
    QCOMPARE(spy.size(), 1);
    QCOMPARE(take(spy, 0).projectId, 2);
}

QTEST_GUILESS_MAIN(TestBoardWatcher)
#include "tst_boardwatcher.moc"
