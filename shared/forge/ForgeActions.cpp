#include "forge/ForgeActions.h"

#include "forge/ForgeHttp.h"
#include "protocol/Jwt.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>

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

void ForgeActions::send(const QByteArray& method, const QString& apiPath, Done done)
{
    // A CR/LF in the token (pasted with its line end, or planted) would split the request: refused
    // with an error the user can act on, and nothing is sent.
    QNetworkReply* reply =
        ForgeHttp::send(m_network, method, ForgeHttp::apiUrl(m_forgeUrl, apiPath), m_token, nullptr);
    if (!reply) {
        ForgeActionResult refused;
        refused.error = u"the token contains a control character (a line break?); not sent to the forge"_s;
        QMetaObject::invokeMethod(
            this, [refused, done = std::move(done)] { done(refused); }, Qt::QueuedConnection);
        return;
    }
    connect(reply, &QNetworkReply::finished, this, [reply, method, apiPath, done = std::move(done)] {
        reply->deleteLater();
        ForgeActionResult result;
        result.httpStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        result.ok = ForgeHttp::classify(result.httpStatus) == ForgeHttp::Outcome::Ok;
        if (!result.ok) {
            // Gitea explains refusals in {"message": ...}; prefer its words.
            const QString message =
                QJsonDocument::fromJson(reply->readAll()).object().value("message"_L1).toString();
            switch (result.httpStatus) {
            case 0:
                result.error = u"cannot reach the forge: "_s + reply->errorString();
                break;
            case 401:
                result.error = u"the forge refused the token"_s;
                break;
            case 403:
                result.error = u"the forge refused the token: it lacks the scope %1"_s.arg(
                    ForgeHttp::missingScope(result.httpStatus, apiPath, method));
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
