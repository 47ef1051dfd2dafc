// The message codec against PROTOCOL.md: every message round-trips, the document's own examples
// decode, field names are the documented ones, and bad input is refused with a useful reason.

#include "protocol/Protocol.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QTimeZone>

using namespace forgewire;
using namespace forgewire::protocol;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(forgewire::protocol::ServerMessage)
Q_DECLARE_METATYPE(forgewire::protocol::ClientMessage)

namespace {

QJsonObject parse(const QByteArray& bytes)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(bytes, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        qFatal("test JSON does not parse: %s", bytes.constData());
    return document.object();
}

QByteArray bytes(const QJsonObject& object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QDateTime utc(int year, int month, int day, int hour, int minute, int second)
{
    return QDateTime(QDate(year, month, day), QTime(hour, minute, second), QTimeZone::utc());
}

Stopwatch exampleStopwatch()
{
    return Stopwatch{utc(2026, 1, 5, 10, 0, 0), 125, 7, u"Fix X"_s, u"alice"_s, u"proj"_s};
}

QJsonObject exampleStopwatchJson()
{
    return QJsonObject{{u"created"_s, u"2026-01-05T10:00:00Z"_s},
                       {u"seconds"_s, 125},
                       {u"issue_index"_s, 7},
                       {u"issue_title"_s, u"Fix X"_s},
                       {u"repo_owner_name"_s, u"alice"_s},
                       {u"repo_name"_s, u"proj"_s}};
}

// Valid `data` for every board event of PROTOCOL.md.
QList<std::pair<QString, QJsonObject>> boardExamples()
{
    const QJsonObject column{{u"column_id"_s, 3},
                             {u"title"_s, u"Doing"_s},
                             {u"color"_s, u"#ff0000"_s},
                             {u"sorting"_s, 1},
                             {u"default"_s, false}};
    QJsonObject updatedColumn = column;
    updatedColumn.insert(u"default"_s, true);
    return {
        {u"card.moved"_s,
         {{u"issue_id"_s, 101},
          {u"issue_index"_s, 7},
          {u"repo"_s, u"alice/proj"_s},
          {u"from_column_id"_s, 1},
          {u"to_column_id"_s, 2},
          {u"sorting"_s, 3}}},
        {u"card.linked"_s, {{u"issue_id"_s, 101}, {u"column_id"_s, 2}}},
        {u"card.unlinked"_s, {{u"issue_id"_s, 101}, {u"column_id"_s, 2}}},
        {u"column.created"_s, column},
        {u"column.updated"_s, updatedColumn},
        {u"column.deleted"_s, {{u"column_id"_s, 3}, {u"moved_to_column_id"_s, 1}}},
        {u"column.reordered"_s,
         {{u"columns"_s, QJsonArray{QJsonObject{{u"column_id"_s, 1}, {u"sorting"_s, 0}},
                                    QJsonObject{{u"column_id"_s, 2}, {u"sorting"_s, 1}}}}}},
        {u"project.updated"_s,
         {{u"title"_s, u"Roadmap"_s}, {u"description"_s, u""_s}, {u"is_closed"_s, true}}},
        {u"project.deleted"_s, {}},
    };
}

QJsonObject boardJson(const QString& event, const QJsonObject& data, const QString& sessionTag = {})
{
    QJsonObject o{
        {u"type"_s, u"board"_s}, {u"topic"_s, u"project-board.42"_s}, {u"event"_s, event}, {u"data"_s, data}};
    if (!sessionTag.isEmpty())
        o.insert(u"session_tag"_s, sessionTag);
    return o;
}

QString jsonTypeName(QJsonValue::Type type)
{
    switch (type) {
    case QJsonValue::Bool:
        return u"boolean"_s;
    case QJsonValue::Double:
        return u"number"_s;
    case QJsonValue::String:
        return u"string"_s;
    case QJsonValue::Array:
        return u"array"_s;
    case QJsonValue::Object:
        return u"object"_s;
    default:
        return u"null"_s;
    }
}

// A value of some other JSON type than `type`.
QJsonValue wrongTypeFor(QJsonValue::Type type)
{
    switch (type) {
    case QJsonValue::Double:
        return u"1"_s;
    case QJsonValue::String:
        return 1;
    case QJsonValue::Bool:
        return 0;
    case QJsonValue::Array:
        return QJsonObject{};
    default:
        return true;
    }
}

} // namespace

class TestProtocol : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void serverRoundTrip_data();
    void serverRoundTrip();
    void clientRoundTrip_data();
    void clientRoundTrip();
    void protocolExamples_data();
    void protocolExamples();
    void clientProtocolExamples_data();
    void clientProtocolExamples();
    void encodedFieldNames();
    void stopwatchDates();
    void boardSessionTagNull();
    void serverBadInput_data();
    void serverBadInput();
    void clientBadInput_data();
    void clientBadInput();
    void parseObject_data();
    void parseObject();
    void names();
    void messageTypes();
};

