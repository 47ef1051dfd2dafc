#pragma once

#include "engine/Readiness.h"

#include "admin/AdminServer.h"

#include <functional>
#include <optional>

namespace forgewire {

class Broker;
class Metrics;

// The routes of the admin listener (PROTOCOL.md "Publish API"): turns requests into publications
// for the Broker and renders health and metrics.
class AdminApi
{
public:
    AdminApi(QByteArray publisherSecret, Broker* broker, Metrics* metrics,
             std::function<Readiness()> readiness);

    void handle(const HttpRequestHead& head, const QByteArray& body, const AdminServer::Respond& respond);
    // The AdminServer::Guard: the answer for a request refused from its head alone (unknown route
    // 404, wrong method 405, missing or wrong secret 401), before its body is read.
    std::optional<AdminServer::Response> refuse(const HttpRequestHead& head) const;

private:
    bool authorized(const HttpRequestHead& head) const;
    void publish(QList<struct Publication> publications, const AdminServer::Respond& respond);
    void setAccess(qint64 projectId, const QByteArray& body, const AdminServer::Respond& respond);
    void getAccess(qint64 projectId, const AdminServer::Respond& respond);
    // Live boards (PROTOCOL.md v1.1).
    void putBoard(qint64 projectId, const QByteArray& body, const AdminServer::Respond& respond);
    void getBoard(qint64 projectId, const AdminServer::Respond& respond);
    void deleteProject(qint64 projectId, const AdminServer::Respond& respond);

    QByteArray m_secret;
    Broker* m_broker;
    Metrics* m_metrics;
    std::function<Readiness()> m_readiness;
};

} // namespace forgewire
