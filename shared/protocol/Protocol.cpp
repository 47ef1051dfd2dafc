#include "protocol/Protocol.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include <algorithm>
#include <cmath>
#include <type_traits>

namespace forgewire::protocol {

namespace {

using namespace Qt::StringLiterals;

struct BoardEventSpec
{
    QLatin1StringView name;
    // Each required field with the JSON type it must have.
    QList<std::pair<QLatin1StringView, QJsonValue::Type>> fields;
};

const QList<BoardEventSpec>& boardEventSpecs()
{
    using T = QJsonValue::Type;
    static const QList<BoardEventSpec> specs = {
        {"card.moved"_L1,
         {{"issue_id"_L1, T::Double},
          {"issue_index"_L1, T::Double},
          {"repo"_L1, T::String},
          {"from_column_id"_L1, T::Double},
          {"to_column_id"_L1, T::Double},
          {"sorting"_L1, T::Double}}},
        {"card.linked"_L1, {{"issue_id"_L1, T::Double}, {"column_id"_L1, T::Double}}},
        {"card.unlinked"_L1, {{"issue_id"_L1, T::Double}, {"column_id"_L1, T::Double}}},
        {"column.created"_L1,
         {{"column_id"_L1, T::Double},
          {"title"_L1, T::String},
          {"color"_L1, T::String},
          {"sorting"_L1, T::Double},
          {"default"_L1, T::Bool}}},
        {"column.updated"_L1,
         {{"column_id"_L1, T::Double},
          {"title"_L1, T::String},
          {"color"_L1, T::String},
          {"sorting"_L1, T::Double},
          {"default"_L1, T::Bool}}},
        {"column.deleted"_L1, {{"column_id"_L1, T::Double}, {"moved_to_column_id"_L1, T::Double}}},
        {"column.reordered"_L1, {{"columns"_L1, T::Array}}},
        {"project.updated"_L1,
         {{"title"_L1, T::String}, {"description"_L1, T::String}, {"is_closed"_L1, T::Bool}}},
        {"project.deleted"_L1, {}},
    };
    return specs;
}

QString jsonTypeName(QJsonValue::Type type)
{
    switch (type) {
    case QJsonValue::Null:
        return u"null"_s;
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
    case QJsonValue::Undefined:
        break;
    }
    return u"missing"_s;
}

QString validateBoardData(const QString& event, const QJsonObject& data)
{
    for (const auto& spec : boardEventSpecs()) {
        if (spec.name != event)
            continue;
        for (const auto& [field, type] : spec.fields) {
            const QJsonValue value = data.value(field);
            if (value.type() != type) {
                return u"board event '%1' needs data.%2 as %3, got %4"_s.arg(event, field, jsonTypeName(type),
                                                                             jsonTypeName(value.type()));
            }
        }
        if (event == "column.reordered"_L1) {
            for (const QJsonValue& column : data.value("columns"_L1).toArray()) {
                const QJsonObject o = column.toObject();
                if (!column.isObject() || !o.value("column_id"_L1).isDouble() ||
                    !o.value("sorting"_L1).isDouble())
                    return u"column.reordered needs data.columns as [{column_id, sorting}]"_s;
            }
        }
        return {};
    }
    return u"unknown board event '%1' (known: %2)"_s.arg(event, boardEventNames().join(u", "_s));
}

bool isInteger(const QJsonValue& value)
{
    if (!value.isDouble())
        return false;
    // Converting a double outside qint64 to qint64 is undefined behaviour, so the range is checked
    // first: [-2^63, 2^63) holds exactly the doubles that fit (NaN fails both comparisons).
    constexpr double kTwoPow63 = 9223372036854775808.0;
    const double d = value.toDouble();
    return d >= -kTwoPow63 && d < kTwoPow63 && std::trunc(d) == d;
}

template<typename T>
Decoded<T> failure(QString error)
{
    Decoded<T> result;
    result.error = std::move(error);
    return result;
}

template<typename T, typename V>
Decoded<T> success(V&& value)
{
    Decoded<T> result;
    result.value = T(std::forward<V>(value));
    return result;
}

// Topic fields must be non-empty strings; naming rules are Topic's business, not the codec's.
std::optional<QString> requireString(const QJsonObject& object, QLatin1StringView key, QString* error)
{
    const QJsonValue value = object.value(key);
    if (!value.isString() || value.toString().isEmpty()) {
        *error = u"'%1' must be a non-empty string"_s.arg(key);
        return std::nullopt;
    }
    return value.toString();
}

} // namespace

bool isWellFormedToken(const QByteArray& token)
{
    if (token.isEmpty() || token.size() > kMaxTokenBytes)
        return false;
    qsizetype end = token.size();
    while (end > 0 && token[end - 1] == '=')
        --end;
    if (end == 0)
        return false; // padding alone
    for (qsizetype i = 0; i < end; ++i) {
        const char c = token[i];
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
        if (!ok)
            return false;
    }
    return true;
}

bool hasControlCharacter(const QByteArray& value)
{
    return std::any_of(value.cbegin(), value.cend(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return (byte < 0x20 && byte != '\t') || byte == 0x7f;
    });
}

QString errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::Forbidden:
        return u"forbidden"_s;
    case ErrorCode::BadRequest:
        return u"bad_request"_s;
    case ErrorCode::UnknownTopic:
        return u"unknown_topic"_s;
    case ErrorCode::RateLimited:
        return u"rate_limited"_s;
    }
    return u"bad_request"_s;
}

