#include "forge/ForgeActions.h"

#include "protocol/Protocol.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>

#include <algorithm>

namespace forgewire {

using namespace Qt::StringLiterals;

ForgeActions::ForgeActions(const QUrl& forgeUrl, const QByteArray& token, QObject* parent)
    : QObject(parent), m_forgeUrl(forgeUrl), m_token(token)
{
    m_network.setTransferTimeout(kRequestTimeoutMs);
}

bool ForgeActions::looksLikeForgeToken(const QByteArray& token)
{
    if (token.isEmpty())
        return false;
    const QList<QByteArray> parts = token.split('.');
    if (parts.size() != 3)
        return true;
    const auto base64url = [](const QByteArray& part) {
        return !part.isEmpty() && std::all_of(part.cbegin(), part.cend(), [](char c) {
            return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                   c == '_';
        });
    };
    return !(base64url(parts[0]) && base64url(parts[1]) && base64url(parts[2]));
}

QUrl ForgeActions::apiUrl(const QString& apiPath) const
{
    QUrl url = m_forgeUrl;
    QString path = url.path(QUrl::FullyEncoded);
    while (path.endsWith(u'/'))
        path.chop(1);
    url.setPath(path + u"/api/v1"_s + apiPath, QUrl::TolerantMode);
    url.setQuery(QString());
    return url;
}

QString ForgeActions::stopwatchPath(const QString& owner, const QString& repo, qint64 issueIndex,
                                    const QString& action)
{
    // Owner and repo come from the forge's own answer, but are still encoded as path segments.
    return u"/repos/%1/%2/issues/%3/stopwatch/%4"_s
        .arg(QString::fromLatin1(QUrl::toPercentEncoding(owner)),
             QString::fromLatin1(QUrl::toPercentEncoding(repo)))
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

void ForgeActions::send(const QByteArray& method, const QString& apiPath, Done done)
{
    QNetworkRequest request(apiUrl(apiPath));
    request.setRawHeader("Authorization", "token " + m_token);
    request.setRawHeader("Accept", "application/json");
    // Qt 6.4 writes header values as they are: a CR/LF in the token (pasted with its line end, or
    // planted) would split the request and let whatever follows it reach the forge as a request of
    // its own. Refused here, with an error the user can act on, and nothing is sent.
    const QList<QByteArray> names = request.rawHeaderList();
    for (const QByteArray& name : names) {
        if (!protocol::hasControlCharacter(request.rawHeader(name)))
            continue;
        ForgeActionResult refused;
        refused.error = u"the token contains a control character (a line break?); not sent to the forge"_s;
        QMetaObject::invokeMethod(
            this, [refused, done = std::move(done)] { done(refused); }, Qt::QueuedConnection);
        return;
    }
    // The token must not follow a redirect to another host.
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::SameOriginRedirectPolicy);
    QNetworkReply* reply = m_network.sendCustomRequest(request, method);
    connect(reply, &QNetworkReply::finished, this, [reply, done = std::move(done)] {
        reply->deleteLater();
        ForgeActionResult result;
        result.httpStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        result.ok = result.httpStatus >= 200 && result.httpStatus < 300;
        if (!result.ok) {
            // Gitea explains refusals in {"message": ...}; prefer its words.
            const QString message =
                QJsonDocument::fromJson(reply->readAll()).object().value("message"_L1).toString();
            switch (result.httpStatus) {
            case 0:
                result.error = u"cannot reach the forge: "_s + reply->errorString();
                break;
            case 401:
            case 403:
                result.error = u"the forge refused the token"_s;
                break;
            case 409:
                result.nothingToDo = true;
                result.error = message.isEmpty() ? u"no stopwatch is running on that issue"_s : message;
                break;
            default:
                result.error =
                    message.isEmpty() ? u"the forge answered %1"_s.arg(result.httpStatus) : message;
                break;
            }
        }
        done(result);
    });
}

} // namespace forgewire