// `json` is what encode() must produce (as an object: same keys, same values).
void TestProtocol::serverRoundTrip_data()
{
    QTest::addColumn<ServerMessage>("message");
    QTest::addColumn<QJsonObject>("json");

    QTest::newRow("hello signed in") << ServerMessage(Hello{UserInfo{7, u"alice"_s}, u"conn-1"_s, 25})
                                     << QJsonObject{
                                            {u"type"_s, u"hello"_s},
                                            {u"user"_s, QJsonObject{{u"id"_s, 7}, {u"login"_s, u"alice"_s}}},
                                            {u"session"_s, u"conn-1"_s},
                                            {u"heartbeat"_s, 25}};
    QTest::newRow("hello anonymous") << ServerMessage(Hello{std::nullopt, u"conn-2"_s, 30})
                                     << QJsonObject{{u"type"_s, u"hello"_s},
                                                    {u"user"_s, QJsonValue::Null},
                                                    {u"session"_s, u"conn-2"_s},
                                                    {u"heartbeat"_s, 30}};
    QTest::newRow("notification-count 3")
        << ServerMessage(NotificationCount{3})
        << QJsonObject{{u"type"_s, u"notification-count"_s}, {u"count"_s, 3}};
    QTest::newRow("notification-count 0")
        << ServerMessage(NotificationCount{0})
        << QJsonObject{{u"type"_s, u"notification-count"_s}, {u"count"_s, 0}};
    QTest::newRow("stopwatches one") << ServerMessage(Stopwatches{{exampleStopwatch()}})
                                     << QJsonObject{{u"type"_s, u"stopwatches"_s},
                                                    {u"data"_s, QJsonArray{exampleStopwatchJson()}}};
    QTest::newRow("stopwatches none")
        << ServerMessage(Stopwatches{})
        << QJsonObject{{u"type"_s, u"stopwatches"_s}, {u"data"_s, QJsonArray{}}};
    {
        Stopwatch second{utc(2025, 12, 31, 23, 59, 59), 0,        12,
                         u"\u00dcber \"quoted\""_s,     u"org"_s, u"repo"_s};
        QJsonObject secondJson{{u"created"_s, u"2025-12-31T23:59:59Z"_s},
                               {u"seconds"_s, 0},
                               {u"issue_index"_s, 12},
                               {u"issue_title"_s, u"\u00dcber \"quoted\""_s},
                               {u"repo_owner_name"_s, u"org"_s},
                               {u"repo_name"_s, u"repo"_s}};
        QTest::newRow("stopwatches two")
            << ServerMessage(Stopwatches{{exampleStopwatch(), second}})
            << QJsonObject{{u"type"_s, u"stopwatches"_s},
                           {u"data"_s, QJsonArray{exampleStopwatchJson(), secondJson}}};
    }
    QTest::newRow("logout here") << ServerMessage(Logout{u"here"_s})
                                 << QJsonObject{{u"type"_s, u"logout"_s}, {u"data"_s, u"here"_s}};
    QTest::newRow("logout elsewhere") << ServerMessage(Logout{u"elsewhere"_s})
                                      << QJsonObject{{u"type"_s, u"logout"_s}, {u"data"_s, u"elsewhere"_s}};
    QTest::newRow("logout session id (publisher)")
        << ServerMessage(Logout{u"sess-123"_s})
        << QJsonObject{{u"type"_s, u"logout"_s}, {u"data"_s, u"sess-123"_s}};

    for (const auto& [event, data] : boardExamples()) {
        QTest::addRow("board %s", qPrintable(event))
            << ServerMessage(BoardEvent{u"project-board.42"_s, event, data, {}, std::nullopt})
            << boardJson(event, data);
        QTest::addRow("board %s tagged", qPrintable(event))
            << ServerMessage(BoardEvent{u"project-board.42"_s, event, data, u"tag-1"_s, std::nullopt})
            << boardJson(event, data, u"tag-1"_s);
    }
    {
        QJsonObject extra = boardExamples().first().second;
        extra.insert(u"extra"_s, u"kept"_s);
        QTest::newRow("board extra data field kept")
            << ServerMessage(BoardEvent{u"project-board.42"_s, u"card.moved"_s, extra, {}, std::nullopt})
            << boardJson(u"card.moved"_s, extra);
    }

    QTest::newRow("subscribed") << ServerMessage(Subscribed{u"project-board.42"_s})
                                << QJsonObject{{u"type"_s, u"subscribed"_s},
                                               {u"topic"_s, u"project-board.42"_s}};
    QTest::newRow("unsubscribed") << ServerMessage(Unsubscribed{u"public.news"_s})
                                  << QJsonObject{{u"type"_s, u"unsubscribed"_s},
                                                 {u"topic"_s, u"public.news"_s}};
    const std::pair<ErrorCode, QString> codes[] = {{ErrorCode::Forbidden, u"forbidden"_s},
                                                   {ErrorCode::BadRequest, u"bad_request"_s},
                                                   {ErrorCode::UnknownTopic, u"unknown_topic"_s},
                                                   {ErrorCode::RateLimited, u"rate_limited"_s}};
    for (const auto& [code, name] : codes) {
        QTest::addRow("error %s", qPrintable(name))
            << ServerMessage(Error{code, u"why"_s, {}})
            << QJsonObject{{u"type"_s, u"error"_s}, {u"code"_s, name}, {u"message"_s, u"why"_s}};
        QTest::addRow("error %s with topic", qPrintable(name))
            << ServerMessage(Error{code, u"why"_s, u"project-board.9"_s})
            << QJsonObject{{u"type"_s, u"error"_s},
                           {u"code"_s, name},
                           {u"message"_s, u"why"_s},
                           {u"topic"_s, u"project-board.9"_s}};
    }
    QTest::newRow("error empty message")
        << ServerMessage(Error{ErrorCode::BadRequest, {}, {}})
        << QJsonObject{{u"type"_s, u"error"_s}, {u"code"_s, u"bad_request"_s}, {u"message"_s, u""_s}};
    QTest::newRow("ping") << ServerMessage(Ping{}) << QJsonObject{{u"type"_s, u"ping"_s}};
    QTest::newRow("pong") << ServerMessage(Pong{}) << QJsonObject{{u"type"_s, u"pong"_s}};
}

void TestProtocol::serverRoundTrip()
{
    QFETCH(ServerMessage, message);
    QFETCH(QJsonObject, json);

    QCOMPARE(typeName(message), json.value("type"_L1).toString());
    QCOMPARE(toJson(message), json);
    const QByteArray encoded = encode(message);
    QCOMPARE(parse(encoded), json);
    QVERIFY(!encoded.contains('\n'));

    const auto decoded = decodeServerMessage(encoded);
    QVERIFY2(bool(decoded), qPrintable(decoded.error));
    QVERIFY(decoded.error.isEmpty());
    QCOMPARE(decoded.value->index(), message.index());
    QCOMPARE(encode(*decoded.value), encoded);
    QVERIFY(*decoded.value == message);

    const auto fromObject = decodeServerMessage(json);
    QVERIFY2(bool(fromObject), qPrintable(fromObject.error));
    QVERIFY(*fromObject.value == message);
}

void TestProtocol::clientRoundTrip_data()
{
    QTest::addColumn<ClientMessage>("message");
    QTest::addColumn<QJsonObject>("json");
    QTest::newRow("subscribe") << ClientMessage(Subscribe{u"project-board.42"_s})
                               << QJsonObject{{u"type"_s, u"subscribe"_s},
                                              {u"topic"_s, u"project-board.42"_s}};
    QTest::newRow("unsubscribe") << ClientMessage(Unsubscribe{u"public.x"_s})
                                 << QJsonObject{{u"type"_s, u"unsubscribe"_s}, {u"topic"_s, u"public.x"_s}};
    QTest::newRow("ping") << ClientMessage(Ping{}) << QJsonObject{{u"type"_s, u"ping"_s}};
    QTest::newRow("pong") << ClientMessage(Pong{}) << QJsonObject{{u"type"_s, u"pong"_s}};
}

