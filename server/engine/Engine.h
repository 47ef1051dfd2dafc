#pragma once

#include "broker/Publication.h"
#include "engine/Readiness.h"
#include "protocol/Protocol.h"

#include <QHash>
#include <QJsonObject>
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

// A project board's live model (PROTOCOL.md v1.1) as an engine holds it.
struct BoardState
{
    qint64 projectId = 0;
    qint64 seq = 0;
    QJsonObject board;                   // BoardModel's normalised snapshot shape
    std::optional<ProjectAccess> access; // the project's ACL, if one is set
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
    // The engine's dependencies for /readyz and /metrics, each with why it fails now (empty: fine).
    // Always the same parts, so that their gauges keep their series.
    virtual Readiness readiness() const = 0;
    // Why start() failed for good, so the server must not run; empty otherwise. Not being ready yet
    // is no such failure (Redis: it keeps retrying).
    virtual QString startError() const { return {}; }

    // Stores the retained ones and sends every publication to all nodes (this one included, through
    // delivered()). A logout with `revokeUntilMs` also revokes its session until then: stored, so it
    // survives a restart, and announced to every node through sessionsRevoked(). All or nothing: on
    // error nothing was stored or sent.
    //
    // Live boards (v1.1): a `board` publication on project-board.{id} whose board has a model is
    // applied to it (BoardModel rules) and gets the next seq, spliced into its payload as "seq":N;
    // all of a batch's board events are applied, or none. One that does not fit the model fails the
    // whole batch with an error for which isConflict() is true (the API answers 409). A
    // `project.deleted` (Publication::endsTopic) removes the model and the project's ACL.
    virtual void publish(const QList<Publication>& batch, Done done) = 0;
    // Retained messages of a topic, in a stable order (notification-count before stopwatches).
    virtual void retained(const QString& topic, std::function<void(QList<RetainedMessage>)> reply) = 0;
    virtual void projectAccess(qint64 projectId, std::function<void(std::optional<ProjectAccess>)> reply) = 0;
    virtual void setProjectAccess(qint64 projectId, const ProjectAccess& access, Done done) = 0;

    // Live boards. storeBoard() keeps a validated snapshot as project's model with seq = previous + 1
    // (1 for a new model) and delivers it on every node as a `board-snapshot` publication carrying
    // `access`; `done` gets the new seq. board() reads one model with its seq and ACL (nullopt: no
    // model); boards() lists every model (the model's summary fields are what list-boards needs).
    // Removing a model is publishing `project.deleted` (see publish()).
    using StoreBoardDone = std::function<void(qint64 seq, const QString& error)>;
    virtual void storeBoard(qint64 projectId, const QJsonObject& board, const ProjectAccess& access,
                            StoreBoardDone done) = 0;
    virtual void board(qint64 projectId, std::function<void(std::optional<BoardState>)> reply) = 0;
    virtual void boards(std::function<void(QList<BoardState>)> reply) = 0;

    // Errors of publish() that mean "does not fit the board's model" (409), not "engine failed" (503).
    static QString conflictError(const QString& why) { return QStringLiteral("conflict: ") + why; }
    static bool isConflict(const QString& error) { return error.startsWith(QStringLiteral("conflict: ")); }

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
