#include "MultiNodeChecks.h"

#include "../server/broker/BoardCases.h"
#include "RedisProcess.h"
#include "broker/BoardModel.h"
#include "engine/Engine.h"
#include "protocol/Topic.h"

#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTest>

namespace forgewire::test {

using namespace Qt::StringLiterals;

bool waitReady(const ServerFixture& node, int timeoutMs)
{
    return waitFor([&] { return node.server()->isReady(); }, timeoutMs);
}

std::unique_ptr<WsClient> connectAndSubscribe(const ServerFixture& node, const QString& topic, qint64 userId)
{
    auto client = connectUser(node, userId);
    if (!client)
        return nullptr;
    client->subscribe(topic);
    if (client->nextOfType(u"subscribed"_s).value("topic"_L1).toString() != topic)
        return nullptr;
    return client;
}

int countOfType(WsClient& client, const QString& type, int ms)
{
    client.silentFor(ms);
    int n = 0;
    for (const QJsonObject& m : std::as_const(client.queue()))
        n += m.value("type"_L1).toString() == type ? 1 : 0;
    client.queue().clear();
    return n;
}

bool publishRetainedStateOfUser7(const ServerFixture& node)
{
    const auto count = [&](int n) {
        return node.admin("PUT", u"/api/v1/users/7/notification-count"_s,
                          QByteArray(R"({"count":)") + QByteArray::number(n) + '}')
                   .status == 202;
    };
    return node.publish(
               u"/api/v1/users/7/stopwatches"_s,
               R"([{"created":"2026-01-05T10:00:00Z","seconds":125,"issue_index":7,"issue_title":"Fix X","repo_owner_name":"alice","repo_name":"proj"}])",
               "PUT") &&
           count(5) && count(6);
}

void expectRetainedStateOfUser7(const ServerFixture& node)
{
    auto client = std::make_unique<WsClient>();
    QVERIFY(client->open(node.wsUrl(), makeToken(7, u"alice"_s)));
    QCOMPARE(client->next().value("type"_L1).toString(), u"hello"_s);
    const QJsonObject count = client->next();
    QCOMPARE(count.value("type"_L1).toString(), u"notification-count"_s);
    QCOMPARE(count.value("count"_L1).toInt(), 6);
    const QJsonObject stopwatches = client->next();
    QCOMPARE(stopwatches.value("type"_L1).toString(), u"stopwatches"_s);
    QCOMPARE(stopwatches.value("data"_L1).toArray().first().toObject().value("issue_index"_L1).toInt(), 7);
}

int publishBoardEventsThroughBoth(const ServerFixture& a, const ServerFixture& b, const QString& eventsPath,
                                  int perNode)
{
    QNetworkAccessManager manager;
    int finished = 0;
    int accepted = 0;
    for (int i = 0; i < perNode; ++i) {
        for (const ServerFixture* node : {&a, &b}) {
            QNetworkRequest request(node->adminUrl(eventsPath));
            request.setRawHeader("Authorization", "Bearer " + kPublisherSecret);
            request.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
            QNetworkReply* reply = manager.post(
                request, QByteArray(R"({"event":"project.updated","data":{"title":"t)") +
                             QByteArray::number(i) + R"(","description":"","is_closed":false}})");
            QObject::connect(reply, &QNetworkReply::finished, reply, [&, reply] {
                ++finished;
                accepted += reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 202 ? 1 : 0;
                reply->deleteLater();
            });
        }
    }
    waitFor([&] { return finished == 2 * perNode; }, 20'000);
    return accepted;
}

void expectBoardSeqs(WsClient& client, int first, int last)
{
    for (int expected = first; expected <= last; ++expected)
        QCOMPARE(client.nextOfType(u"board"_s).value("seq"_L1).toInt(), expected);
    QCOMPARE(countOfType(client, u"board"_s, 100), 0);
}

void expectBoardRules(Engine& engine, qint64 firstProject)
{
    QJsonObject base;
    QVERIFY(BoardModel::parseSnapshot(baseBoard(), &base).ok());
    qint64 projectId = firstProject;
    for (const BoardCase& c : boardCases()) {
        ++projectId;
        qint64 seq = 0;
        engine.storeBoard(projectId, base, ProjectAccess{}, [&](qint64 s, const QString&) { seq = s; });
        QVERIFY(waitFor([&] { return seq == 1; }));
        Publication p;
        p.topic = Topic::projectBoard(projectId);
        p.type = u"board"_s;
        p.payload = QByteArray(R"({"type":"board","topic":")") + p.topic.toUtf8() + R"(","event":")" +
                    c.event + R"(","data":)" + c.data + '}';
        std::optional<QString> published;
        engine.publish({p}, [&](const QString& e) { published = e; });
        QVERIFY(waitFor([&] { return published.has_value(); }));
        std::optional<BoardState> state;
        bool answered = false;
        engine.board(projectId, [&](std::optional<BoardState> s) {
            state = s;
            answered = true;
        });
        QVERIFY(waitFor([&] { return answered; }));
        QVERIFY2(state, c.name);
        const QString what = u"%1: %2"_s.arg(QLatin1StringView(c.name), *published);
        if (c.conflict) {
            QVERIFY2(Engine::isConflict(*published), qPrintable(what));
            QCOMPARE(state->seq, 1);
            QCOMPARE(layout(state->board), layout(base));
        } else {
            QVERIFY2(published->isEmpty(), qPrintable(what));
            QCOMPARE(state->seq, 2);
            QCOMPARE(layout(state->board), QString::fromLatin1(c.layout));
        }
    }
}

} // namespace forgewire::test