void TestProtocol::clientRoundTrip()
{
    QFETCH(ClientMessage, message);
    QFETCH(QJsonObject, json);

    QCOMPARE(typeName(message), json.value("type"_L1).toString());
    QCOMPARE(toJson(message), json);
    const QByteArray encoded = encode(message);
    QCOMPARE(parse(encoded), json);

    const auto decoded = decodeClientMessage(encoded);
    QVERIFY2(bool(decoded), qPrintable(decoded.error));
    QCOMPARE(decoded.value->index(), message.index());
    QVERIFY(*decoded.value == message);
}

// The examples of PROTOCOL.md, verbatim (board `data` filled in where the document writes `{...}`).
void TestProtocol::protocolExamples_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ServerMessage>("expected");

    QTest::newRow("hello") << QByteArray(R"({"type":"hello","user":{"id":7,"login":"alice"},"session":"c-1",)"
                                         R"("heartbeat":25})")
                           << ServerMessage(Hello{UserInfo{7, u"alice"_s}, u"c-1"_s, 25});
    QTest::newRow("hello null user") << QByteArray(
                                            R"({"type":"hello","user":null,"session":"c-2","heartbeat":25})")
                                     << ServerMessage(Hello{std::nullopt, u"c-2"_s, 25});
    QTest::newRow("notification-count")
        << QByteArray(R"({"type":"notification-count","count":3})") << ServerMessage(NotificationCount{3});
    QTest::newRow("stopwatches")
        << QByteArray(R"({"type":"stopwatches","data":[{"created":"2026-01-05T10:00:00Z","seconds":125,)"
                      R"("issue_index":7,)"
                      "\n  "
                      R"("issue_title":"Fix X","repo_owner_name":"alice","repo_name":"proj"}]})")
        << ServerMessage(Stopwatches{{exampleStopwatch()}});
    QTest::newRow("stopwatches none")
        << QByteArray(R"({"type":"stopwatches","data":[]})") << ServerMessage(Stopwatches{});
    QTest::newRow("logout here") << QByteArray(R"({"type":"logout","data":"here"})")
                                 << ServerMessage(Logout{u"here"_s});
    QTest::newRow("logout elsewhere")
        << QByteArray(R"({"type":"logout","data":"elsewhere"})") << ServerMessage(Logout{u"elsewhere"_s});
    QTest::newRow("board card.moved")
        << QByteArray(
               R"({"type":"board","topic":"project-board.42","event":"card.moved","data":{"issue_id":101,)"
               R"("issue_index":7,"repo":"alice/proj","from_column_id":1,"to_column_id":2,"sorting":3},)"
               R"("session_tag":"5f0c6b1e-2d1a-4c43-9a57-3c1f3a9e8d11"})")
        << ServerMessage(BoardEvent{u"project-board.42"_s, u"card.moved"_s, boardExamples().at(0).second,
                                    u"5f0c6b1e-2d1a-4c43-9a57-3c1f3a9e8d11"_s, std::nullopt});
    QTest::newRow("board without session_tag")
        << QByteArray(R"({"type":"board","topic":"project-board.42","event":"project.deleted","data":{}})")
        << ServerMessage(BoardEvent{u"project-board.42"_s, u"project.deleted"_s, {}, {}, std::nullopt});
    QTest::newRow("board column.reordered")
        << QByteArray(R"({"type":"board","topic":"project-board.42","event":"column.reordered",)"
                      R"("data":{"columns":[{"column_id":1,"sorting":0},{"column_id":2,"sorting":1}]}})")
        << ServerMessage(BoardEvent{
               u"project-board.42"_s, u"column.reordered"_s, boardExamples().at(6).second, {}, std::nullopt});
    QTest::newRow("subscribed") << QByteArray(R"({"type":"subscribed","topic":"project-board.42"})")
                                << ServerMessage(Subscribed{u"project-board.42"_s});
    QTest::newRow("unsubscribed") << QByteArray(R"({"type":"unsubscribed","topic":"project-board.42"})")
                                  << ServerMessage(Unsubscribed{u"project-board.42"_s});
    QTest::newRow("error with topic")
        << QByteArray(
               R"({"type":"error","code":"forbidden","message":"not yours","topic":"project-board.42"})")
        << ServerMessage(Error{ErrorCode::Forbidden, u"not yours"_s, u"project-board.42"_s});
    QTest::newRow("error without topic")
        << QByteArray(R"({"type":"error","code":"rate_limited","message":"slow down"})")
        << ServerMessage(Error{ErrorCode::RateLimited, u"slow down"_s, {}});
    QTest::newRow("error unknown_topic")
        << QByteArray(R"({"type":"error","code":"unknown_topic","message":"m","topic":"x"})")
        << ServerMessage(Error{ErrorCode::UnknownTopic, u"m"_s, u"x"_s});
    QTest::newRow("error bad_request") << QByteArray(R"({"type":"error","code":"bad_request","message":"m"})")
                                       << ServerMessage(Error{ErrorCode::BadRequest, u"m"_s, {}});
    QTest::newRow("ping") << QByteArray(R"({"type":"ping"})") << ServerMessage(Ping{});
    QTest::newRow("pong") << QByteArray(R"({"type":"pong"})") << ServerMessage(Pong{});
    QTest::newRow("whitespace around")
        << QByteArray(" \n{ \"type\" : \"pong\" }\n ") << ServerMessage(Pong{});
}

void TestProtocol::protocolExamples()
{
    QFETCH(QByteArray, json);
    QFETCH(ServerMessage, expected);
    const auto decoded = decodeServerMessage(json);
    QVERIFY2(bool(decoded), qPrintable(decoded.error));
    QCOMPARE(encode(*decoded.value), encode(expected));
    QVERIFY(*decoded.value == expected);
    // Re-encoding gives the same JSON object as the document's (key order aside).
    QCOMPARE(parse(encode(*decoded.value)), parse(json));
}

