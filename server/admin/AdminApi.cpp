#include "admin/AdminApi.h"

#include "admin/PublishRequest.h"
#include "broker/BoardModel.h"
#include "broker/Broker.h"
#include "config/ServerLogging.h"
#include "metrics/Metrics.h"
#include "protocol/Jwt.h"
#include "protocol/Protocol.h"
#include "protocol/Topic.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

AdminServer::Response json(int status, const QJsonObject& object)
{
    return {status, QJsonDocument(object).toJson(QJsonDocument::Compact)};
}

AdminServer::Response error(int status, const QString& message)
{
    return json(status, QJsonObject{{u"error"_s, message}});
}

bool ready(const Readiness& parts)
{
    return std::all_of(parts.begin(), parts.end(), [](const ReadinessPart& part) { return part.ok(); });
}

// 200 {"status":"ready"}, or 503 with each failing part and why.
AdminServer::Response readyz(const Readiness& parts)
{
    QJsonArray failing;
    for (const ReadinessPart& part : parts) {
        if (!part.ok())
            failing.append(QJsonObject{{u"part"_s, part.part}, {u"reason"_s, part.reason}});
    }
    if (failing.isEmpty())
        return json(200, {{u"status"_s, u"ready"_s}});
    return json(503, {{u"status"_s, u"not ready"_s}, {u"failing"_s, failing}});
}

std::optional<QJsonValue> parseJson(const QByteArray& body, QString* why)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        *why = u"malformed JSON at offset %1: %2"_s.arg(parseError.offset).arg(parseError.errorString());
        return std::nullopt;
    }
    if (document.isObject())
        return QJsonValue(document.object());
    if (document.isArray())
        return QJsonValue(document.array());
    *why = u"expected a JSON object or array"_s;
    return std::nullopt;
}

} // namespace

AdminApi::AdminApi(QByteArray publisherSecret, Broker* broker, Metrics* metrics,
                   std::function<Readiness()> readiness)
    : m_secret(std::move(publisherSecret)), m_broker(broker), m_metrics(metrics),
      m_readiness(std::move(readiness))
{}

bool AdminApi::authorized(const HttpRequestHead& head) const
{
    const QByteArray header = head.header("authorization");
    if (!header.startsWith("Bearer ") && !header.startsWith("bearer "))
        return false;
    return Jwt::constantTimeEquals(header.mid(7).trimmed(), m_secret);
}

namespace {

const QRegularExpression& userRoute()
{
    // Each route publishes the message of its name.
    namespace Type = protocol::MessageType;
    static const QRegularExpression route(u"^/api/v1/users/([1-9][0-9]{0,17})/(%1|%2|%3)$"_s.arg(
        Type::NotificationCount, Type::Stopwatches, Type::Logout));
    return route;
}

const QRegularExpression& projectRoute()
{
    // No second part: the project itself (DELETE).
    static const QRegularExpression route(
        u"^/api/v1/projects/([1-9][0-9]{0,17})(?:/(events|access|board))?$"_s);
    return route;
}

// The method each project route is written with; access and board are read with GET too.
QByteArray projectMethod(const QString& what)
{
    if (what.isEmpty())
        return "DELETE";
    return what == "events"_L1 ? "POST" : "PUT";
}

bool isOpenRoute(const QString& path)
{
    return path == "/healthz"_L1 || path == "/readyz"_L1 || path == "/metrics"_L1;
}

} // namespace

std::optional<AdminServer::Response> AdminApi::refuse(const HttpRequestHead& head) const
{
    const QString& path = head.path;
    const QByteArray& method = head.method;
    if (isOpenRoute(path)) {
        if (method != "GET" && method != "HEAD")
            return AdminServer::Response{405, R"({"error":"use GET"})", "application/json", "Allow: GET\r\n"};
        return std::nullopt;
    }
    const auto userMatch = userRoute().match(path);
    const auto projectMatch = projectRoute().match(path);
    QByteArray expectedMethod;
    if (path == "/api/v1/publish"_L1)
        expectedMethod = "POST";
    else if (userMatch.hasMatch())
        expectedMethod = userMatch.captured(2) == protocol::MessageType::Logout ? "POST" : "PUT";
    else if (projectMatch.hasMatch())
        expectedMethod = projectMethod(projectMatch.captured(2));
    else
        return error(404, u"no route %1 %2"_s.arg(QString::fromLatin1(method), path));
    const bool readAccess = projectMatch.hasMatch() && expectedMethod == "PUT" && method == "GET";
    if (method != expectedMethod && !readAccess) {
        return AdminServer::Response{
            405,
            QJsonDocument(QJsonObject{{u"error"_s, u"use %1"_s.arg(QString::fromLatin1(expectedMethod))}})
                .toJson(QJsonDocument::Compact),
            "application/json", "Allow: " + expectedMethod + "\r\n"};
    }
    if (!authorized(head)) {
        ++m_metrics->publishRejected;
        return AdminServer::Response{
            401, R"({"error":"unauthorized: send Authorization: Bearer <publisher secret>"})",
            "application/json", "WWW-Authenticate: Bearer\r\n"};
    }
    return std::nullopt;
}

