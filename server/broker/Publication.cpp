#include "broker/Publication.h"

#include "broker/BoardModel.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace forgewire {

using namespace Qt::StringLiterals;

QJsonObject ProjectAccess::toJson() const
{
    QList<qint64> sorted(users.begin(), users.end());
    std::sort(sorted.begin(), sorted.end());
    QJsonArray list;
    for (qint64 id : sorted)
        list.append(id);
    return QJsonObject{{u"public"_s, isPublic}, {u"users"_s, list}};
}

std::optional<ProjectAccess> ProjectAccess::fromJson(const QJsonObject& object, QString* error)
{
    ProjectAccess access;
    const QJsonValue isPublic = object.value("public"_L1);
    if (!isPublic.isUndefined() && !isPublic.isBool()) {
        *error = u"'public' must be a boolean"_s;
        return std::nullopt;
    }
    access.isPublic = isPublic.toBool(false);
    const QJsonValue users = object.value("users"_L1);
    if (!users.isUndefined() && !users.isArray()) {
        *error = u"'users' must be an array of user ids"_s;
        return std::nullopt;
    }
    for (const QJsonValue& user : users.toArray()) {
        const double d = user.toDouble(-1);
        if (!user.isDouble() || d <= 0 || d != static_cast<double>(static_cast<qint64>(d))) {
            *error = u"'users' must hold positive integer user ids"_s;
            return std::nullopt;
        }
        access.users.insert(static_cast<qint64>(d));
    }
    return access;
}

QByteArray Publication::serialize() const
{
    QJsonObject o{{u"t"_s, topic}, {u"y"_s, type}, {u"p"_s, QString::fromUtf8(payload)}, {u"r"_s, retain}};
    if (!logoutSession.isEmpty())
        o.insert(u"ls"_s, logoutSession);
    if (access)
        o.insert(u"a"_s, access->toJson());
    if (endsTopic)
        o.insert(u"e"_s, true);
    // No "s": seq is given by the engine that applies the event, after this (see Publication::seq).
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

std::optional<Publication> Publication::deserialize(const QByteArray& bytes)
{
    const QJsonDocument document = QJsonDocument::fromJson(bytes);
    if (!document.isObject())
        return std::nullopt;
    const QJsonObject o = document.object();
    Publication p;
    p.topic = o.value("t"_L1).toString();
    p.type = o.value("y"_L1).toString();
    p.payload = o.value("p"_L1).toString().toUtf8();
    p.retain = o.value("r"_L1).toBool();
    p.logoutSession = o.value("ls"_L1).toString();
    if (o.contains("a"_L1)) {
        QString error;
        p.access = ProjectAccess::fromJson(o.value("a"_L1).toObject(), &error);
        if (!p.access)
            return std::nullopt;
    }
    if (p.topic.isEmpty() || p.payload.isEmpty() || !p.payload.endsWith('}'))
        return std::nullopt;
    p.endsTopic = o.value("e"_L1).toBool();
    p.seq = qint64(o.value("s"_L1).toDouble(0));
    if (p.seq > 0)
        p.payload = BoardModel::withSeq(p.payload, p.seq);
    return p;
}

} // namespace forgewire
