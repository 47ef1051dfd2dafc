#include "format/EventTypeFormat.h"

#include "protocol/Protocol.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace forgewire {

using namespace Qt::StringLiterals;

QByteArray EventTypeFormat::messageFor(const QByteArray& json)
{
    const QJsonObject message = QJsonDocument::fromJson(json).object();
    const QString type = message.value("type"_L1).toString();
    QJsonObject out;
    if (type == protocol::MessageType::NotificationCount) {
        out.insert(u"eventType"_s, type);
        out.insert(u"eventData"_s, QJsonObject{{u"count"_s, message.value("count"_L1).toInteger()}});
    } else if (type == protocol::MessageType::Stopwatches) {
        out.insert(u"eventType"_s, type);
        out.insert(u"eventData"_s, message.value("data"_L1).toArray());
    } else if (type == protocol::MessageType::Logout && message.value("data"_L1).toString() == "here"_L1) {
        out.insert(u"eventType"_s, type);
    } else {
        return {};
    }
    return QJsonDocument(out).toJson(QJsonDocument::Compact);
}

WireFormat::Payload EventTypeFormat::encode(const QByteArray& json, const QByteArray&, const Identity&) const
{
    // A publication reaches every connection of a forge session on a worker as one shared buffer.
    thread_local QByteArray lastInput;
    thread_local QByteArray lastOutput;
    if (lastInput.size() != json.size() || (lastInput.constData() != json.constData() && lastInput != json)) {
        lastOutput = messageFor(json);
        lastInput = json;
    }
    return {lastOutput, {}};
}

quint16 EventTypeFormat::closeCode(quint16 code) const
{
    return code == protocol::CloseCode::Unauthorized ? kSignedOutCloseCode : code;
}

} // namespace forgewire