void AdminApi::handle(const HttpRequestHead& head, const QByteArray& body,
                      const AdminServer::Respond& respond)
{
    const QString& path = head.path;
    const QByteArray& method = head.method;

    // The server's guard asked the same before reading the body; asked again so handle() is safe
    // on its own.
    if (const std::optional<AdminServer::Response> refusal = refuse(head)) {
        respond(*refusal);
        return;
    }
    if (isOpenRoute(path)) {
        if (path == "/healthz"_L1)
            respond(json(200, {{u"status"_s, u"ok"_s}}));
        else if (path == "/readyz"_L1)
            respond(readyz(m_readiness()));
        else
            respond(
                {200, m_metrics->render(ready(m_readiness())), "text/plain; version=0.0.4; charset=utf-8"});
        return;
    }
    const auto userMatch = userRoute().match(path);
    const auto projectMatch = projectRoute().match(path);
    const bool readAccess =
        projectMatch.hasMatch() && projectMatch.captured(2) == "access"_L1 && method == "GET";

    if (projectMatch.hasMatch() && projectMatch.captured(2) == "board"_L1) {
        const qint64 projectId = projectMatch.captured(1).toLongLong();
        if (method == "GET")
            getBoard(projectId, respond);
        else
            putBoard(projectId, body, respond);
        return;
    }
    if (projectMatch.hasMatch() && projectMatch.captured(2).isEmpty()) {
        deleteProject(projectMatch.captured(1).toLongLong(), respond);
        return;
    }
    if (readAccess) {
        getAccess(projectMatch.captured(1).toLongLong(), respond);
        return;
    }
    if (projectMatch.hasMatch() && projectMatch.captured(2) == "access"_L1) {
        setAccess(projectMatch.captured(1).toLongLong(), body, respond);
        return;
    }

    publish::Result result;
    QString why;
    if (path == "/api/v1/publish"_L1) {
        result = publish::fromEnvelopeBody(body);
    } else if (const auto value = parseJson(body, &why); !value) {
        result.error = why;
    } else if (userMatch.hasMatch()) {
        const QString topic = Topic::user(userMatch.captured(1).toLongLong());
        const QString what = userMatch.captured(2);
        if (what == protocol::MessageType::NotificationCount) {
            if (!value->isObject())
                result.error = u"expected {\"count\": N}"_s;
            else
                result = publish::build(
                    topic, {{u"type"_s, what}, {u"count"_s, value->toObject().value("count"_L1)}}, true);
        } else if (what == protocol::MessageType::Stopwatches) {
            // The list itself, as Gitea's /user/stopwatches returns it; {"data": [...]} is accepted too.
            const QJsonValue list = value->isArray() ? *value : value->toObject().value("data"_L1);
            result = publish::build(topic, {{u"type"_s, what}, {u"data"_s, list}}, true);
        } else {
            const QJsonValue session = value->toObject().value("session_id"_L1);
            if (!session.isString() || session.toString().isEmpty())
                result.error = u"expected {\"session_id\": \"...\"}"_s;
            else
                result = publish::build(topic, {{u"type"_s, what}, {u"data"_s, session}}, false);
        }
    } else {
        const QJsonObject o = value->toObject();
        QJsonObject message{
            {u"type"_s, QString(protocol::MessageType::Board)},
            {u"topic"_s, Topic::projectBoard(projectMatch.captured(1).toLongLong())},
            {u"event"_s, o.value("event"_L1)},
            {u"data"_s, o.contains("data"_L1) ? o.value("data"_L1) : QJsonValue(QJsonObject())}};
        if (o.contains("session_tag"_L1))
            message.insert(u"session_tag"_s, o.value("session_tag"_L1));
        if (!value->isObject())
            result.error = u"expected {\"event\", \"data\", \"session_tag\"}"_s;
        else
            result = publish::build(message.value("topic"_L1).toString(), message, false);
    }
    if (!result.error.isEmpty()) {
        ++m_metrics->publishRejected;
        qCInfo(lcHttp).noquote() << "400" << logSafe(method) << logSafe(path) << "-" << logSafe(result.error);
        respond(error(400, result.error));
        return;
    }
    // Moved: a second reference would make the Broker copy every publication when it edits one.
    publish(std::move(result.publications), respond);
}

