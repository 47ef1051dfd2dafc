// Live boards (PROTOCOL.md v1.1) end to end on one node with the embedded engine: the board routes
// of the publish API, and what a client sees over a real WebSocket (snapshot after subscribed, events
// with seq, resync, list-boards by access, project deletion), and the seq surviving a restart.

#include "../broker/BoardCases.h"
#include "TestSupport.h"
#include "config/ServerLimits.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

const QByteArray kUnlink12 = R"({"event":"card.unlinked","data":{"issue_id":12,"column_id":1}})";
const QByteArray kUnlink11 = R"({"event":"card.unlinked","data":{"issue_id":11,"column_id":1}})";

std::unique_ptr<WsClient> connectAs(const ServerFixture& fixture, const QByteArray& token)
{
    auto client = std::make_unique<WsClient>();
    if (!client->open(fixture.wsUrl(), token) || client->next().value("type"_L1).toString() != "hello"_L1)
        return nullptr;
    return client;
}

QStringList topicsOf(const QJsonObject& boards)
{
    QStringList topics;
    for (const QJsonValue& b : boards.value("boards"_L1).toArray())
        topics.append(b.toObject().value("topic"_L1).toString());
    return topics;
}

} // namespace

class TestBoards : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void putGetDelete();
    void snapshotBounds();
    void conflictGets409AndChangesNothing();
    void publishEnvelopeAppliesToo();
    void liveBoardOverWebSocket();
    void listBoardsByAccess();
    void resyncErrors();
    void deleteUnsubscribes();
    void seqSurvivesRestart();

private:
    std::unique_ptr<ServerFixture> m_fixture;
};

void TestBoards::init()
{
    m_fixture = std::make_unique<ServerFixture>();
    QVERIFY2(m_fixture->start(), qPrintable(m_fixture->error()));
}

void TestBoards::cleanup()
{
    m_fixture.reset();
}

void TestBoards::putGetDelete()
{
    QCOMPARE(m_fixture->admin("GET", u"/api/v1/projects/42/board"_s).status, 404);
    HttpReply put = m_fixture->admin("PUT", u"/api/v1/projects/42/board"_s, baseBoard());
    QCOMPARE(put.status, 200);
    QCOMPARE(put.json().value("seq"_L1).toInt(), 1);
    HttpReply get = m_fixture->admin("GET", u"/api/v1/projects/42/board"_s);
    QCOMPARE(get.status, 200);
    QCOMPARE(get.json().value("seq"_L1).toInt(), 1);
    QCOMPARE(layout(get.json().value("board"_L1).toObject()), u"Roadmap|1 To do*:11,12|2 Doing:13|3 Done:"_s);
    QVERIFY(m_fixture->publish(u"/api/v1/projects/42/events"_s, kUnlink12));
    get = m_fixture->admin("GET", u"/api/v1/projects/42/board"_s);
    QCOMPARE(get.json().value("seq"_L1).toInt(), 2);
    QCOMPARE(layout(get.json().value("board"_L1).toObject()), u"Roadmap|1 To do*:11|2 Doing:13|3 Done:"_s);
    // A second snapshot replaces the model and takes the next seq.
    put = m_fixture->admin("PUT", u"/api/v1/projects/42/board"_s, baseBoard());
    QCOMPARE(put.json().value("seq"_L1).toInt(), 3);
    // Wrong method, missing secret.
    QCOMPARE(m_fixture->admin("POST", u"/api/v1/projects/42/board"_s, baseBoard()).status, 405);
    QCOMPARE(m_fixture->admin("GET", u"/api/v1/projects/42"_s).status, 405);
    QCOMPARE(m_fixture->admin("GET", u"/api/v1/projects/42/board"_s, {}, "wrong").status, 401);

    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/42/access"_s, R"({"public":true})").status, 200);
    QCOMPARE(m_fixture->admin("DELETE", u"/api/v1/projects/42"_s).status, 202);
    QCOMPARE(m_fixture->admin("GET", u"/api/v1/projects/42/board"_s).status, 404);
    QCOMPARE(m_fixture->admin("GET", u"/api/v1/projects/42/access"_s).status, 404);
    // Events for it are v1 again: accepted, no model.
    QVERIFY(m_fixture->publish(u"/api/v1/projects/42/events"_s, kUnlink12));
}

