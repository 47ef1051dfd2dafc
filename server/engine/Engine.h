#pragma once

#include "broker/Publication.h"
#include "protocol/Protocol.h"

#include <QHash>
#include <QObject>

#include <functional>

namespace forgewire {

class PrometheusWriter;

// A retained message: the latest of its type on a topic, sent to new subscribers.
struct RetainedMessage
{
    QString type;
    QByteArray payload;

    // The order a topic's retained messages are sent in after hello: the count first, as clients
    // expect it first, then the stopwatches, then any other type by name. Every engine keeps it.
    static bool sendsBefore(const RetainedMessage& a, const RetainedMessage& b)
    {
        const int ra = rank(a.type), rb = rank(b.type);
        return ra != rb ? ra < rb : a.type < b.type;
    }

private:
    static int rank(const QString& type)
    {
        if (type == protocol::MessageType::NotificationCount)
            return 0;
        if (type == protocol::MessageType::Stopwatches)
            return 1;
        return 2;
    }
};

// Where publications travel between nodes and where state lives. Lives on the main thread;
// callbacks run on the main thread too, possibly before the call returns.
class Engine : public QObject
{
    Q_OBJECT
public:
    using Done = std::function<void(const QString& error)>; // empty error: success

    using QObject::QObject;
    ~Engine() override = default;

    virtual QString name() const = 0;
    virtual void start() = 0;
    virtual bool isReady() const = 0;
    // Why start() failed for good, so the server must not run; empty otherwise. Not being ready yet
    // is no such failure (Redis: it keeps retrying).
    virtual QString startError() const { return {}; }

    // Stores the retained ones and sends every publication to all nodes (this one included, through
    // delivered()). A logout with `revokeUntilMs` also revokes its session until then: stored, so it
    // survives a restart, and announced to every node through sessionsRevoked(). All or nothing: on
    // error nothing was stored or sent.
    virtual void publish(const QList<Publication>& batch, Done done) = 0;
    // Retained messages of a topic, in a stable order (notification-count before stopwatches).
    virtual void retained(const QString& topic, std::function<void(QList<RetainedMessage>)> reply) = 0;
    virtual void projectAccess(qint64 projectId, std::function<void(std::optional<ProjectAccess>)> reply) = 0;
    virtual void setProjectAccess(qint64 projectId, const ProjectAccess& access, Done done) = 0;

    // A topic got its first / lost its last subscriber on this node.
    virtual void watchTopic(const QString& topic) { Q_UNUSED(topic) }
    virtual void unwatchTopic(const QString& topic) { Q_UNUSED(topic) }

    // The engine's own /metrics families, if any.
    virtual void writeMetrics(PrometheusWriter& out) const { Q_UNUSED(out) }

Q_SIGNALS:
    // A publication for the subscribers of this node.
    void delivered(const forgewire::Publication& publication);
    // The Broker takes the first `true` as "the stored revocations are loaded" (/readyz asks isReady()).
    void readyChanged(bool ready);
    // Revoked sessions (`sid` -> end, ms since the epoch): those stored, once loaded at start (Redis:
    // on every reconnect, before ready), and each new one, from whichever node made it.
    void sessionsRevoked(const QHash<QString, qint64>& revocations);
};

} // namespace forgewire
