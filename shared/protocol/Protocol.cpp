#include "protocol/Protocol.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include <algorithm>
#include <cmath>

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

QString typeName(const ServerMessage& message)
{
    struct V
    {
        QString operator()(const Hello&) const { return u"hello"_s; }
        QString operator()(const NotificationCount&) const { return u"notification-count"_s; }
        QString operator()(const Stopwatches&) const { return u"stopwatches"_s; }
        QString operator()(const Logout&) const { return u"logout"_s; }
        QString operator()(const BoardEvent&) const { return u"board"_s; }
        QString operator()(const Subscribed&) const { return u"subscribed"_s; }
        QString operator()(const Unsubscribed&) const { return u"unsubscribed"_s; }
        QString operator()(const Error&) const { return u"error"_s; }
        QString operator()(const Ping&) const { return u"ping"_s; }
        QString operator()(const Pong&) const { return u"pong"_s; }
    };
    return std::visit(V{}, message);
}

QString typeName(const ClientMessage& message)
{
    struct V
    {
        QString operator()(const Subscribe&) const { return u"subscribe"_s; }
        QString operator()(const Unsubscribe&) const { return u"unsubscribe"_s; }
        QString operator()(const Ping&) const { return u"ping"_s; }
        QString operator()(const Pong&) const { return u"pong"_s; }
    };
    return std::visit(V{}, message);
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

QJsonObject toJson(const ServerMessage& message)
{
    QJsonObject o{{u"type"_s, typeName(message)}};
    struct V
    {
        QJsonObject& o;
        void operator()(const Hello& m)
        {
            o.insert(u"user"_s,
                     m.user ? QJsonValue(QJsonObject{{u"id"_s, m.user->id}, {u"login"_s, m.user->login}})
                            : QJsonValue(QJsonValue::Null));
            o.insert(u"session"_s, m.session);
            o.insert(u"heartbeat"_s, m.heartbeat);
        }
        void operator()(const NotificationCount& m) { o.insert(u"count"_s, m.count); }
        void operator()(const Stopwatches& m)
        {
            QJsonArray data;
            for (const Stopwatch& s : m.data)
                data.append(stopwatchToJson(s));
            o.insert(u"data"_s, data);
        }
        void operator()(const Logout& m) { o.insert(u"data"_s, m.data); }
        void operator()(const BoardEvent& m)
        {
            o.insert(u"topic"_s, m.topic);
            o.insert(u"event"_s, m.event);
            o.insert(u"data"_s, m.data);
            if (!m.sessionTag.isEmpty())
                o.insert(u"session_tag"_s, m.sessionTag);
        }
        void operator()(const Subscribed& m) { o.insert(u"topic"_s, m.topic); }
        void operator()(const Unsubscribed& m) { o.insert(u"topic"_s, m.topic); }
        void operator()(const Error& m)
        {
            o.insert(u"code"_s, errorCodeName(m.code));
            o.insert(u"message"_s, m.message);
            if (!m.topic.isEmpty())
                o.insert(u"topic"_s, m.topic);
        }
        void operator()(const Ping&) {}
        void operator()(const Pong&) {}
    };
    std::visit(V{o}, message);
    return o;
}

QJsonObject toJson(const ClientMessage& message)
{
    QJsonObject o{{u"type"_s, typeName(message)}};
    if (const auto* s = std::get_if<Subscribe>(&message))
        o.insert(u"topic"_s, s->topic);
    else if (const auto* u = std::get_if<Unsubscribe>(&message))
        o.insert(u"topic"_s, u->topic);
    return o;
}

QByteArray encode(const ServerMessage& message)
{
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
    QString error;

    if (type == "hello"_L1) {
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
        const auto session = requireString(o, "session"_L1, &error);
        if (!session)
            return failure<ServerMessage>(error);
        m.session = *session;
        if (!isInteger(o.value("heartbeat"_L1)))
            return failure<ServerMessage>(u"hello 'heartbeat' must be an integer"_s);
        m.heartbeat = o.value("heartbeat"_L1).toInt();
        return success<ServerMessage>(m);
    }
    if (type == "notification-count"_L1) {
        const QJsonValue count = o.value("count"_L1);
        if (!isInteger(count) || count.toInteger() < 0)
            return failure<ServerMessage>(u"'count' must be a non-negative integer"_s);
        return success<ServerMessage>(NotificationCount{count.toInteger()});
    }
    if (type == "stopwatches"_L1) {
        const QJsonValue data = o.value("data"_L1);
        if (!data.isArray())
            return failure<ServerMessage>(u"stopwatches 'data' must be an array ([] when none)"_s);
        Stopwatches m;
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
    if (type == "logout"_L1) {
        const auto data = requireString(o, "data"_L1, &error);
        if (!data)
            return failure<ServerMessage>(u"logout "_s + error);
        return success<ServerMessage>(Logout{*data});
    }
    if (type == "board"_L1) {
        BoardEvent m;
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
        m.topic = *topic;
        m.event = *event;
        m.data = data.toObject();
        m.sessionTag = tag.toString();
        return success<ServerMessage>(m);
    }
    if (type == "subscribed"_L1 || type == "unsubscribed"_L1) {
        const auto topic = requireString(o, "topic"_L1, &error);
        if (!topic)
            return failure<ServerMessage>(error);
        if (type == "subscribed"_L1)
            return success<ServerMessage>(Subscribed{*topic});
        return success<ServerMessage>(Unsubscribed{*topic});
    }
    if (type == "error"_L1) {
        const auto code = errorCodeFromName(o.value("code"_L1).toString());
        if (!code)
            return failure<ServerMessage>(u"error 'code' is not one of the known codes"_s);
        if (!o.value("message"_L1).isString())
            return failure<ServerMessage>(u"error 'message' must be a string"_s);
        return success<ServerMessage>(
            Error{*code, o.value("message"_L1).toString(), o.value("topic"_L1).toString()});
    }
    if (type == "ping"_L1)
        return success<ServerMessage>(Ping{});
    if (type == "pong"_L1)
        return success<ServerMessage>(Pong{});
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
    QString error;
    if (type == "subscribe"_L1 || type == "unsubscribe"_L1) {
        const auto topic = requireString(o, "topic"_L1, &error);
        if (!topic)
            return failure<ClientMessage>(type + u" "_s + error);
        if (type == "subscribe"_L1)
            return success<ClientMessage>(Subscribe{*topic});
        return success<ClientMessage>(Unsubscribe{*topic});
    }
    if (type == "ping"_L1)
        return success<ClientMessage>(Ping{});
    if (type == "pong"_L1)
        return success<ClientMessage>(Pong{});
    return failure<ClientMessage>(
        u"unknown message type '%1' (expected subscribe, unsubscribe or ping)"_s.arg(type));
}

} // namespace forgewire::protocol