void TestProtocol::clientProtocolExamples_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ClientMessage>("expected");
    QTest::newRow("subscribe") << QByteArray(R"({"type":"subscribe","topic":"project-board.42"})")
                               << ClientMessage(Subscribe{u"project-board.42"_s});
    QTest::newRow("unsubscribe") << QByteArray(R"({"type":"unsubscribe","topic":"project-board.42"})")
                                 << ClientMessage(Unsubscribe{u"project-board.42"_s});
    QTest::newRow("ping") << QByteArray(R"({"type":"ping"})") << ClientMessage(Ping{});
    QTest::newRow("pong") << QByteArray(R"({"type":"pong"})") << ClientMessage(Pong{});
    // The codec does not judge topic names (Topic does): any non-empty string passes.
    QTest::newRow("subscribe odd topic") << QByteArray(R"({"type":"subscribe","topic":"no such thing"})")
                                         << ClientMessage(Subscribe{u"no such thing"_s});
    QTest::newRow("extra fields ignored") << QByteArray(R"({"type":"subscribe","topic":"public.x","id":5})")
                                          << ClientMessage(Subscribe{u"public.x"_s});
}

void TestProtocol::clientProtocolExamples()
{
    QFETCH(QByteArray, json);
    QFETCH(ClientMessage, expected);
    const auto decoded = decodeClientMessage(json);
    QVERIFY2(bool(decoded), qPrintable(decoded.error));
    QCOMPARE(typeName(*decoded.value), typeName(expected));
    QVERIFY(*decoded.value == expected);
}

void TestProtocol::encodedFieldNames()
{
    // Exact bytes: compact, keys as PROTOCOL.md spells them.
    QCOMPARE(encode(ServerMessage(NotificationCount{3})),
             QByteArray(R"({"count":3,"type":"notification-count"})"));
    QCOMPARE(encode(ServerMessage(Ping{})), QByteArray(R"({"type":"ping"})"));
    QCOMPARE(encode(ClientMessage(Pong{})), QByteArray(R"({"type":"pong"})"));
    QCOMPARE(encode(ClientMessage(Subscribe{u"user-7"_s})),
             QByteArray(R"({"topic":"user-7","type":"subscribe"})"));
    QCOMPARE(
        encode(ServerMessage(Stopwatches{{exampleStopwatch()}})),
        QByteArray(R"({"data":[{"created":"2026-01-05T10:00:00Z","issue_index":7,"issue_title":"Fix X",)"
                   R"("repo_name":"proj","repo_owner_name":"alice","seconds":125}],"type":"stopwatches"})"));
    QCOMPARE(encode(ServerMessage(Hello{std::nullopt, u"c"_s, 25})),
             QByteArray(R"({"heartbeat":25,"session":"c","type":"hello","user":null})"));

    const QJsonObject stopwatch = toJson(ServerMessage(Stopwatches{{exampleStopwatch()}}))
                                      .value("data"_L1)
                                      .toArray()
                                      .first()
                                      .toObject();
    QCOMPARE(stopwatch.keys(), (QStringList{u"created"_s, u"issue_index"_s, u"issue_title"_s, u"repo_name"_s,
                                            u"repo_owner_name"_s, u"seconds"_s}));
    QCOMPARE(stopwatchToJson(exampleStopwatch()), exampleStopwatchJson());

    const QJsonObject untagged =
        toJson(ServerMessage(BoardEvent{u"project-board.1"_s, u"project.deleted"_s, {}, {}, std::nullopt}));
    QCOMPARE(untagged.keys(), (QStringList{u"data"_s, u"event"_s, u"topic"_s, u"type"_s}));
    QVERIFY(!untagged.contains("session_tag"_L1));
    const QJsonObject tagged = toJson(
        ServerMessage(BoardEvent{u"project-board.1"_s, u"project.deleted"_s, {}, u"t"_s, std::nullopt}));
    QCOMPARE(tagged.keys(), (QStringList{u"data"_s, u"event"_s, u"session_tag"_s, u"topic"_s, u"type"_s}));
    QCOMPARE(tagged.value("session_tag"_L1).toString(), u"t"_s);

    const QJsonObject plainError = toJson(ServerMessage(Error{ErrorCode::Forbidden, u"no"_s, {}}));
    QCOMPARE(plainError.keys(), (QStringList{u"code"_s, u"message"_s, u"type"_s}));
    QVERIFY(!plainError.contains("topic"_L1));
    const QJsonObject topicError = toJson(ServerMessage(Error{ErrorCode::Forbidden, u"no"_s, u"user-8"_s}));
    QCOMPARE(topicError.keys(), (QStringList{u"code"_s, u"message"_s, u"topic"_s, u"type"_s}));

    const QJsonObject hello = toJson(ServerMessage(Hello{UserInfo{7, u"alice"_s}, u"c"_s, 25}));
    QCOMPARE(hello.keys(), (QStringList{u"heartbeat"_s, u"session"_s, u"type"_s, u"user"_s}));
    QCOMPARE(hello.value("user"_L1).toObject().keys(), (QStringList{u"id"_s, u"login"_s}));
    const QJsonObject anonymous = toJson(ServerMessage(Hello{std::nullopt, u"c"_s, 25}));
    QVERIFY(anonymous.contains("user"_L1));
    QVERIFY(anonymous.value("user"_L1).isNull());

    QCOMPARE(toJson(ServerMessage(Logout{u"here"_s})).keys(), (QStringList{u"data"_s, u"type"_s}));
    QCOMPARE(toJson(ClientMessage(Ping{})).keys(), QStringList{u"type"_s});
}

