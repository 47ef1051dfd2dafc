#include "admin/PublishRequest.h"

#include "config/ServerLimits.h"
#include "protocol/ApplicationEvent.h"
#include "protocol/Protocol.h"
#include "protocol/Topic.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace forgewire::publish {

using namespace Qt::StringLiterals;

namespace {

Result reject(const QString& error)
{
    Result r;
    r.error = error;
    return r;
}

Result single(Publication p)
{
    if (p.payload.size() > limits::kMaxMessageBytes)
        return reject(u"message is %1 bytes encoded; the limit is %2"_s.arg(p.payload.size())
                          .arg(limits::kMaxMessageBytes));
    Result r;
    r.publications.append(std::move(p));
    return r;
}

// PROTOCOL.md v1.1: a type of the forge's own goes out as the object it is, on any topic (board
// topics keep their access check); the server gives it no meaning, so it never touches a board model.
Result applicationEvent(const QString& topicName, const QString& type, const QJsonObject& message,
                        bool retain)
{
    Publication p;
    p.topic = topicName;
    p.type = type;
    p.retain = retain;
    p.payload = QJsonDocument(message).toJson(QJsonDocument::Compact);
    return single(std::move(p));
}

} // namespace

Result build(const QString& topicName, const QJsonObject& messageObject, bool retain)
{
    const Topic topic = Topic::parse(topicName);
    if (!topic.isValid())
        return reject(u"unknown topic '%1' (expected user-{id}, project-board.{id} or public.<name>)"_s.arg(
            topicName.left(Topic::kMaxLength)));

    const QJsonValue typeValue = messageObject.value("type"_L1);
    if (typeValue.isString()) {
        const QString typeName = typeValue.toString();
        if (protocol::ApplicationEvent::isApplicationType(typeName))
            return applicationEvent(topicName, typeName, messageObject, retain);
        if (protocol::ApplicationEvent::isReserved(typeName))
            return reject(u"messages of type '%1' cannot be published: the name is reserved"_s.arg(typeName));
        if (!protocol::isPublishableType(typeName))
            return reject(
                u"unknown message type '%1': an application event's type is [a-z0-9._-], at most %2 "
                "characters"_s.arg(typeName.left(protocol::ApplicationEvent::kMaxTypeLength))
                    .arg(protocol::ApplicationEvent::kMaxTypeLength));
    }

    QJsonObject object = messageObject;
    // A board message's topic is the envelope's; a publisher may leave it out.
    if (typeValue.isString() && typeValue.toString() == protocol::MessageType::Board &&
        !object.contains("topic"_L1))
        object.insert(u"topic"_s, topicName);
    const auto decoded = protocol::decodeServerMessage(object);
    if (!decoded)
        return reject(u"invalid message: "_s + decoded.error);
    const protocol::ServerMessage& message = *decoded.value;
    const QString type = protocol::typeName(message);

    const bool isBoard = std::holds_alternative<protocol::BoardEvent>(message);
    const bool isState = std::holds_alternative<protocol::NotificationCount>(message) ||
                         std::holds_alternative<protocol::Stopwatches>(message);
    const bool isLogout = std::holds_alternative<protocol::Logout>(message);
    if (!isBoard && !isState && !isLogout)
        return reject(
            u"messages of type '%1' cannot be published (notification-count, stopwatches, logout, board)"_s
                .arg(type));
    switch (topic.kind()) {
    case Topic::Kind::User:
    case Topic::Kind::ForgeSession:
        if (isBoard)
            return reject(
                u"board events go to project-board.{id} or public.* topics, not %1"_s.arg(topicName));
        break;
    case Topic::Kind::ProjectBoard:
        if (!isBoard)
            return reject(u"project-board topics carry board events only, not '%1'"_s.arg(type));
        break;
    case Topic::Kind::Public:
        if (isLogout)
            return reject(u"logout goes to a user-{id} topic"_s);
        break;
    case Topic::Kind::Invalid:
        break;
    }
    if (isBoard && std::get<protocol::BoardEvent>(message).topic != topicName)
        return reject(u"the message's topic '%1' differs from the envelope's '%2'"_s.arg(
            std::get<protocol::BoardEvent>(message).topic, topicName));
    if (retain && !isState)
        return reject(
            u"only notification-count, stopwatches and application events can be retained, not '%1'"_s.arg(
                type));

    Publication p;
    p.topic = topicName;
    p.type = type;
    // PROTOCOL.md: a user's latest notification-count and stopwatches are always kept, so a publisher
    // that leaves `retain` out cannot leave an older value to greet the next connection.
    p.retain = retain || (isState && topic.kind() == Topic::Kind::User);
    // PROTOCOL.md v1.1: project.deleted removes the board's model and ACL and unsubscribes its readers.
    p.endsTopic = isBoard && topic.kind() == Topic::Kind::ProjectBoard &&
                  std::get<protocol::BoardEvent>(message).event == "project.deleted"_L1;
    if (isLogout) {
        // The session id never goes out: each connection learns only whether it was its own session.
        p.logoutSession = std::get<protocol::Logout>(message).data;
        p.payload = protocol::encode(protocol::ServerMessage(protocol::Logout{u"elsewhere"_s}));
    } else {
        p.payload = protocol::encode(message);
    }
    return single(std::move(p));
}

