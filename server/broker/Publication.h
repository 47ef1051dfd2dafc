#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QMetaType>
#include <QSet>
#include <QString>

#include <optional>

namespace forgewire {

// Who may read a project board (set by the forge with PUT /api/v1/projects/{id}/access).
struct ProjectAccess
{
    bool isPublic = false; // any signed-in user
    QSet<qint64> users;

    bool allows(qint64 userId) const { return userId > 0 && (isPublic || users.contains(userId)); }
    QJsonObject toJson() const;
    static std::optional<ProjectAccess> fromJson(const QJsonObject& object, QString* error);
    bool operator==(const ProjectAccess& o) const { return isPublic == o.isPublic && users == o.users; }
};

// One message on its way from a publisher to every subscriber of a topic, on every node.
// The payload is encoded once; workers send the same bytes to each recipient.
struct Publication
{
    QString topic;
    QString type;       // message type, the key of retained state
    QByteArray payload; // what clients receive
    bool retain = false;

    // Logout: connections whose `sid` equals logoutSession get `logout here` and are closed (the
    // session is revoked, see Worker::endRevokedSession); the others get payload (`elsewhere`).
    QString logoutSession;
    // Set by the Broker on a logout: the session stays revoked until then (ms since the epoch). Not
    // serialized: the engine stores and announces the revocation itself.
    qint64 revokeUntilMs = 0;

    // Board topics: the ACL as it was at publish time (revocation applies to the next event).
    std::optional<ProjectAccess> access;

    // Live boards: `project.deleted` ends the topic: after this publication every subscriber is
    // unsubscribed (PROTOCOL.md v1.1).
    bool endsTopic = false;
    // The board model's seq this event got (0: none), already in payload. serialize() leaves it out:
    // the Redis engine's script appends "s" to the serialized publication once it knows the seq, and
    // deserialize() splices that into the payload.
    qint64 seq = 0;

    // On this node only (never serialized): the WebSocket frame of payload, encoded once by the
    // Broker and shared by every recipient.
    QByteArray frame;

    // For transports between nodes (Redis engine).
    QByteArray serialize() const;
    static std::optional<Publication> deserialize(const QByteArray& bytes);
};

} // namespace forgewire

Q_DECLARE_METATYPE(forgewire::Publication)