void TestProtocol::stopwatchDates()
{
    // An offset is normalised to UTC; encode always writes UTC with `Z`.
    const auto decoded = decodeServerMessage(
        QByteArray(R"({"type":"stopwatches","data":[{"created":"2026-01-05T12:00:00+02:00","seconds":1,)"
                   R"("issue_index":1,"issue_title":"t","repo_owner_name":"o","repo_name":"r"}]})"));
    QVERIFY2(bool(decoded), qPrintable(decoded.error));
    const auto& stopwatches = std::get<Stopwatches>(*decoded.value);
    QCOMPARE(stopwatches.data.size(), 1);
    QCOMPARE(stopwatches.data.first().created, utc(2026, 1, 5, 10, 0, 0));
    QCOMPARE(stopwatches.data.first().created.timeSpec(), Qt::UTC);
    QCOMPARE(stopwatchToJson(stopwatches.data.first()).value("created"_L1).toString(),
             u"2026-01-05T10:00:00Z"_s);

    // A created time held in another zone is still written as UTC.
    Stopwatch offset = exampleStopwatch();
    offset.created = QDateTime(QDate(2026, 1, 5), QTime(11, 0, 0), QTimeZone(3600));
    QCOMPARE(stopwatchToJson(offset).value("created"_L1).toString(), u"2026-01-05T10:00:00Z"_s);

    // Milliseconds are accepted on input.
    QString error;
    QJsonObject withMs = exampleStopwatchJson();
    withMs.insert(u"created"_s, u"2026-01-05T10:00:00.250Z"_s);
    const Stopwatch s = stopwatchFromJson(withMs, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(s.created, utc(2026, 1, 5, 10, 0, 0).addMSecs(250));
    QCOMPARE(s.issueTitle, u"Fix X"_s);
}

void TestProtocol::boardSessionTagNull()
{
    const auto decoded = decodeServerMessage(QByteArray(
        R"({"type":"board","topic":"project-board.1","event":"project.deleted","data":{},"session_tag":null})"));
    QVERIFY2(bool(decoded), qPrintable(decoded.error));
    QVERIFY(std::get<BoardEvent>(*decoded.value).sessionTag.isEmpty());
    QVERIFY(!toJson(*decoded.value).contains("session_tag"_L1));
}

void TestProtocol::serverBadInput_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("error"); // a fragment of the reason

    // Not a JSON object
    QTest::newRow("malformed") << QByteArray(R"({"type":"ping")") << u"malformed JSON at offset"_s;
    QTest::newRow("garbage") << QByteArray("hello") << u"malformed JSON"_s;
    QTest::newRow("empty") << QByteArray() << u"malformed JSON"_s;
    QTest::newRow("trailing comma") << QByteArray(R"({"type":"ping",})") << u"malformed JSON"_s;
    QTest::newRow("two objects") << QByteArray(R"({"type":"ping"}{"type":"ping"})") << u"malformed JSON"_s;
    QTest::newRow("array") << QByteArray(R"([{"type":"ping"}])") << u"expected a JSON object"_s;
    QTest::newRow("empty array") << QByteArray("[]") << u"expected a JSON object"_s;

    // type
    QTest::newRow("type missing") << QByteArray("{}") << u"'type' must be a string"_s;
    QTest::newRow("type number") << QByteArray(R"({"type":1})") << u"'type' must be a string"_s;
    QTest::newRow("type null") << QByteArray(R"({"type":null})") << u"'type' must be a string"_s;
    QTest::newRow("type array") << QByteArray(R"({"type":["ping"]})") << u"'type' must be a string"_s;
    QTest::newRow("type unknown") << QByteArray(R"({"type":"nope"})") << u"unknown message type 'nope'"_s;
    QTest::newRow("type wrong case") << QByteArray(R"({"type":"Ping"})") << u"unknown message type 'Ping'"_s;
    QTest::newRow("type client-only")
        << QByteArray(R"({"type":"subscribe","topic":"user-1"})") << u"unknown message type 'subscribe'"_s;

    // hello
    const QString helloUser = u"hello 'user' must be an object or null"_s;
    const QString helloUserShape = u"hello 'user' needs an integer id and a login"_s;
    QTest::newRow("hello user missing")
        << QByteArray(R"({"type":"hello","session":"s","heartbeat":25})") << helloUser;
    QTest::newRow("hello user number")
        << QByteArray(R"({"type":"hello","user":7,"session":"s","heartbeat":25})") << helloUser;
    QTest::newRow("hello user string")
        << QByteArray(R"({"type":"hello","user":"alice","session":"s","heartbeat":25})") << helloUser;
    QTest::newRow("hello user array")
        << QByteArray(R"({"type":"hello","user":[7],"session":"s","heartbeat":25})") << helloUser;
    QTest::newRow("hello user id string")
        << QByteArray(R"({"type":"hello","user":{"id":"7","login":"a"},"session":"s","heartbeat":25})")
        << helloUserShape;
    QTest::newRow("hello user id fraction")
        << QByteArray(R"({"type":"hello","user":{"id":7.5,"login":"a"},"session":"s","heartbeat":25})")
        << helloUserShape;
    QTest::newRow("hello user login missing")
        << QByteArray(R"({"type":"hello","user":{"id":7},"session":"s","heartbeat":25})") << helloUserShape;
    QTest::newRow("hello user login number")
        << QByteArray(R"({"type":"hello","user":{"id":7,"login":7},"session":"s","heartbeat":25})")
        << helloUserShape;
    QTest::newRow("hello user empty object")
        << QByteArray(R"({"type":"hello","user":{},"session":"s","heartbeat":25})") << helloUserShape;
    QTest::newRow("hello session missing") << QByteArray(R"({"type":"hello","user":null,"heartbeat":25})")
                                           << u"'session' must be a non-empty string"_s;
    QTest::newRow("hello session empty")
        << QByteArray(R"({"type":"hello","user":null,"session":"","heartbeat":25})")
        << u"'session' must be a non-empty string"_s;
    QTest::newRow("hello heartbeat missing") << QByteArray(R"({"type":"hello","user":null,"session":"s"})")
                                             << u"hello 'heartbeat' must be an integer"_s;
    QTest::newRow("hello heartbeat string")
        << QByteArray(R"({"type":"hello","user":null,"session":"s","heartbeat":"25"})")
        << u"hello 'heartbeat' must be an integer"_s;

    // notification-count
    const QString countError = u"'count' must be a non-negative integer"_s;
    QTest::newRow("count negative") << QByteArray(R"({"type":"notification-count","count":-1})")
                                    << countError;
    QTest::newRow("count fraction") << QByteArray(R"({"type":"notification-count","count":1.5})")
                                    << countError;
    QTest::newRow("count string") << QByteArray(R"({"type":"notification-count","count":"3"})") << countError;
    QTest::newRow("count missing") << QByteArray(R"({"type":"notification-count"})") << countError;
    QTest::newRow("count null") << QByteArray(R"({"type":"notification-count","count":null})") << countError;
    // Outside qint64: refused without converting (the cast was undefined behaviour; found by fuzzing).
    QTest::newRow("count 1e300") << QByteArray(R"({"type":"notification-count","count":1e300})")
                                 << countError;
    QTest::newRow("count 2^63") << QByteArray(R"({"type":"notification-count","count":9223372036854775808})")
                                << countError;
    QTest::newRow("heartbeat -1e300")
        << QByteArray(R"({"type":"hello","user":null,"session":"s","heartbeat":-1e300})")
        << u"hello 'heartbeat' must be an integer"_s;
    QTest::newRow("count bool") << QByteArray(R"({"type":"notification-count","count":true})") << countError;

    // stopwatches
    const QString dataArray = u"stopwatches 'data' must be an array ([] when none)"_s;
    QTest::newRow("stopwatches data object")
        << QByteArray(R"({"type":"stopwatches","data":{}})") << dataArray;
    QTest::newRow("stopwatches data missing") << QByteArray(R"({"type":"stopwatches"})") << dataArray;
    QTest::newRow("stopwatches data null")
        << QByteArray(R"({"type":"stopwatches","data":null})") << dataArray;
    QTest::newRow("stopwatches data string")
        << QByteArray(R"({"type":"stopwatches","data":"[]"})") << dataArray;
    QTest::newRow("stopwatches item number") << QByteArray(R"({"type":"stopwatches","data":[5]})")
                                             << u"stopwatches 'data' items must be objects"_s;
    auto stopwatchRow = [](const char* name, const QString& key, const QJsonValue& value,
                           const QString& error) {
        QJsonObject item = exampleStopwatchJson();
        if (value.isUndefined())
            item.remove(key);
        else
            item.insert(key, value);
        QTest::newRow(name) << bytes(
                                   QJsonObject{{u"type"_s, u"stopwatches"_s}, {u"data"_s, QJsonArray{item}}})
                            << error;
    };
    const QString createdError = u"stopwatch 'created' must be an ISO 8601 date-time string"_s;
    stopwatchRow("created missing", u"created"_s, QJsonValue::Undefined, createdError);
    stopwatchRow("created not a date", u"created"_s, u"yesterday"_s, createdError);
    stopwatchRow("created empty", u"created"_s, u""_s, createdError);
    stopwatchRow("created bad month", u"created"_s, u"2026-13-05T10:00:00Z"_s, createdError);
    stopwatchRow("created date only", u"created"_s, u"2026-01-05"_s, createdError);
    stopwatchRow("created without offset (local time)", u"created"_s, u"2026-01-05T10:00:00"_s, createdError);
    stopwatchRow("created unix number", u"created"_s, 1767607200, createdError);
    const QString secondsError = u"stopwatch 'seconds' must be a non-negative integer"_s;
    stopwatchRow("seconds missing", u"seconds"_s, QJsonValue::Undefined, secondsError);
    stopwatchRow("seconds negative", u"seconds"_s, -5, secondsError);
    stopwatchRow("seconds fraction", u"seconds"_s, 1.25, secondsError);
    stopwatchRow("seconds string", u"seconds"_s, u"125"_s, secondsError);
    const QString indexError = u"stopwatch 'issue_index' must be an integer"_s;
    stopwatchRow("issue_index missing", u"issue_index"_s, QJsonValue::Undefined, indexError);
    stopwatchRow("issue_index string", u"issue_index"_s, u"7"_s, indexError);
    stopwatchRow("issue_title missing", u"issue_title"_s, QJsonValue::Undefined,
                 u"stopwatch 'issue_title' must be a string"_s);
    stopwatchRow("issue_title number", u"issue_title"_s, 1, u"stopwatch 'issue_title' must be a string"_s);
    stopwatchRow("repo_owner_name missing", u"repo_owner_name"_s, QJsonValue::Undefined,
                 u"stopwatch 'repo_owner_name' must be a string"_s);
    stopwatchRow("repo_name missing", u"repo_name"_s, QJsonValue::Undefined,
                 u"stopwatch 'repo_name' must be a string"_s);
    stopwatchRow("repo_name null", u"repo_name"_s, QJsonValue::Null,
                 u"stopwatch 'repo_name' must be a string"_s);
    {
        QJsonObject bad = exampleStopwatchJson();
        bad.remove(u"seconds"_s);
        QTest::newRow("second item bad")
            << bytes(QJsonObject{{u"type"_s, u"stopwatches"_s},
                                 {u"data"_s, QJsonArray{exampleStopwatchJson(), bad}}})
            << secondsError;
    }

    // logout
    QTest::newRow("logout data missing")
        << QByteArray(R"({"type":"logout"})") << u"logout 'data' must be a non-empty string"_s;
    QTest::newRow("logout data empty")
        << QByteArray(R"({"type":"logout","data":""})") << u"logout 'data' must be a non-empty string"_s;
    QTest::newRow("logout data number")
        << QByteArray(R"({"type":"logout","data":1})") << u"logout 'data' must be a non-empty string"_s;

    // board envelope
    QTest::newRow("board topic missing")
        << QByteArray(R"({"type":"board","event":"project.deleted","data":{}})")
        << u"board 'topic' must be a non-empty string"_s;
    QTest::newRow("board topic empty")
        << QByteArray(R"({"type":"board","topic":"","event":"project.deleted","data":{}})")
        << u"board 'topic' must be a non-empty string"_s;
    QTest::newRow("board event missing")
        << QByteArray(R"({"type":"board","topic":"project-board.1","data":{}})")
        << u"board 'event' must be a non-empty string"_s;
    QTest::newRow("board event number")
        << QByteArray(R"({"type":"board","topic":"project-board.1","event":5,"data":{}})")
        << u"board 'event' must be a non-empty string"_s;
    QTest::newRow("board data missing")
        << QByteArray(R"({"type":"board","topic":"project-board.1","event":"project.deleted"})")
        << u"board 'data' must be an object"_s;
    QTest::newRow("board data array")
        << QByteArray(R"({"type":"board","topic":"project-board.1","event":"project.deleted","data":[]})")
        << u"board 'data' must be an object"_s;
    QTest::newRow("board unknown event")
        << QByteArray(R"({"type":"board","topic":"project-board.1","event":"card.flipped","data":{}})")
        << u"unknown board event 'card.flipped' (known: card.moved, card.linked, card.unlinked, "
           u"column.created, "
           u"column.updated, column.deleted, column.reordered, project.updated, project.deleted)"_s;
    QTest::newRow("board event wrong case")
        << QByteArray(R"({"type":"board","topic":"project-board.1","event":"Card.Moved","data":{}})")
        << u"unknown board event 'Card.Moved'"_s;
    QTest::newRow("board session_tag number")
        << QByteArray(R"({"type":"board","topic":"project-board.1","event":"project.deleted","data":{},)"
                      R"("session_tag":5})")
        << u"board 'session_tag' must be a string"_s;

    // board data: every required field of every event, missing and of the wrong type.
    for (const auto& [event, data] : boardExamples()) {
        for (auto it = data.constBegin(); it != data.constEnd(); ++it) {
            QJsonObject missing = data;
            missing.remove(it.key());
            QTest::addRow("board %s %s missing", qPrintable(event), qPrintable(it.key()))
                << bytes(boardJson(event, missing))
                << u"board event '%1' needs data.%2 as %3, got missing"_s.arg(
                       event, it.key(), jsonTypeName(it.value().type()));
            QJsonObject wrong = data;
            const QJsonValue wrongValue = wrongTypeFor(it.value().type());
            wrong.insert(it.key(), wrongValue);
            QTest::addRow("board %s %s wrong type", qPrintable(event), qPrintable(it.key()))
                << bytes(boardJson(event, wrong))
                << u"board event '%1' needs data.%2 as %3, got %4"_s.arg(
                       event, it.key(), jsonTypeName(it.value().type()), jsonTypeName(wrongValue.type()));
            QJsonObject null = data;
            null.insert(it.key(), QJsonValue::Null);
            QTest::addRow("board %s %s null", qPrintable(event), qPrintable(it.key()))
                << bytes(boardJson(event, null))
                << u"board event '%1' needs data.%2 as %3, got null"_s.arg(event, it.key(),
                                                                           jsonTypeName(it.value().type()));
        }
    }
    const QString reorderError = u"column.reordered needs data.columns as [{column_id, sorting}]"_s;
    const auto reordered = [](const QJsonArray& columns) {
        return bytes(boardJson(u"column.reordered"_s, QJsonObject{{u"columns"_s, columns}}));
    };
    QTest::newRow("board column.reordered item number") << reordered(QJsonArray{5}) << reorderError;
    QTest::newRow("board column.reordered item sorting missing")
        << reordered(QJsonArray{QJsonObject{{u"column_id"_s, 1}}}) << reorderError;
    QTest::newRow("board column.reordered item column_id string")
        << reordered(QJsonArray{QJsonObject{{u"column_id"_s, u"1"_s}, {u"sorting"_s, 0}}}) << reorderError;
    QTest::newRow("board column.reordered second item bad")
        << reordered(QJsonArray{QJsonObject{{u"column_id"_s, 1}, {u"sorting"_s, 0}}, QJsonObject{}})
        << reorderError;

    // subscribed / unsubscribed
    QTest::newRow("subscribed topic missing")
        << QByteArray(R"({"type":"subscribed"})") << u"'topic' must be a non-empty string"_s;
    QTest::newRow("unsubscribed topic number")
        << QByteArray(R"({"type":"unsubscribed","topic":3})") << u"'topic' must be a non-empty string"_s;

    // error
    const QString codeError = u"error 'code' is not one of the known codes"_s;
    QTest::newRow("error unknown code")
        << QByteArray(R"({"type":"error","code":"teapot","message":"m"})") << codeError;
    QTest::newRow("error code wrong case")
        << QByteArray(R"({"type":"error","code":"FORBIDDEN","message":"m"})") << codeError;
    QTest::newRow("error code missing") << QByteArray(R"({"type":"error","message":"m"})") << codeError;
    QTest::newRow("error code number")
        << QByteArray(R"({"type":"error","code":1,"message":"m"})") << codeError;
    QTest::newRow("error message missing")
        << QByteArray(R"({"type":"error","code":"forbidden"})") << u"error 'message' must be a string"_s;
    QTest::newRow("error message number") << QByteArray(R"({"type":"error","code":"forbidden","message":1})")
                                          << u"error 'message' must be a string"_s;
}

