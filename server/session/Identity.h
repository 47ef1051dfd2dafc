#pragma once

#include <QByteArray>
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
    // Bridge mode: SHA-256 of the forge token this connection signed in with (never the token), so
    // the bridge can close exactly the connections of a token the forge stopped accepting.
    QByteArray forgeTokenKey;
    // Signed in by the forge's session cookie (no user id: the forge's web routes name none): the
    // session's topic (Topic::forgeSession), which carries its count, stopwatches and logout.
    QString forgeSessionTopic;

    bool isAnonymous() const { return userId == 0; }
};

} // namespace forgewire