static std::optional<ErrorCode> errorCodeFromName(const QString& name)
{
    for (ErrorCode code :
         {ErrorCode::Forbidden, ErrorCode::BadRequest, ErrorCode::UnknownTopic, ErrorCode::RateLimited}) {
        if (errorCodeName(code) == name)
            return code;
    }
    return std::nullopt;
}

bool isKnownBoardEvent(const QString& event)
{
    for (const auto& spec : boardEventSpecs()) {
        if (spec.name == event)
            return true;
    }
    return false;
}

QStringList boardEventNames()
{
    QStringList names;
    for (const auto& spec : boardEventSpecs())
        names.append(spec.name);
    return names;
}

QJsonObject stopwatchToJson(const Stopwatch& s)
{
    return QJsonObject{
        {u"created"_s, s.created.toUTC().toString(Qt::ISODate)},
        {u"seconds"_s, s.seconds},
        {u"issue_index"_s, s.issueIndex},
        {u"issue_title"_s, s.issueTitle},
        {u"repo_owner_name"_s, s.repoOwnerName},
        {u"repo_name"_s, s.repoName},
    };
}

Stopwatch stopwatchFromJson(const QJsonObject& o, QString* error)
{
    Stopwatch s;
    const QJsonValue created = o.value("created"_L1);
    s.created = QDateTime::fromString(created.toString(), Qt::ISODateWithMs);
    // Without `Z` or an offset the instant would depend on this machine's time zone.
    if (!created.isString() || !s.created.isValid() || s.created.timeSpec() == Qt::LocalTime) {
        *error = u"stopwatch 'created' must be an ISO 8601 date-time string with Z or an offset"_s;
        return {};
    }
    s.created = s.created.toUTC();
    if (!isInteger(o.value("seconds"_L1)) || o.value("seconds"_L1).toInteger() < 0) {
        *error = u"stopwatch 'seconds' must be a non-negative integer"_s;
        return {};
    }
    s.seconds = o.value("seconds"_L1).toInteger();
    if (!isInteger(o.value("issue_index"_L1))) {
        *error = u"stopwatch 'issue_index' must be an integer"_s;
        return {};
    }
    s.issueIndex = o.value("issue_index"_L1).toInteger();
    for (auto [key, target] :
         {std::pair{"issue_title"_L1, &s.issueTitle}, std::pair{"repo_owner_name"_L1, &s.repoOwnerName},
          std::pair{"repo_name"_L1, &s.repoName}}) {
        if (!o.value(key).isString()) {
            *error = u"stopwatch '%1' must be a string"_s.arg(key);
            return {};
        }
        *target = o.value(key).toString();
    }
    return s;
}