void TestBoards::snapshotBounds()
{
    HttpReply r = m_fixture->admin("PUT", u"/api/v1/projects/5/board"_s, R"({"title":"T"})");
    QCOMPARE(r.status, 400);
    QVERIFY(r.json().value("error"_L1).toString().contains("columns"_L1));
    r = m_fixture->admin("PUT", u"/api/v1/projects/5/board"_s, "{");
    QCOMPARE(r.status, 400);
    QByteArray big = baseBoard();
    big.insert(big.size() - 1, ",\"pad\":\"" + QByteArray(limits::kMaxBoardSnapshotBytes, 'x') + '"');
    r = m_fixture->admin("PUT", u"/api/v1/projects/5/board"_s, big);
    QCOMPARE(r.status, 413);
    QVERIFY(r.json().value("error"_L1).toString().contains(QString::number(limits::kMaxBoardSnapshotBytes)));
    QJsonArray cards;
    for (int i = 0; i <= limits::kMaxBoardCards; ++i)
        cards.append(QJsonObject{{u"issue_id"_s, i + 1}});
    const QByteArray tooMany =
        QJsonDocument(
            QJsonObject{{u"title"_s, u"T"_s},
                        {u"columns"_s, QJsonArray{QJsonObject{
                                           {u"column_id"_s, 1}, {u"title"_s, u"A"_s}, {u"cards"_s, cards}}}}})
            .toJson(QJsonDocument::Compact);
    r = m_fixture->admin("PUT", u"/api/v1/projects/5/board"_s, tooMany);
    QCOMPARE(r.status, 400);
    QVERIFY(r.json().value("error"_L1).toString().contains(QString::number(limits::kMaxBoardCards)));
    // Nothing was stored by any of them.
    QCOMPARE(m_fixture->admin("GET", u"/api/v1/projects/5/board"_s).status, 404);
}

void TestBoards::conflictGets409AndChangesNothing()
{
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/42/board"_s, baseBoard()).status, 200);
    const HttpReply r = m_fixture->admin("POST", u"/api/v1/projects/42/events"_s,
                                         R"({"event":"card.linked","data":{"issue_id":20,"column_id":9}})");
    QCOMPARE(r.status, 409);
    QVERIFY(r.json().value("error"_L1).toString().contains("column"_L1));
    // A batch whose second event does not fit: the first is not applied either.
    const QByteArray batch = R"([
      {"topic":"project-board.42","message":{"type":"board","event":"card.unlinked","data":{"issue_id":12,"column_id":1}}},
      {"topic":"project-board.42","message":{"type":"board","event":"card.unlinked","data":{"issue_id":12,"column_id":1}}}])";
    QCOMPARE(m_fixture->admin("POST", u"/api/v1/publish"_s, batch).status, 409);
    const HttpReply get = m_fixture->admin("GET", u"/api/v1/projects/42/board"_s);
    QCOMPARE(get.json().value("seq"_L1).toInt(), 1);
    QCOMPARE(layout(get.json().value("board"_L1).toObject()), u"Roadmap|1 To do*:11,12|2 Doing:13|3 Done:"_s);
}

void TestBoards::publishEnvelopeAppliesToo()
{
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/42/board"_s, baseBoard()).status, 200);
    QVERIFY(m_fixture->publish(
        u"/api/v1/publish"_s,
        R"({"topic":"project-board.42","message":{"type":"board","event":"project.updated","data":{"title":"Q3","description":"","is_closed":true}}})"));
    const HttpReply get = m_fixture->admin("GET", u"/api/v1/projects/42/board"_s);
    QCOMPARE(get.json().value("seq"_L1).toInt(), 2);
    QCOMPARE(layout(get.json().value("board"_L1).toObject()),
             u"Q3 closed|1 To do*:11,12|2 Doing:13|3 Done:"_s);
}

