#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
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

// One unread notification thread (GET /notifications), as the tray lists it.
struct ForgeNotification
{
    enum class Kind
    {
        Issue,
        Pull,
        Commit,
        Release,
        Other // Repository and anything newer
    };
    qint64 id = 0;
    QString repo; // owner/name
    QString title;
    Kind kind = Kind::Other;
    QString state; // open, closed, merged; empty when the forge does not say
    QUrl htmlUrl;  // where a click goes; never empty for a parsed entry
    QDateTime updatedAt;

    // Null id when `thread` is not a notification thread. `htmlUrl` is the subject's html_url when the
    // forge sends it (Gitea 1.21+), otherwise derived from the API URLs (subject.url, the repository's
    // html_url), falling back to the repository page.
    static ForgeNotification fromJson(const QJsonObject& thread, const QUrl& forgeUrl);
    // https://forge/api/v1/repos/o/r/issues/7 -> https://forge/o/r/issues/7 (pulls, commits alike).
    static QUrl webUrlFor(const QUrl& apiUrl, const QUrl& forgeUrl);
    bool operator==(const ForgeNotification& o) const
    {
        return id == o.id && repo == o.repo && title == o.title && kind == o.kind && state == o.state &&
               htmlUrl == o.htmlUrl && updatedAt == o.updatedAt;
    }
};

// An open issue assigned to the user (GET /repos/issues/search?type=assigned).
struct ForgeIssue
{
    QString owner;
    QString repo;
    qint64 index = 0;
    QString title;
    bool isPull = false;

    static ForgeIssue fromJson(const QJsonObject& issue);
    QString reference() const { return owner + u'/' + repo + u'#' + QString::number(index); }
    bool operator==(const ForgeIssue& o) const
    {
        return owner == o.owner && repo == o.repo && index == o.index && title == o.title &&
               isPull == o.isPull;
    }
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
    // POST /repos/{owner}/{repo}/issues/{index}/stopwatch/start (201; 409 when one already runs).
    void startStopwatch(const QString& owner, const QString& repo, qint64 issueIndex, Done done);
    // PATCH /notifications/threads/{id} (205): marks one thread read.
    void markThreadRead(qint64 threadId, Done done);

    using NotificationsDone = std::function<void(const ForgeActionResult&, const QList<ForgeNotification>&)>;
    using IssuesDone = std::function<void(const ForgeActionResult&, const QList<ForgeIssue>&)>;
    // GET /notifications?status-types=unread&limit=N: the latest unread threads, newest first.
    void unreadNotifications(int limit, NotificationsDone done);
    // GET /repos/issues/search?type=assigned&state=open&limit=N.
    void assignedIssues(int limit, IssuesDone done);

private:
    using JsonDone = std::function<void(const ForgeActionResult&, const QJsonDocument&)>;
    void send(const QByteArray& method, const QString& apiPath, Done done);
    void send(const QByteArray& method, const QString& apiPath, const QString& query, JsonDone done);
    static QString stopwatchPath(const QString& owner, const QString& repo, qint64 issueIndex,
                                 const QString& action);

    QUrl m_forgeUrl;
    QByteArray m_token;
    QNetworkAccessManager m_network;
};

} // namespace forgewire