namespace {

// The fields of each message besides `type`.
void writeFields(const Hello& m, QJsonObject& o)
{
    o.insert(u"user"_s, m.user ? QJsonValue(QJsonObject{{u"id"_s, m.user->id}, {u"login"_s, m.user->login}})
                               : QJsonValue(QJsonValue::Null));
    o.insert(u"session"_s, m.session);
    o.insert(u"heartbeat"_s, m.heartbeat);
    if (m.forgeSession)
        o.insert(u"forge_session"_s, true);
}

void writeFields(const NotificationCount& m, QJsonObject& o)
{
    o.insert(u"count"_s, m.count);
}

void writeFields(const Stopwatches& m, QJsonObject& o)
{
    QJsonArray data;
    for (const Stopwatch& s : m.data)
        data.append(stopwatchToJson(s));
    o.insert(u"data"_s, data);
}

void writeFields(const Logout& m, QJsonObject& o)
{
    o.insert(u"data"_s, m.data);
}

void writeFields(const BoardEvent& m, QJsonObject& o)
{
    o.insert(u"topic"_s, m.topic);
    o.insert(u"event"_s, m.event);
    o.insert(u"data"_s, m.data);
    if (!m.sessionTag.isEmpty())
        o.insert(u"session_tag"_s, m.sessionTag);
    if (m.seq)
        o.insert(u"seq"_s, *m.seq);
}

void writeFields(const BoardSnapshot& m, QJsonObject& o)
{
    o.insert(u"topic"_s, m.topic);
    o.insert(u"seq"_s, m.seq);
    o.insert(u"board"_s, m.board);
}

void writeFields(const Boards& m, QJsonObject& o)
{
    QJsonArray boards;
    for (const BoardInfo& b : m.boards) {
        boards.append(
            QJsonObject{{u"topic"_s, b.topic},
                        {u"title"_s, b.title},
                        {u"owner"_s, b.owner},
                        {u"repo"_s, b.repo.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(b.repo)}});
    }
    o.insert(u"boards"_s, boards);
}

void writeFields(const Resync& m, QJsonObject& o)
{
    o.insert(u"topic"_s, m.topic);
}

void writeFields(const ListBoards&, QJsonObject&)
{}

void writeFields(const Error& m, QJsonObject& o)
{
    o.insert(u"code"_s, errorCodeName(m.code));
    o.insert(u"message"_s, m.message);
    if (!m.topic.isEmpty())
        o.insert(u"topic"_s, m.topic);
}

void writeFields(const Subscribed& m, QJsonObject& o)
{
    o.insert(u"topic"_s, m.topic);
}

void writeFields(const Unsubscribed& m, QJsonObject& o)
{
    o.insert(u"topic"_s, m.topic);
}

void writeFields(const Subscribe& m, QJsonObject& o)
{
    o.insert(u"topic"_s, m.topic);
}

void writeFields(const Unsubscribe& m, QJsonObject& o)
{
    o.insert(u"topic"_s, m.topic);
}

void writeFields(const Ping&, QJsonObject&)
{}
void writeFields(const Pong&, QJsonObject&)
{}

// The readers: each checks and reads the fields of its message, whose `type` already matched.
Decoded<ServerMessage> readHello(const QJsonObject& o)
{
    Hello m;
    const QJsonValue user = o.value("user"_L1);
    if (user.isObject()) {
        const QJsonObject u = user.toObject();
        if (!isInteger(u.value("id"_L1)) || !u.value("login"_L1).isString())
            return failure<ServerMessage>(u"hello 'user' needs an integer id and a login"_s);
        m.user = UserInfo{u.value("id"_L1).toInteger(), u.value("login"_L1).toString()};
    } else if (!user.isNull()) {
        return failure<ServerMessage>(u"hello 'user' must be an object or null"_s);
    }
    m.forgeSession = o.value("forge_session"_L1).toBool(false);
    QString error;
    const auto session = requireString(o, "session"_L1, &error);
    if (!session)
        return failure<ServerMessage>(error);
    m.session = *session;
    if (!isInteger(o.value("heartbeat"_L1)))
        return failure<ServerMessage>(u"hello 'heartbeat' must be an integer"_s);
    m.heartbeat = o.value("heartbeat"_L1).toInt();
    return success<ServerMessage>(m);
}

Decoded<ServerMessage> readNotificationCount(const QJsonObject& o)
{
    const QJsonValue count = o.value("count"_L1);
    if (!isInteger(count) || count.toInteger() < 0)
        return failure<ServerMessage>(u"'count' must be a non-negative integer"_s);
    return success<ServerMessage>(NotificationCount{count.toInteger()});
}

Decoded<ServerMessage> readStopwatches(const QJsonObject& o)
{
    const QJsonValue data = o.value("data"_L1);
    if (!data.isArray())
        return failure<ServerMessage>(u"stopwatches 'data' must be an array ([] when none)"_s);
    Stopwatches m;
    QString error;
    for (const QJsonValue& item : data.toArray()) {
        if (!item.isObject())
            return failure<ServerMessage>(u"stopwatches 'data' items must be objects"_s);
        Stopwatch s = stopwatchFromJson(item.toObject(), &error);
        if (!error.isEmpty())
            return failure<ServerMessage>(error);
        m.data.append(s);
    }
    return success<ServerMessage>(m);
}

Decoded<ServerMessage> readLogout(const QJsonObject& o)
{
    QString error;
    const auto data = requireString(o, "data"_L1, &error);
    if (!data)
        return failure<ServerMessage>(u"logout "_s + error);
    return success<ServerMessage>(Logout{*data});
}

Decoded<ServerMessage> readBoard(const QJsonObject& o)
{
    BoardEvent m;
    QString error;
    const auto topic = requireString(o, "topic"_L1, &error);
    if (!topic)
        return failure<ServerMessage>(u"board "_s + error);
    const auto event = requireString(o, "event"_L1, &error);
    if (!event)
        return failure<ServerMessage>(u"board "_s + error);
    const QJsonValue data = o.value("data"_L1);
    if (!data.isObject())
        return failure<ServerMessage>(u"board 'data' must be an object"_s);
    error = validateBoardData(*event, data.toObject());
    if (!error.isEmpty())
        return failure<ServerMessage>(error);
    const QJsonValue tag = o.value("session_tag"_L1);
    if (!tag.isUndefined() && !tag.isNull() && !tag.isString())
        return failure<ServerMessage>(u"board 'session_tag' must be a string"_s);
    const QJsonValue seq = o.value("seq"_L1);
    if (!seq.isUndefined()) {
        if (!isInteger(seq) || seq.toInteger() < 0)
            return failure<ServerMessage>(u"board 'seq' must be a non-negative integer"_s);
        m.seq = seq.toInteger();
    }
    m.topic = *topic;
    m.event = *event;
    m.data = data.toObject();
    m.sessionTag = tag.toString();
    return success<ServerMessage>(m);
}

Decoded<ServerMessage> readBoardSnapshot(const QJsonObject& o)
{
    BoardSnapshot m;
    QString error;
    const auto topic = requireString(o, "topic"_L1, &error);
    if (!topic)
        return failure<ServerMessage>(u"board-snapshot "_s + error);
    const QJsonValue seq = o.value("seq"_L1);
    if (!isInteger(seq) || seq.toInteger() < 0)
        return failure<ServerMessage>(u"board-snapshot 'seq' must be a non-negative integer"_s);
    if (!o.value("board"_L1).isObject())
        return failure<ServerMessage>(u"board-snapshot 'board' must be an object"_s);
    m.topic = *topic;
    m.seq = seq.toInteger();
    m.board = o.value("board"_L1).toObject();
    return success<ServerMessage>(m);
}

Decoded<ServerMessage> readBoards(const QJsonObject& o)
{
    const QJsonValue boards = o.value("boards"_L1);
    if (!boards.isArray())
        return failure<ServerMessage>(u"boards 'boards' must be an array"_s);
    Boards m;
    for (const QJsonValue& item : boards.toArray()) {
        const QJsonObject b = item.toObject();
        const QJsonValue repo = b.value("repo"_L1);
        if (!item.isObject() || !b.value("topic"_L1).isString() || !b.value("title"_L1).isString() ||
            !b.value("owner"_L1).isString() || !(repo.isString() || repo.isNull()))
            return failure<ServerMessage>(
                u"boards 'boards' items need topic, title and owner as strings and repo as a string or null"_s);
        m.boards.append(BoardInfo{b.value("topic"_L1).toString(), b.value("title"_L1).toString(),
                                  b.value("owner"_L1).toString(), repo.toString()});
    }
    return success<ServerMessage>(m);
}

Decoded<ServerMessage> readError(const QJsonObject& o)
{
    const auto code = errorCodeFromName(o.value("code"_L1).toString());
    if (!code)
        return failure<ServerMessage>(u"error 'code' is not one of the known codes"_s);
    if (!o.value("message"_L1).isString())
        return failure<ServerMessage>(u"error 'message' must be a string"_s);
    return success<ServerMessage>(
        Error{*code, o.value("message"_L1).toString(), o.value("topic"_L1).toString()});
}

// Messages whose only field is `topic`; a client's error names its message type.
template<typename T, typename Message, bool namesType>
Decoded<Message> readTopic(const QJsonObject& o)
{
    QString error;
    const auto topic = requireString(o, "topic"_L1, &error);
    if (!topic)
        return failure<Message>(namesType ? o.value("type"_L1).toString() + u" "_s + error : error);
    return success<Message>(T{*topic});
}

template<typename T, typename Message>
Decoded<Message> readNothing(const QJsonObject&)
{
    return success<Message>(T{});
}

template<typename T, typename... Ts>
constexpr std::size_t alternativeIndex(const std::variant<Ts...>*)
{
    constexpr bool matches[] = {std::is_same_v<T, Ts>...};
    for (std::size_t i = 0; i < sizeof...(Ts); ++i) {
        if (matches[i])
            return i;
    }
    return sizeof...(Ts);
}

// One message type: its name on the wire, its place in the variant, its writer and its reader.
template<typename Message>
struct Codec
{
    QLatin1StringView type;
    std::size_t alternative;
    void (*write)(const Message&, QJsonObject&);
    Decoded<Message> (*read)(const QJsonObject&);
};

template<typename T, typename Message>
constexpr Codec<Message> codec(QLatin1StringView type, Decoded<Message> (*read)(const QJsonObject&))
{
    return {type, alternativeIndex<T>(static_cast<const Message*>(nullptr)),
            [](const Message& m, QJsonObject& o) { writeFields(std::get<T>(m), o); }, read};
}

// Every codec in the order of the variant's alternatives, so a message's index() finds its own.
template<typename Message, std::size_t N>
constexpr bool inVariantOrder(const Codec<Message> (&codecs)[N])
{
    if (N != std::variant_size_v<Message>)
        return false;
    for (std::size_t i = 0; i < N; ++i) {
        if (codecs[i].alternative != i)
            return false;
    }
    return true;
}

template<typename Message, std::size_t N>
const Codec<Message>* findCodec(const Codec<Message> (&codecs)[N], const QString& type)
{
    for (const Codec<Message>& c : codecs) {
        if (c.type == type)
            return &c;
    }
    return nullptr;
}

// The one table of the messages a server sends: name <-> struct, writer and reader.
constexpr Codec<ServerMessage> kServerCodecs[] = {
    codec<Hello, ServerMessage>(MessageType::Hello, readHello),
    codec<NotificationCount, ServerMessage>(MessageType::NotificationCount, readNotificationCount),
    codec<Stopwatches, ServerMessage>(MessageType::Stopwatches, readStopwatches),
    codec<Logout, ServerMessage>(MessageType::Logout, readLogout),
    codec<BoardEvent, ServerMessage>(MessageType::Board, readBoard),
    codec<Subscribed, ServerMessage>(MessageType::Subscribed, readTopic<Subscribed, ServerMessage, false>),
    codec<Unsubscribed, ServerMessage>(MessageType::Unsubscribed,
                                       readTopic<Unsubscribed, ServerMessage, false>),
    codec<Error, ServerMessage>(MessageType::Error, readError),
    codec<Ping, ServerMessage>(MessageType::Ping, readNothing<Ping, ServerMessage>),
    codec<Pong, ServerMessage>(MessageType::Pong, readNothing<Pong, ServerMessage>),
    codec<BoardSnapshot, ServerMessage>(MessageType::BoardSnapshot, readBoardSnapshot),
    codec<Boards, ServerMessage>(MessageType::Boards, readBoards),
};
static_assert(inVariantOrder(kServerCodecs), "one codec per ServerMessage alternative, in order");

// And of the messages a client sends.
constexpr Codec<ClientMessage> kClientCodecs[] = {
    codec<Subscribe, ClientMessage>(MessageType::Subscribe, readTopic<Subscribe, ClientMessage, true>),
    codec<Unsubscribe, ClientMessage>(MessageType::Unsubscribe, readTopic<Unsubscribe, ClientMessage, true>),
    codec<Ping, ClientMessage>(MessageType::Ping, readNothing<Ping, ClientMessage>),
    codec<Pong, ClientMessage>(MessageType::Pong, readNothing<Pong, ClientMessage>),
    codec<Resync, ClientMessage>(MessageType::Resync, readTopic<Resync, ClientMessage, true>),
    codec<ListBoards, ClientMessage>(MessageType::ListBoards, readNothing<ListBoards, ClientMessage>),
};
static_assert(inVariantOrder(kClientCodecs), "one codec per ClientMessage alternative, in order");

template<typename Message, std::size_t N>
QJsonObject toJsonWith(const Codec<Message> (&codecs)[N], const Message& message)
{
    const Codec<Message>& c = codecs[message.index()];
    QJsonObject o{{u"type"_s, QString(c.type)}};
    c.write(message, o);
    return o;
}

} // namespace