void TestBoards::liveBoardOverWebSocket()
{
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/42/access"_s, R"({"users":[7]})").status, 200);
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/42/board"_s, baseBoard()).status, 200);
    auto alice = connectAs(*m_fixture, makeToken(7, u"alice"_s));
    QVERIFY(alice);
    alice->subscribe(u"project-board.42"_s);
    QCOMPARE(alice->next().value("type"_L1).toString(), u"subscribed"_s);
    QJsonObject snapshot = alice->next();
    QCOMPARE(snapshot.value("type"_L1).toString(), u"board-snapshot"_s);
    QCOMPARE(snapshot.value("topic"_L1).toString(), u"project-board.42"_s);
    QCOMPARE(snapshot.value("seq"_L1).toInt(), 1);
    QCOMPARE(layout(snapshot.value("board"_L1).toObject()), u"Roadmap|1 To do*:11,12|2 Doing:13|3 Done:"_s);

    QVERIFY(m_fixture->publish(u"/api/v1/projects/42/events"_s, kUnlink12));
    QJsonObject event = alice->next();
    QCOMPARE(event.value("type"_L1).toString(), u"board"_s);
    QCOMPARE(event.value("event"_L1).toString(), u"card.unlinked"_s);
    QCOMPARE(event.value("seq"_L1).toInt(), 2);
    // A rejected event reaches nobody and takes no seq.
    QCOMPARE(m_fixture->admin("POST", u"/api/v1/projects/42/events"_s, kUnlink12).status, 409);
    QVERIFY(m_fixture->publish(u"/api/v1/projects/42/events"_s, kUnlink11));
    QCOMPARE(alice->next().value("seq"_L1).toInt(), 3);

    alice->send(QJsonObject{{u"type"_s, u"resync"_s}, {u"topic"_s, u"project-board.42"_s}});
    snapshot = alice->next();
    QCOMPARE(snapshot.value("type"_L1).toString(), u"board-snapshot"_s);
    QCOMPARE(snapshot.value("seq"_L1).toInt(), 3);
    QCOMPARE(layout(snapshot.value("board"_L1).toObject()), u"Roadmap|1 To do*:|2 Doing:13|3 Done:"_s);

    // A new snapshot reaches the subscribers as a board-snapshot.
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/42/board"_s, baseBoard()).status, 200);
    snapshot = alice->next();
    QCOMPARE(snapshot.value("type"_L1).toString(), u"board-snapshot"_s);
    QCOMPARE(snapshot.value("seq"_L1).toInt(), 4);

    // A board without a snapshot keeps v1: events without seq.
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/43/access"_s, R"({"users":[7]})").status, 200);
    alice->subscribe(u"project-board.43"_s);
    QCOMPARE(alice->next().value("type"_L1).toString(), u"subscribed"_s);
    QVERIFY(m_fixture->publish(u"/api/v1/projects/43/events"_s, kUnlink12));
    event = alice->next();
    QCOMPARE(event.value("topic"_L1).toString(), u"project-board.43"_s);
    QVERIFY(!event.contains("seq"_L1));
}

void TestBoards::listBoardsByAccess()
{
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/42/access"_s, R"({"users":[7]})").status, 200);
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/44/access"_s, R"({"users":[8]})").status, 200);
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/45/access"_s, R"({"public":true})").status, 200);
    for (int id : {42, 44, 45})
        QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/%1/board"_s.arg(id), baseBoard()).status, 200);
    // An ACL but no model: not listed.
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/46/access"_s, R"({"public":true})").status, 200);

    auto alice = connectAs(*m_fixture, makeToken(7, u"alice"_s));
    auto carol = connectAs(*m_fixture, makeToken(9, u"carol"_s, {}, {u"project-board.44"_s}));
    auto anonymous = connectAs(*m_fixture, {});
    QVERIFY(alice && carol && anonymous);
    const QJsonObject listBoards{{u"type"_s, u"list-boards"_s}};
    alice->send(listBoards);
    const QJsonObject boards = alice->nextOfType(u"boards"_s);
    QCOMPARE(topicsOf(boards), QStringList({u"project-board.42"_s, u"project-board.45"_s}));
    QCOMPARE(boards.value("boards"_L1).toArray()[0].toObject(),
             QJsonObject({{u"topic"_s, u"project-board.42"_s},
                          {u"title"_s, u"Roadmap"_s},
                          {u"owner"_s, u"alice"_s},
                          {u"repo"_s, u"proj"_s}}));
    carol->send(listBoards);
    QCOMPARE(topicsOf(carol->nextOfType(u"boards"_s)),
             QStringList({u"project-board.44"_s, u"project-board.45"_s}));
    anonymous->send(listBoards);
    QCOMPARE(topicsOf(anonymous->nextOfType(u"boards"_s)), QStringList());
}