void TestProtocol::serverBadInput()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, error);
    const auto decoded = decodeServerMessage(json);
    QVERIFY(!decoded);
    QVERIFY(!decoded.value.has_value());
    QVERIFY2(decoded.error.contains(error), qPrintable(u"got: "_s + decoded.error));
}

void TestProtocol::clientBadInput_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("error");
    QTest::newRow("malformed") << QByteArray(R"({"type":"subscribe",)") << u"malformed JSON at offset"_s;
    QTest::newRow("not JSON") << QByteArray("subscribe user-7") << u"malformed JSON"_s;
    QTest::newRow("empty") << QByteArray() << u"malformed JSON"_s;
    QTest::newRow("array") << QByteArray(R"(["subscribe"])") << u"expected a JSON object"_s;
    QTest::newRow("type missing") << QByteArray(R"({"topic":"user-7"})") << u"'type' must be a string"_s;
    QTest::newRow("type number") << QByteArray(R"({"type":2})") << u"'type' must be a string"_s;
    QTest::newRow("type unknown")
        << QByteArray(R"({"type":"publish"})")
        << u"unknown message type 'publish' (expected subscribe, unsubscribe or ping)"_s;
    QTest::newRow("type server-only")
        << QByteArray(R"({"type":"hello"})") << u"unknown message type 'hello'"_s;
    QTest::newRow("subscribe without topic")
        << QByteArray(R"({"type":"subscribe"})") << u"subscribe 'topic' must be a non-empty string"_s;
    QTest::newRow("subscribe empty topic") << QByteArray(R"({"type":"subscribe","topic":""})")
                                           << u"subscribe 'topic' must be a non-empty string"_s;
    QTest::newRow("subscribe topic number") << QByteArray(R"({"type":"subscribe","topic":42})")
                                            << u"subscribe 'topic' must be a non-empty string"_s;
    QTest::newRow("subscribe topic array") << QByteArray(R"({"type":"subscribe","topic":["user-7"]})")
                                           << u"subscribe 'topic' must be a non-empty string"_s;
    QTest::newRow("subscribe topic null") << QByteArray(R"({"type":"subscribe","topic":null})")
                                          << u"subscribe 'topic' must be a non-empty string"_s;
    QTest::newRow("unsubscribe without topic")
        << QByteArray(R"({"type":"unsubscribe"})") << u"unsubscribe 'topic' must be a non-empty string"_s;
}