QString typeName(const ServerMessage& message)
{
    // Built once and shared: every publication carries its type name.
    static const QList<QString> names = [] {
        QList<QString> all;
        for (const Codec<ServerMessage>& c : kServerCodecs)
            all.append(QString(c.type));
        return all;
    }();
    return names[qsizetype(message.index())];
}

QString typeName(const ClientMessage& message)
{
    return kClientCodecs[message.index()].type;
}

QJsonObject toJson(const ServerMessage& message)
{
    return toJsonWith(kServerCodecs, message);
}

QJsonObject toJson(const ClientMessage& message)
{
    return toJsonWith(kClientCodecs, message);
}

QByteArray encode(const ServerMessage& message)
{
    // By far the most published message: written directly, byte for byte what QJsonDocument writes
    // for it (keys in order, the count as an integer), without building and serializing an object.
    if (const auto* count = std::get_if<NotificationCount>(&message))
        return QByteArrayLiteral("{\"count\":") + QByteArray::number(count->count) +
               QByteArrayLiteral(",\"type\":\"notification-count\"}");
    return QJsonDocument(toJson(message)).toJson(QJsonDocument::Compact);
}

QByteArray encode(const ClientMessage& message)
{
    return QJsonDocument(toJson(message)).toJson(QJsonDocument::Compact);
}