Result fromEnvelope(const QJsonValue& envelope, int index)
{
    // Formatted only for an error: for every item of a batch it costs more than the item's checks.
    const auto where = [index] {
        return index >= 0 ? u"item %1: "_s.arg(index) : QString();
    };
    if (!envelope.isObject())
        return reject(where() + u"expected an object {\"topic\", \"message\", \"retain\"}"_s);
    const QJsonObject o = envelope.toObject();
    if (!o.value("topic"_L1).isString())
        return reject(where() + u"'topic' must be a string"_s);
    if (!o.value("message"_L1).isObject())
        return reject(where() + u"'message' must be an object"_s);
    const QJsonValue retain = o.value("retain"_L1);
    if (!retain.isUndefined() && !retain.isBool())
        return reject(where() + u"'retain' must be a boolean"_s);
    Result r = build(o.value("topic"_L1).toString(), o.value("message"_L1).toObject(), retain.toBool(false));
    if (!r.error.isEmpty())
        r.error.prepend(where());
    return r;
}

namespace {

// Reads the one shape countBatch() takes, byte by byte; every other byte sequence makes it give up
// (and fromEnvelopeBody() read the body in full), so it never has to produce an error of its own.
class CountBatchReader
{
public:
    explicit CountBatchReader(const QByteArray& body)
        : m_p(body.constData()), m_end(body.constData() + body.size())
    {}

