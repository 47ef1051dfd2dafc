#pragma once

#include <QString>
#include <QStringList>

namespace forgewire {

// Who is on the other end of a connection, as established at upgrade time.
struct Identity
{
    qint64 userId = 0; // 0: anonymous
    QString login;
    QString sessionId;       // the forge session (`sid`), for logout here/elsewhere
    QStringList extraTopics; // topics or `prefix.*` patterns granted by the token
    QString forgeToken;      // bridge mode: the user's forge token, kept in memory only

    bool isAnonymous() const { return userId == 0; }
};

} // namespace forgewire