Decoded<QJsonObject> parseObject(const QByteArray& bytes)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(bytes, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        return failure<QJsonObject>(
            u"malformed JSON at offset %1: %2"_s.arg(parseError.offset).arg(parseError.errorString()));
    }
    if (!document.isObject())
        return failure<QJsonObject>(u"expected a JSON object"_s);
    return success<QJsonObject>(document.object());
}

Decoded<ServerMessage> decodeServerMessage(const QJsonObject& o)
{
    const QJsonValue typeValue = o.value("type"_L1);
    if (!typeValue.isString())
        return failure<ServerMessage>(u"'type' must be a string"_s);
    const QString type = typeValue.toString();
    if (const auto* c = findCodec(kServerCodecs, type))
        return c->read(o);
    return failure<ServerMessage>(u"unknown message type '%1'"_s.arg(type));
}

Decoded<ServerMessage> decodeServerMessage(const QByteArray& bytes)
{
    const auto object = parseObject(bytes);
    if (!object)
        return failure<ServerMessage>(object.error);
    return decodeServerMessage(*object.value);
}

Decoded<ClientMessage> decodeClientMessage(const QByteArray& bytes)
{
    const auto parsed = parseObject(bytes);
    if (!parsed)
        return failure<ClientMessage>(parsed.error);
    const QJsonObject& o = *parsed.value;
    const QJsonValue typeValue = o.value("type"_L1);
    if (!typeValue.isString())
        return failure<ClientMessage>(u"'type' must be a string"_s);
    const QString type = typeValue.toString();
    if (const auto* c = findCodec(kClientCodecs, type))
        return c->read(o);
    return failure<ClientMessage>(
        u"unknown message type '%1' (expected subscribe, unsubscribe or ping)"_s.arg(type));
}

} // namespace forgewire::protocol