    std::optional<QList<Publication>> read()
    {
        if (!take('['))
            return std::nullopt;
        QList<Publication> out;
        do {
            if (out.size() == limits::kMaxPublishBatch || !readItem(&out))
                return std::nullopt; // empty, too many, or another shape: the full parse says why
        } while (take(','));
        if (!take(']'))
            return std::nullopt;
        skipSpace();
        if (m_p != m_end)
            return std::nullopt;
        return out;
    }

private:
    void skipSpace()
    {
        while (m_p < m_end && (*m_p == ' ' || *m_p == '\t' || *m_p == '\n' || *m_p == '\r'))
            ++m_p;
    }
    bool take(char c)
    {
        skipSpace();
        if (m_p == m_end || *m_p != c)
            return false;
        ++m_p;
        return true;
    }
    // Printable ASCII without escapes: all a topic name, a key or this type can be.
    bool string(QByteArrayView* out)
    {
        if (!take('"'))
            return false;
        const char* start = m_p;
        while (m_p < m_end && *m_p != '"') {
            const auto c = uchar(*m_p);
            if (c == '\\' || c < 0x20 || c >= 0x7f)
                return false;
            ++m_p;
        }
        if (m_p == m_end)
            return false;
        *out = QByteArrayView(start, m_p - start);
        ++m_p;
        return true;
    }
    // A non-negative integer of at most 15 digits (exact as the double the full parse makes of it).
    bool count(qint64* out)
    {
        skipSpace();
        const char* start = m_p;
        while (m_p < m_end && *m_p >= '0' && *m_p <= '9')
            ++m_p;
        const qsizetype digits = m_p - start;
        if (digits == 0 || digits > 15 || (digits > 1 && *start == '0'))
            return false;
        if (m_p < m_end && (*m_p == '.' || *m_p == 'e' || *m_p == 'E'))
            return false;
        qint64 value = 0;
        for (const char* c = start; c < m_p; ++c)
            value = value * 10 + (*c - '0');
        *out = value;
        return true;
    }
    bool boolean()
    {
        skipSpace();
        for (const QByteArrayView word : {QByteArrayView("true"), QByteArrayView("false")}) {
            if (m_end - m_p >= word.size() && QByteArrayView(m_p, word.size()) == word) {
                m_p += word.size();
                return true;
            }
        }
        return false;
    }
    bool readMessage(qint64* countValue)
    {
        if (!take('{'))
            return false;
        bool haveType = false, haveCount = false;
        do {
            QByteArrayView key;
            if (!string(&key) || !take(':'))
                return false;
            if (key == "type" && !haveType) {
                QByteArrayView type;
                if (!string(&type) || type != QByteArrayView(protocol::MessageType::NotificationCount))
                    return false;
                haveType = true;
            } else if (key == "count" && !haveCount) {
                if (!count(countValue))
                    return false;
                haveCount = true;
            } else {
                return false; // another key, or one twice
            }
        } while (take(','));
        return take('}') && haveType && haveCount;
    }
    bool readItem(QList<Publication>* out)
    {
        if (!take('{'))
            return false;
        bool haveTopic = false, haveMessage = false, haveRetain = false;
        QByteArrayView topic;
        qint64 countValue = 0;
        do {
            QByteArrayView key;
            if (!string(&key) || !take(':'))
                return false;
            if (key == "topic" && !haveTopic) {
                if (!string(&topic))
                    return false;
                haveTopic = true;
            } else if (key == "message" && !haveMessage) {
                if (!readMessage(&countValue))
                    return false;
                haveMessage = true;
            } else if (key == "retain" && !haveRetain) {
                // A user's count is retained whatever the flag says (see build()).
                if (!boolean())
                    return false;
                haveRetain = true;
            } else {
                return false;
            }
        } while (take(','));
        if (!take('}') || !haveTopic || !haveMessage)
            return false;
        Publication p;
        p.topic = QString::fromLatin1(topic);
        if (Topic::parse(p.topic).kind() != Topic::Kind::User)
            return false;
        static const QString type = protocol::MessageType::NotificationCount;
        p.type = type;
        p.retain = true;
        p.payload = protocol::encode(protocol::ServerMessage(protocol::NotificationCount{countValue}));
        out->append(std::move(p));
        return true;
    }

    const char* m_p;
    const char* m_end;
};

} // namespace

std::optional<QList<Publication>> countBatch(const QByteArray& body)
{
    return CountBatchReader(body).read();
}

Result fromEnvelopeBody(const QByteArray& body)
{
    // Most of what a forge publishes: profiled, building the JSON document and reading it back was
    // 2.0 us of the main thread's ~6 us per unicast item.
    if (std::optional<QList<Publication>> counts = countBatch(body)) {
        Result r;
        r.publications = std::move(*counts);
        return r;
    }
    return fromDocument(body);
}

Result fromDocument(const QByteArray& body)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return reject(
            u"malformed JSON at offset %1: %2"_s.arg(parseError.offset).arg(parseError.errorString()));
    if (document.isObject())
        return fromEnvelope(document.object());
    if (!document.isArray())
        return reject(u"expected an object or an array of objects"_s);
    const QJsonArray items = document.array();
    if (items.isEmpty())
        return reject(u"empty batch"_s);
    if (items.size() > limits::kMaxPublishBatch)
        return reject(
            u"batch of %1 items; the limit is %2"_s.arg(items.size()).arg(limits::kMaxPublishBatch));
    Result all;
    all.publications.reserve(items.size());
    for (int i = 0; i < items.size(); ++i) {
        Result one = fromEnvelope(items[i], i);
        if (!one.error.isEmpty())
            return one;
        all.publications += one.publications;
    }
    return all;
}

} // namespace forgewire::publish
