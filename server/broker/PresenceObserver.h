#pragma once

#include <QByteArray>
#include <QString>
#include <QtGlobal>

namespace forgewire {

// Who is connected to this node, as the Broker sees it from the workers' reference counts: what
// bridge mode needs to know to poll the forge only for users (and re-check only tokens) that have a
// connection here. The Broker calls it on the main thread; the bridge implements it, so the Broker
// knows nothing of the bridge.
class PresenceObserver
{
public:
    virtual ~PresenceObserver() = default;

    // A user got a first connection on this node / lost the last one.
    virtual void userOnline(qint64 userId) = 0;
    virtual void userOffline(qint64 userId) = 0;
    // A forge token (by its SHA-256) got a first connection on this node / lost the last one.
    virtual void tokenOnline(const QByteArray& tokenKey) = 0;
    virtual void tokenOffline(const QByteArray& tokenKey) = 0;
    // A client re-subscribed to its own user topic: in bridge mode, "poll the forge for me now".
    virtual void refreshRequested(qint64 userId) = 0;
    // A connection subscribed to a forge session's topic (Topic::Kind::ForgeSession): its state is
    // kept in memory by the bridge, not retained, so the bridge sends it again.
    virtual void sessionStateWanted(const QString& topic) { Q_UNUSED(topic) }
};

} // namespace forgewire
