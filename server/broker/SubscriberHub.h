#pragma once

#include "broker/Publication.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <functional>
#include <optional>

class QObject;

namespace forgewire {

class RevokedSessions;

// What a subscriber host (a Worker) asks of the Broker: the narrow, thread-safe side of the Broker
// that worker threads may call, so a host depends on this and not on the Broker's main-thread API.
class SubscriberHub
{
public:
    virtual ~SubscriberHub() = default;

    // Decides whether `userId` may read `topic` (checking the project ACL when `checkAccess`) and
    // fetches the topic's retained messages. `reply` runs on `context`'s thread.
    using TopicReply = std::function<void(bool allowed, const QList<QByteArray>& retained)>;
    virtual void resolveTopic(QObject* context, qint64 userId, bool checkAccess, const QString& topic,
                              TopicReply reply) = 0;
    // Host `hostIndex`'s subscriber count of `topic` went from 0 to 1 (+1) or from 1 to 0 (-1).
    virtual void topicRefChanged(int hostIndex, const QString& topic, int delta) = 0;
    // Bridge mode: host `hostIndex` got its first session signed in with the forge token whose
    // SHA-256 is `tokenKey` (+1), or lost its last one (-1).
    virtual void tokenRefChanged(int hostIndex, const QByteArray& tokenKey, int delta) = 0;
    // Bridge mode: a client re-subscribed to its own user topic, which asks for fresh state.
    virtual void requestRefresh(qint64 userId) = 0;
    // A connection subscribed to a forge session's topic: the bridge sends its state again.
    virtual void requestSessionState(const QString& topic) = 0;
    // Live boards (PROTOCOL.md v1.1). `access` is the project's ACL (nullopt: none set), for the host
    // to check with ClientSession::mayRead as it does for each board event.
    struct BoardEntry
    {
        QString topic;
        QByteArray snapshot; // boardSnapshot(): the `board-snapshot` message
        QJsonObject summary; // listBoards(): the entry of `boards`
        std::optional<ProjectAccess> access;
    };
    using BoardsReply = std::function<void(const QList<BoardEntry>& boards)>;
    // The board-snapshot of one board topic (no entry: no model). `reply` runs on `context`'s thread.
    virtual void boardSnapshot(QObject* context, const QString& topic, BoardsReply reply) = 0;
    // Every board with a model, as list-boards lists them. `reply` runs on `context`'s thread.
    virtual void listBoards(QObject* context, BoardsReply reply) = 0;
    // Sessions logged out: a new connection carrying one is refused.
    virtual const RevokedSessions& revokedSessions() const = 0;
};

} // namespace forgewire
