#pragma once

#include "broker/Publication.h"

#include <QByteArray>
#include <QList>
#include <QSet>
#include <QString>

class QObject;

namespace forgewire {

// What the Broker asks of a thread that holds subscribers (a Worker), so the Broker never names it.
// A host owns its sessions on its own thread: the Broker makes every call below as a queued call on
// hostContext()'s thread, never directly.
class SubscriberHost
{
public:
    virtual ~SubscriberHost() = default;

    // The object whose thread runs the calls below.
    virtual QObject* hostContext() = 0;
    // Publications of topics this host reported through SubscriberHub::topicRefChanged(), framed.
    virtual void deliver(const QList<forgewire::Publication>& batch) = 0;
    // Sends `logout here` to every session whose token carries one of these ids, then closes it.
    virtual void revokeSessions(const QSet<QString>& sessionIds) = 0;
    // Bridge mode: close every session signed in with one forge token (by its SHA-256).
    virtual void closeToken(const QByteArray& tokenKey, quint16 code, const QString& reason) = 0;
};

} // namespace forgewire
