#include "forge/ForgeActions.h"

#include "forge/ForgeHttp.h"
#include "protocol/Jwt.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QUrlQuery>

namespace forgewire {

using namespace Qt::StringLiterals;

ForgeActions::ForgeActions(const QUrl& forgeUrl, const QByteArray& token, QObject* parent)
    : QObject(parent), m_forgeUrl(forgeUrl), m_token(token)
{
    m_network.setTransferTimeout(kRequestTimeoutMs);
}

bool ForgeActions::looksLikeForgeToken(const QByteArray& token)
{
    return !token.isEmpty() && !Jwt::looksLikeJwt(token);
}

QString ForgeActions::stopwatchPath(const QString& owner, const QString& repo, qint64 issueIndex,
                                    const QString& action)
{
    // Owner and repo come from the forge's own answer, but are still encoded as path segments.
    return u"/repos/%1/%2/issues/%3/stopwatch/%4"_s.arg(ForgeHttp::segment(owner), ForgeHttp::segment(repo))
        .arg(issueIndex)
        .arg(action);
}

void ForgeActions::stopStopwatch(const QString& owner, const QString& repo, qint64 issueIndex, Done done)
{
    send("POST", stopwatchPath(owner, repo, issueIndex, u"stop"_s), std::move(done));
}

void ForgeActions::cancelStopwatch(const QString& owner, const QString& repo, qint64 issueIndex, Done done)
{
    send("DELETE", stopwatchPath(owner, repo, issueIndex, u"delete"_s), std::move(done));
}

void ForgeActions::markAllRead(Done done)
{
    send("PUT", u"/notifications"_s, std::move(done));
}

void ForgeActions::startStopwatch(const QString& owner, const QString& repo, qint64 issueIndex, Done done)
{
    send("POST", stopwatchPath(owner, repo, issueIndex, u"start"_s), std::move(done));
}

void ForgeActions::markThreadRead(qint64 threadId, Done done)
{
    send("PATCH", u"/notifications/threads/%1"_s.arg(threadId), std::move(done));
}

void ForgeActions::unreadNotifications(int limit, NotificationsDone done)
{
    const QUrl forgeUrl = m_forgeUrl;
    send("GET", u"/notifications"_s, u"status-types=unread&limit=%1"_s.arg(limit),
         [forgeUrl, done = std::move(done)](const ForgeActionResult& result, const QJsonDocument& body) {
             QList<ForgeNotification> list;
             for (const QJsonValue& value : body.array()) {
                 const ForgeNotification n = ForgeNotification::fromJson(value.toObject(), forgeUrl);
                 if (n.id > 0)
                     list.append(n);
             }
             done(result, list);
         });
}

void ForgeActions::assignedIssues(int limit, IssuesDone done)
{
    send("GET", u"/repos/issues/search"_s, u"type=assigned&state=open&limit=%1"_s.arg(limit),
         [done = std::move(done)](const ForgeActionResult& result, const QJsonDocument& body) {
             QList<ForgeIssue> list;
             for (const QJsonValue& value : body.array()) {
                 const ForgeIssue issue = ForgeIssue::fromJson(value.toObject());
                 if (issue.index > 0 && !issue.owner.isEmpty() && !issue.repo.isEmpty())
                     list.append(issue);
             }
             done(result, list);
         });
}

void ForgeActions::send(const QByteArray& method, const QString& apiPath, Done done)
{
    send(method, apiPath, QString(),
         [done = std::move(done)](const ForgeActionResult& result, const QJsonDocument&) { done(result); });
}

void ForgeActions::send(const QByteArray& method, const QString& apiPath, const QString& query, JsonDone done)
{
    // A CR/LF in the token (pasted with its line end, or planted) would split the request: refused
    // with an error the user can act on, and nothing is sent.
    QUrl url = ForgeHttp::apiUrl(m_forgeUrl, apiPath);
    if (!query.isEmpty())
        url.setQuery(query);
    QNetworkReply* reply = ForgeHttp::send(m_network, method, url, m_token, nullptr);
    if (!reply) {
        ForgeActionResult refused;
        refused.error = tr("the token contains a control character (a line break?); not sent to the forge");
        QMetaObject::invokeMethod(
            this, [refused, done = std::move(done)] { done(refused, {}); }, Qt::QueuedConnection);
        return;
    }
    connect(reply, &QNetworkReply::finished, this, [reply, method, apiPath, done = std::move(done)] {
        reply->deleteLater();
        ForgeActionResult result;
        result.httpStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        result.ok = ForgeHttp::classify(result.httpStatus) == ForgeHttp::Outcome::Ok;
        const QJsonDocument body = QJsonDocument::fromJson(reply->readAll());
        if (!result.ok) {
            // Gitea explains refusals in {"message": ...}; prefer its words.
            const QString message = body.object().value("message"_L1).toString();
            switch (result.httpStatus) {
            case 0:
                result.error = tr("cannot reach the forge: %1").arg(reply->errorString());
                break;
            case 401:
                result.error = tr("the forge refused the token");
                break;
            case 403:
                result.error = tr("the forge refused the token: it lacks the scope %1")
                                   .arg(ForgeHttp::missingScope(result.httpStatus, apiPath, method));
                break;
            case 409:
                result.nothingToDo = true;
                result.error = message.isEmpty() ? tr("no stopwatch is running on that issue") : message;
                break;
            default:
                result.error =
                    message.isEmpty() ? tr("the forge answered %1").arg(result.httpStatus) : message;
                break;
            }
        }
        done(result, result.ok ? body : QJsonDocument());
    });
}

QUrl ForgeNotification::webUrlFor(const QUrl& apiUrl, const QUrl& forgeUrl)
{
    // Only URLs on the configured forge are turned into links: the list must not send the user to a
    // host a crafted answer names.
    const QUrl api = ForgeHttp::apiUrl(forgeUrl, QString());
    if (!apiUrl.isValid() || api.isEmpty() || apiUrl.scheme() != api.scheme() ||
        apiUrl.host() != api.host() || apiUrl.port() != api.port())
        return {};
    const QString prefix = api.path() + u"/repos/"_s;
    if (!apiUrl.path().startsWith(prefix))
        return {};
    QStringList parts = apiUrl.path().mid(prefix.size()).split(u'/');
    if (parts.size() < 2)
        return {};
    const QString repoPath = u"/"_s + ForgeHttp::segment(parts[0]) + u'/' + ForgeHttp::segment(parts[1]);
    const QStringList rest = parts.mid(2);
    if (rest.size() == 2 && (rest[0] == "issues"_L1 || rest[0] == "pulls"_L1))
        return ForgeHttp::join(forgeUrl, repoPath + u'/' + rest[0] + u'/' + ForgeHttp::segment(rest[1]));
    if (rest.size() == 3 && rest[0] == "git"_L1 && rest[1] == "commits"_L1)
        return ForgeHttp::join(forgeUrl, repoPath + u"/commit/"_s + ForgeHttp::segment(rest[2]));
    if (!rest.isEmpty() && rest[0] == "releases"_L1)
        return ForgeHttp::join(forgeUrl, repoPath + u"/releases"_s);
    return ForgeHttp::join(forgeUrl, repoPath);
}

ForgeNotification ForgeNotification::fromJson(const QJsonObject& thread, const QUrl& forgeUrl)
{
    ForgeNotification n;
    const QJsonObject subject = thread.value("subject"_L1).toObject();
    const QJsonObject repository = thread.value("repository"_L1).toObject();
    n.id = thread.value("id"_L1).toInteger();
    n.repo = repository.value("full_name"_L1).toString();
    n.title = subject.value("title"_L1).toString();
    const QString type = subject.value("type"_L1).toString();
    n.kind = type == "Issue"_L1     ? Kind::Issue
             : type == "Pull"_L1    ? Kind::Pull
             : type == "Commit"_L1  ? Kind::Commit
             : type == "Release"_L1 ? Kind::Release
                                    : Kind::Other;
    n.state = subject.value("state"_L1).toString();
    n.updatedAt = QDateTime::fromString(thread.value("updated_at"_L1).toString(), Qt::ISODate);
    const auto onForge = [&forgeUrl](const QString& text) {
        const QUrl url(text);
        const QUrl base = ForgeHttp::join(forgeUrl, QString());
        return url.isValid() && !base.isEmpty() && url.scheme() == base.scheme() &&
                       url.host() == base.host() && url.port() == base.port()
                   ? url
                   : QUrl();
    };
    n.htmlUrl = onForge(subject.value("html_url"_L1).toString());
    if (n.htmlUrl.isEmpty())
        n.htmlUrl = webUrlFor(QUrl(subject.value("url"_L1).toString()), forgeUrl);
    if (n.htmlUrl.isEmpty())
        n.htmlUrl = onForge(repository.value("html_url"_L1).toString());
    if (n.htmlUrl.isEmpty() && !n.repo.isEmpty())
        n.htmlUrl = ForgeHttp::join(forgeUrl, u"/"_s + n.repo);
    if (n.id <= 0 || n.htmlUrl.isEmpty())
        return {};
    return n;
}

ForgeIssue ForgeIssue::fromJson(const QJsonObject& issue)
{
    ForgeIssue i;
    const QJsonObject repository = issue.value("repository"_L1).toObject();
    i.owner = repository.value("owner"_L1).toString();
    i.repo = repository.value("name"_L1).toString();
    const QString fullName = repository.value("full_name"_L1).toString();
    if ((i.owner.isEmpty() || i.repo.isEmpty()) && fullName.count(u'/') == 1) {
        i.owner = fullName.section(u'/', 0, 0);
        i.repo = fullName.section(u'/', 1, 1);
    }
    i.index = issue.value("number"_L1).toInteger();
    i.title = issue.value("title"_L1).toString();
    i.isPull = !issue.value("pull_request"_L1).isNull() && !issue.value("pull_request"_L1).isUndefined();
    return i;
}

} // namespace forgewire