void TestProtocol::clientBadInput()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, error);
    const auto decoded = decodeClientMessage(json);
    QVERIFY(!decoded);
    QVERIFY(!decoded.value.has_value());
    QVERIFY2(decoded.error.contains(error), qPrintable(u"got: "_s + decoded.error));
}

void TestProtocol::parseObject_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("error");
    QTest::newRow("object") << QByteArray(R"({"a":1})") << true << QString();
    QTest::newRow("empty object") << QByteArray("{}") << true << QString();
    QTest::newRow("array") << QByteArray("[1,2]") << false << u"expected a JSON object"_s;
    QTest::newRow("unterminated") << QByteArray(R"({"a":)") << false << u"malformed JSON at offset"_s;
    QTest::newRow("bare word") << QByteArray("nope") << false << u"malformed JSON at offset"_s;
}

void TestProtocol::parseObject()
{
    QFETCH(QByteArray, json);
    QFETCH(bool, ok);
    QFETCH(QString, error);
    const auto parsed = protocol::parseObject(json);
    QCOMPARE(bool(parsed), ok);
    if (ok) {
        QVERIFY(parsed.error.isEmpty());
        QCOMPARE(*parsed.value, parse(json));
    } else {
        QVERIFY2(parsed.error.contains(error), qPrintable(parsed.error));
    }
}