void AdminApi::publish(QList<Publication> publications, const AdminServer::Respond& respond)
{
    const qsizetype count = publications.size();
    m_broker->publish(std::move(publications), [this, respond, count](const QString& failure) {
        if (Engine::isConflict(failure)) {
            // The forge's view of the board differs from the model: it PUTs a fresh snapshot.
            ++m_metrics->publishRejected;
            respond(error(409, u"not published, the board's model differs: "_s + failure));
            return;
        }
        if (!failure.isEmpty()) {
            ++m_metrics->publishFailed;
            respond(error(503, u"not published: "_s + failure));
            return;
        }
        respond(json(202, {{u"accepted"_s, count}}));
    });
}

void AdminApi::setAccess(qint64 projectId, const QByteArray& body, const AdminServer::Respond& respond)
{
    QString why;
    const auto value = parseJson(body, &why);
    std::optional<ProjectAccess> access;
    if (value && value->isObject())
        access = ProjectAccess::fromJson(value->toObject(), &why);
    else if (value)
        why = u"expected {\"public\": bool, \"users\": [ids]}"_s;
    if (!access) {
        ++m_metrics->publishRejected;
        respond(error(400, why));
        return;
    }
    m_broker->engine()->setProjectAccess(projectId, *access,
                                         [respond, projectId, access](const QString& failure) {
                                             if (!failure.isEmpty()) {
                                                 respond(error(503, u"ACL not stored: "_s + failure));
                                                 return;
                                             }
                                             QJsonObject o = access->toJson();
                                             o.insert(u"project"_s, projectId);
                                             respond(json(200, o));
                                         });
}

void AdminApi::putBoard(qint64 projectId, const QByteArray& body, const AdminServer::Respond& respond)
{
    QJsonObject board;
    const BoardModel::Result parsed = BoardModel::parseSnapshot(body, &board);
    if (!parsed.ok()) {
        ++m_metrics->publishRejected;
        respond(error(parsed.status == BoardModel::Status::TooLarge ? 413 : 400, parsed.error));
        return;
    }
    m_broker->storeBoard(projectId, board, [respond, projectId](qint64 seq, const QString& failure) {
        if (!failure.isEmpty()) {
            respond(error(503, u"board not stored: "_s + failure));
            return;
        }
        respond(json(200, {{u"project"_s, projectId}, {u"seq"_s, seq}}));
    });
}

void AdminApi::getBoard(qint64 projectId, const AdminServer::Respond& respond)
{
    m_broker->engine()->board(projectId, [respond, projectId](const std::optional<BoardState>& state) {
        if (!state) {
            respond(error(404, u"no board model for project %1 (PUT a snapshot first)"_s.arg(projectId)));
            return;
        }
        respond(json(200, {{u"project"_s, projectId}, {u"seq"_s, state->seq}, {u"board"_s, state->board}}));
    });
}

void AdminApi::deleteProject(qint64 projectId, const AdminServer::Respond& respond)
{
    const QString topic = Topic::projectBoard(projectId);
    const publish::Result result = publish::build(topic,
                                                  {{u"type"_s, QString(protocol::MessageType::Board)},
                                                   {u"topic"_s, topic},
                                                   {u"event"_s, QString(BoardModel::kProjectDeleted)},
                                                   {u"data"_s, QJsonObject()}},
                                                  false);
    if (!result.error.isEmpty()) {
        respond(error(500, result.error));
        return;
    }
    publish(result.publications, respond);
}

void AdminApi::getAccess(qint64 projectId, const AdminServer::Respond& respond)
{
    m_broker->engine()->projectAccess(projectId, [respond, projectId](std::optional<ProjectAccess> access) {
        if (!access) {
            respond(error(404, u"no ACL set for project %1"_s.arg(projectId)));
            return;
        }
        QJsonObject o = access->toJson();
        o.insert(u"project"_s, projectId);
        respond(json(200, o));
    });
}

} // namespace forgewire