void TestBoards::resyncErrors()
{
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/42/access"_s, R"({"users":[7]})").status, 200);
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/43/access"_s, R"({"users":[7]})").status, 200);
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/42/board"_s, baseBoard()).status, 200);
    auto alice = connectAs(*m_fixture, makeToken(7, u"alice"_s));
    QVERIFY(alice);
    // Not subscribed.
    alice->send(QJsonObject{{u"type"_s, u"resync"_s}, {u"topic"_s, u"project-board.42"_s}});
    QJsonObject error = alice->next();
    QCOMPARE(error.value("type"_L1).toString(), u"error"_s);
    QCOMPARE(error.value("code"_L1).toString(), u"bad_request"_s);
    QCOMPARE(error.value("topic"_L1).toString(), u"project-board.42"_s);
    // Not a board topic.
    alice->send(QJsonObject{{u"type"_s, u"resync"_s}, {u"topic"_s, u"user-7"_s}});
    QCOMPARE(alice->next().value("code"_L1).toString(), u"unknown_topic"_s);
    // Subscribed, but the board has no model.
    alice->subscribe(u"project-board.43"_s);
    QCOMPARE(alice->next().value("type"_L1).toString(), u"subscribed"_s);
    alice->send(QJsonObject{{u"type"_s, u"resync"_s}, {u"topic"_s, u"project-board.43"_s}});
    error = alice->next();
    QCOMPARE(error.value("code"_L1).toString(), u"unknown_topic"_s);
    QCOMPARE(error.value("topic"_L1).toString(), u"project-board.43"_s);
    // The connection stays usable.
    alice->send(QJsonObject{{u"type"_s, u"ping"_s}});
    QCOMPARE(alice->next().value("type"_L1).toString(), u"pong"_s);
}

void TestBoards::deleteUnsubscribes()
{
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/42/access"_s, R"({"users":[7]})").status, 200);
    QCOMPARE(m_fixture->admin("PUT", u"/api/v1/projects/42/board"_s, baseBoard()).status, 200);
    auto alice = connectAs(*m_fixture, makeToken(7, u"alice"_s));
    QVERIFY(alice);
    alice->subscribe(u"project-board.42"_s);
    QCOMPARE(alice->next().value("type"_L1).toString(), u"subscribed"_s);
    QCOMPARE(alice->next().value("type"_L1).toString(), u"board-snapshot"_s);
    QCOMPARE(m_fixture->admin("DELETE", u"/api/v1/projects/42"_s).status, 202);
    const QJsonObject deleted = alice->next();
    QCOMPARE(deleted.value("type"_L1).toString(), u"board"_s);
    QCOMPARE(deleted.value("event"_L1).toString(), u"project.deleted"_s);
    QCOMPARE(deleted.value("seq"_L1).toInt(), 2);
    const QJsonObject unsubscribed = alice->next();
    QCOMPARE(unsubscribed.value("type"_L1).toString(), u"unsubscribed"_s);
    QCOMPARE(unsubscribed.value("topic"_L1).toString(), u"project-board.42"_s);
    // The model and the ACL are gone: a new subscribe is refused, nothing more arrives.
    alice->subscribe(u"project-board.42"_s);
    QCOMPARE(alice->next().value("code"_L1).toString(), u"forbidden"_s);
    QVERIFY(m_fixture->publish(u"/api/v1/projects/42/events"_s, kUnlink12));
    QVERIFY(alice->silentFor(200));
}

void TestBoards::seqSurvivesRestart()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"state.sqlite"_s);
    {
        ServerFixture first(testConfig(path));
        QVERIFY2(first.start(), qPrintable(first.error()));
        QCOMPARE(first.admin("PUT", u"/api/v1/projects/42/board"_s, baseBoard()).status, 200);
        QVERIFY(first.publish(u"/api/v1/projects/42/events"_s, kUnlink12));
    }
    ServerFixture second(testConfig(path));
    QVERIFY2(second.start(), qPrintable(second.error()));
    HttpReply get = second.admin("GET", u"/api/v1/projects/42/board"_s);
    QCOMPARE(get.status, 200);
    QCOMPARE(get.json().value("seq"_L1).toInt(), 2);
    QCOMPARE(layout(get.json().value("board"_L1).toObject()), u"Roadmap|1 To do*:11|2 Doing:13|3 Done:"_s);
    QVERIFY(second.publish(u"/api/v1/projects/42/events"_s, kUnlink11));
    get = second.admin("GET", u"/api/v1/projects/42/board"_s);
    QCOMPARE(get.json().value("seq"_L1).toInt(), 3);
}

QTEST_MAIN(TestBoards)
#include "tst_boards.moc"