void TestProtocol::names()
{
    QCOMPARE(boardEventNames(),
             (QStringList{u"card.moved"_s, u"card.linked"_s, u"card.unlinked"_s, u"column.created"_s,
                          u"column.updated"_s, u"column.deleted"_s, u"column.reordered"_s,
                          u"project.updated"_s, u"project.deleted"_s}));
    for (const QString& name : boardEventNames())
        QVERIFY(isKnownBoardEvent(name));
    QVERIFY(!isKnownBoardEvent(u"card.flipped"_s));
    QVERIFY(!isKnownBoardEvent(QString()));
    QVERIFY(!isKnownBoardEvent(u"card"_s));

    QCOMPARE(errorCodeName(ErrorCode::Forbidden), u"forbidden"_s);
    QCOMPARE(errorCodeName(ErrorCode::BadRequest), u"bad_request"_s);
    QCOMPARE(errorCodeName(ErrorCode::UnknownTopic), u"unknown_topic"_s);
    QCOMPARE(errorCodeName(ErrorCode::RateLimited), u"rate_limited"_s);

    QCOMPARE(CloseCode::GoingAway, 1001);
    QCOMPARE(CloseCode::ProtocolError, 1002);
    QCOMPARE(CloseCode::InvalidPayload, 1007);
    QCOMPARE(CloseCode::TooBig, 1009);
    QCOMPARE(CloseCode::Unauthorized, 4001);
    QCOMPARE(CloseCode::SlowConsumer, 4008);
    QCOMPARE(kMaxMessageBytes, 64 * 1024);
}

// The named types are the wire's, and the one table maps each to its struct both ways.
void TestProtocol::messageTypes()
{
    namespace Type = MessageType;
    const QList<std::pair<ServerMessage, QLatin1StringView>> server = {
        {Hello{}, Type::Hello},
        {NotificationCount{}, Type::NotificationCount},
        {Stopwatches{}, Type::Stopwatches},
        {Logout{u"here"_s}, Type::Logout},
        {BoardEvent{u"project-board-1"_s, u"project.deleted"_s, {}, {}, std::nullopt}, Type::Board},
        {Subscribed{u"public"_s}, Type::Subscribed},
        {Unsubscribed{u"public"_s}, Type::Unsubscribed},
        {Error{ErrorCode::Forbidden, u"no"_s, {}}, Type::Error},
        {Ping{}, Type::Ping},
        {Pong{}, Type::Pong},
        {BoardSnapshot{u"project-board.1"_s, 3, {}}, Type::BoardSnapshot},
        {Boards{}, Type::Boards},
    };
    QCOMPARE(server.size(), qsizetype(std::variant_size_v<ServerMessage>));
    const QStringList serverNames = {u"hello"_s,          u"notification-count"_s,
                                     u"stopwatches"_s,    u"logout"_s,
                                     u"board"_s,          u"subscribed"_s,
                                     u"unsubscribed"_s,   u"error"_s,
                                     u"ping"_s,           u"pong"_s,
                                     u"board-snapshot"_s, u"boards"_s};
    for (qsizetype i = 0; i < server.size(); ++i) {
        const auto& [message, type] = server[i];
        QCOMPARE(QString(type), serverNames[i]);
        QCOMPARE(typeName(message), QString(type));
        QCOMPARE(toJson(message).value("type"_L1).toString(), QString(type));
        Hello session; // hello needs a session to decode
        session.session = u"s"_s;
        const ServerMessage sent = i == 0 ? ServerMessage(session) : message;
        const auto decoded = decodeServerMessage(encode(sent));
        QVERIFY2(decoded, qPrintable(decoded.error));
        QCOMPARE(decoded.value->index(), message.index());
    }

    const QList<std::pair<ClientMessage, QLatin1StringView>> client = {
        {Subscribe{u"public"_s}, Type::Subscribe},
        {Unsubscribe{u"public"_s}, Type::Unsubscribe},
        {Ping{}, Type::Ping},
        {Pong{}, Type::Pong},
        {Resync{u"project-board.1"_s}, Type::Resync},
        {ListBoards{}, Type::ListBoards},
    };
    QCOMPARE(client.size(), qsizetype(std::variant_size_v<ClientMessage>));
    const QStringList clientNames = {u"subscribe"_s, u"unsubscribe"_s, u"ping"_s,
                                     u"pong"_s,      u"resync"_s,      u"list-boards"_s};
    for (qsizetype i = 0; i < client.size(); ++i) {
        const auto& [message, type] = client[i];
        QCOMPARE(QString(type), clientNames[i]);
        QCOMPARE(typeName(message), QString(type));
        const auto decoded = decodeClientMessage(encode(message));
        QVERIFY2(decoded, qPrintable(decoded.error));
        QCOMPARE(decoded.value->index(), message.index());
    }
}

QTEST_APPLESS_MAIN(TestProtocol)
#include "tst_protocol.moc"
