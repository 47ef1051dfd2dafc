#pragma once

#include <QByteArray>
#include <QNetworkAccessManager>
#include <QObject>
#include <QString>
#include <QUrl>

#include <functional>

namespace forgewire {

struct ForgeActionResult
{
    bool ok = false;
    int httpStatus = 0;       // 0: no HTTP answer
    bool nothingToDo = false; // 409: no stopwatch was running
    QString error;            // a sentence for the user when !ok
};

// What a client can do about its state, straight on the forge's REST API with the user's own token
// (`Authorization: token X`). forgewire-server never acts on a user's behalf: PROTOCOL.md has no
// client message for it. After an action succeeds, the client re-subscribes to its own `user-{id}`
// topic; a bridge-mode server reads that as "poll me now" and pushes the new state at once.
class ForgeActions : public QObject
{
    Q_OBJECT
public:
    static constexpr int kRequestTimeoutMs = 15'000;

    using Done = std::function<void(const ForgeActionResult&)>;

    // `forgeUrl`: the forge's base URL, e.g. https://codeberg.org (a sub-path install keeps its path).
    ForgeActions(const QUrl& forgeUrl, const QByteArray& token, QObject* parent = nullptr);

    void setToken(const QByteArray& token) { m_token = token; }

    // False for an empty token and for a JWT (Jwt::looksLikeJwt): a Forgewire JWT means nothing to
    // the forge, which would answer 401. A Forgewire static token cannot be told
    // apart from a forge token by its shape; the forge refuses it with a clear error.
    static bool looksLikeForgeToken(const QByteArray& token);

    // POST /repos/{owner}/{repo}/issues/{index}/stopwatch/stop (201; 409 when none is running).
    void stopStopwatch(const QString& owner, const QString& repo, qint64 issueIndex, Done done);
    // DELETE /repos/{owner}/{repo}/issues/{index}/stopwatch/delete (204; 409 when none is running).
    void cancelStopwatch(const QString& owner, const QString& repo, qint64 issueIndex, Done done);
    // PUT /notifications (205): marks every unread notification read.
    void markAllRead(Done done);

private:
    void send(const QByteArray& method, const QString& apiPath, Done done);
    static QString stopwatchPath(const QString& owner, const QString& repo, qint64 issueIndex,
                                 const QString& action);

    QUrl m_forgeUrl;
    QByteArray m_token;
    QNetworkAccessManager m_network;
};

} // namespace forgewire
