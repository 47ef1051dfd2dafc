#include "format/EventStreamFormat.h"

#include "protocol/Protocol.h"
#include "protocol/Topic.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

// One `data:` line per line of `data`, as the SSE format has it (compact JSON has none, but a line
// break in data must never end the event early or start a field).
QByteArray event(QByteArrayView name, QByteArrayView data)
{
    QByteArray out;
    out.reserve(name.size() + data.size() + 16);
    out += "event: ";
    out += name;
    out += '\n';
    qsizetype start = 0;
    while (true) {
        const qsizetype end = data.indexOf('\n', start);
        QByteArrayView line = data.sliced(start, (end < 0 ? data.size() : end) - start);
        if (line.endsWith('\r'))
            line.chop(1);
        out += "data: ";
        out += line;
        out += '\n';
        if (end < 0)
            break;
        start = end + 1;
    }
    out += '\n';
    return out;
}

QByteArray compact(const QJsonObject& object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QByteArray boardEvent(const QJsonObject& message)
{
    const Topic topic = Topic::parse(message.value("topic"_L1).toString());
    if (topic.kind() != Topic::Kind::ProjectBoard)
        return {};
    // The event's own fields, flat; `type` and `project_id` are the stream's and are never overridden.
    QJsonObject data = message.value("data"_L1).toObject();
    data.insert(u"type"_s, message.value("event"_L1).toString());
    data.insert(u"project_id"_s, topic.id());
    if (message.contains("seq"_L1))
        data.insert(u"seq"_s, message.value("seq"_L1));
    if (message.value("session_tag"_L1).isString())
        data.insert(u"session_tag"_s, message.value("session_tag"_L1));
    return event(topic.name().toUtf8(), compact(data));
}

// One encoding per distinct message and user on a thread: a publication reaches every recipient on
// a worker as the same shared buffer, so a broadcast to many streams is parsed once.
struct Cache
{
    QByteArray input;
    qint64 userId = -1;
    QByteArray output;
};

} // namespace

QByteArray EventStreamFormat::eventFor(const QByteArray& json, qint64 userId)
{
    const QJsonObject message = QJsonDocument::fromJson(json).object();
    const QString type = message.value("type"_L1).toString();
    if (type == protocol::MessageType::NotificationCount) {
        // Gitea's UserIDCount, its fields as Go marshals them.
        return event("notification-count",
                     "{\"UserID\":" + QByteArray::number(userId) +
                         ",\"Count\":" + QByteArray::number(message.value("count"_L1).toInteger()) + '}');
    }
    if (type == protocol::MessageType::Stopwatches) {
        return event("stopwatches",
                     QJsonDocument(message.value("data"_L1).toArray()).toJson(QJsonDocument::Compact));
    }
    if (type == protocol::MessageType::Logout)
        return event("logout", message.value("data"_L1).toString() == "here"_L1 ? "here" : "elsewhere");
    if (type == protocol::MessageType::Board)
        return boardEvent(message);
    return {};
}

WireFormat::Payload EventStreamFormat::encode(const QByteArray& json, const QByteArray&,
                                              const Identity& who) const
{
    thread_local Cache cache;
    const bool hit = cache.userId == who.userId && cache.input.size() == json.size() &&
                     (cache.input.constData() == json.constData() || cache.input == json);
    if (!hit) {
        cache.output = eventFor(json, who.userId);
        cache.input = json;
        cache.userId = who.userId;
    }
    return {cache.output, {}};
}

} // namespace forgewire
