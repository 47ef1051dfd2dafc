#include "bridge/ForgeClient.h"

#include "config/ServerLogging.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QPointer>

namespace forgewire {

using namespace Qt::StringLiterals;

ForgeClient::ForgeClient(const QUrl& baseUrl, QObject* parent) : QObject(parent), m_baseUrl(baseUrl)
{
    m_network.setTransferTimeout(kRequestTimeoutMs);
}

QUrl ForgeClient::apiUrl(const QString& apiPath) const
{
    // Keeps a sub-path install (https://example.org/gitea) working.
    QUrl url = m_baseUrl;
    QString path = url.path();
    while (path.endsWith(u'/'))
        path.chop(1);
    url.setPath(path + u"/api/v1"_s + apiPath);
    url.setQuery(QString());
    return url;
}

int ForgeClient::parseRetryAfterMs(const QByteArray& value, const QDateTime& now)
{
    const QByteArray text = value.trimmed();
    if (text.isEmpty())
        return -1;
    bool ok = false;
    const qint64 seconds = text.toLongLong(&ok);
    if (ok)
        return seconds < 0 ? -1 : int(std::min<qint64>(seconds * 1000, std::numeric_limits<int>::max()));
    // An HTTP-date always ends in "GMT", a zone Qt's RFC 2822 parser refuses; it means +0000.
    QString date = QString::fromLatin1(text);
    if (date.endsWith(" GMT"_L1))
        date = date.chopped(3) + "+0000"_L1;
    const QDateTime at = QDateTime::fromString(date, Qt::RFC2822Date);
    if (!at.isValid())
        return -1;
    return int(std::clamp<qint64>(now.msecsTo(at), 0, std::numeric_limits<int>::max()));
}

QString ForgeClient::scopeFor(const QString& apiPath)
{
    if (apiPath.startsWith("/notifications"_L1))
        return u"read:notification"_s;
    return u"read:user"_s; // /user and /user/stopwatches
}

void ForgeClient::get(const QString& apiPath, const QByteArray& token, QObject* context,
                      std::function<void(ForgeReply, QByteArray)> reply)
{
    QNetworkRequest request(apiUrl(apiPath));
    request.setRawHeader("Authorization", "token " + token);
    request.setRawHeader("Accept", "application/json");
    // Defence in depth behind the token syntax check: Qt 6.4 writes header values as they are, so a
    // CR/LF would end the header and smuggle a request of the caller's making onto the kept-alive
    // connection, whose answer would then be read as the answer to someone else's request.
    const QList<QByteArray> names = request.rawHeaderList();
    for (const QByteArray& name : names) {
        if (!protocol::hasControlCharacter(request.rawHeader(name)))
            continue;
        ForgeReply refused;
        refused.status = ForgeReply::Status::Unauthorized;
        refused.notSent = true;
        refused.error = u"not sent to the forge: the %1 header would carry a control character"_s.arg(
            QString::fromLatin1(name));
        qCWarning(lcForge).noquote() << refused.error << "on" << apiPath;
        // Answered from the event loop like any reply, so callers never see a re-entrant call.
        QPointer<QObject> guard(context);
        QMetaObject::invokeMethod(
            this,
            [guard, reply, refused] {
                if (guard)
                    reply(refused, {});
            },
            Qt::QueuedConnection);
        return;
    }
    // The token must not follow a redirect to another host.
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::SameOriginRedirectPolicy);
    QNetworkReply* networkReply = m_network.get(request);
    QPointer<QObject> guard(context);
    connect(networkReply, &QNetworkReply::finished, this, [this, networkReply, guard, reply, apiPath] {
        networkReply->deleteLater();
        ForgeReply result;
        result.httpStatus = networkReply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray body = networkReply->readAll();
        if (result.httpStatus == 401 || result.httpStatus == 403) {
            // 403 too: Gitea answers it for a token without the scope the endpoint needs, which
            // for the bridge means the same thing (it can never poll with this token).
            result.status = ForgeReply::Status::Unauthorized;
            if (result.httpStatus == 403)
                result.missingScope = scopeFor(apiPath);
            result.error = u"forge refused the token (%1) on %2"_s.arg(result.httpStatus).arg(apiPath);
        } else if (result.httpStatus == 429) {
            result.status = ForgeReply::Status::RateLimited;
            result.retryAfterMs =
                parseRetryAfterMs(networkReply->rawHeader("Retry-After"), QDateTime::currentDateTimeUtc());
            result.error = u"forge rate limit on %1"_s.arg(apiPath);
        } else if (result.httpStatus >= 200 && result.httpStatus < 300) {
            result.status = ForgeReply::Status::Ok;
        } else {
            result.status = ForgeReply::Status::Failed;
            result.error = result.httpStatus
                               ? u"forge answered %1 on %2"_s.arg(result.httpStatus).arg(apiPath)
                               : u"forge unreachable on %1: %2"_s.arg(apiPath, networkReply->errorString());
        }
        ++m_counts[int(result.status)];
        if (guard)
            reply(result, body);
    });
}

void ForgeClient::fetchUser(const QByteArray& token, QObject* context,
                            std::function<void(ForgeReply, ForgeUser)> reply)
{
    get(u"/user"_s, token, context, [reply](ForgeReply result, const QByteArray& body) {
        ForgeUser user;
        if (result.ok()) {
            const QJsonObject o = QJsonDocument::fromJson(body).object();
            user.id = o.value("id"_L1).toInteger();
            user.login = o.value("login"_L1).toString();
            if (user.id <= 0) {
                result.status = ForgeReply::Status::Failed;
                result.error = u"forge /user answer has no numeric id"_s;
            }
        }
        reply(result, user);
    });
}

void ForgeClient::fetchNewCount(const QByteArray& token, QObject* context,
                                std::function<void(ForgeReply, qint64)> reply)
{
    get(u"/notifications/new"_s, token, context, [reply](ForgeReply result, const QByteArray& body) {
        qint64 count = 0;
        if (result.ok() && result.httpStatus != 204) {
            const QJsonValue value = QJsonDocument::fromJson(body).object().value("new"_L1);
            if (!value.isDouble() || value.toInteger(-1) < 0) {
                result.status = ForgeReply::Status::Failed;
                result.error = u"forge /notifications/new answer has no 'new' count"_s;
            } else {
                count = value.toInteger();
            }
        }
        reply(result, count);
    });
}

void ForgeClient::fetchStopwatches(const QByteArray& token, QObject* context,
                                   std::function<void(ForgeReply, QList<protocol::Stopwatch>)> reply)
{
    get(u"/user/stopwatches"_s, token, context, [reply](ForgeReply result, const QByteArray& body) {
        QList<protocol::Stopwatch> stopwatches;
        if (result.ok() && result.httpStatus != 204) {
            const QJsonDocument doc = QJsonDocument::fromJson(body);
            if (!doc.isArray()) {
                result.status = ForgeReply::Status::Failed;
                result.error = u"forge /user/stopwatches answer is not an array"_s;
            }
            const QJsonArray items = doc.array();
            for (const QJsonValue& item : items) {
                QString error;
                const protocol::Stopwatch s = protocol::stopwatchFromJson(item.toObject(), &error);
                if (!error.isEmpty()) {
                    result.status = ForgeReply::Status::Failed;
                    result.error = u"forge stopwatch unreadable: "_s + error;
                    break;
                }
                stopwatches.append(s);
            }
        }
        reply(result, stopwatches);
    });
}

} // namespace forgewire
