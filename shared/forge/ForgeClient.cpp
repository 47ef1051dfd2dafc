#include "forge/ForgeClient.h"

#include "forge/ForgeHttp.h"
#include "forge/ForgeLogging.h"

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
    return ForgeHttp::apiUrl(m_baseUrl, apiPath);
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

void ForgeClient::get(const QString& path, const ForgeCredential& credential, QObject* context,
                      std::function<void(ForgeReply, QByteArray)> reply)
{
    // The token and Cookie syntax checks come first; this is defence in depth behind them: a header
    // with a CR/LF would otherwise smuggle a request onto the kept-alive connection, whose answer
    // would then be read as the answer to someone else's request.
    QString unsafeHeader;
    const bool cookie = credential.isCookie();
    const QString apiPath = path; // as logged
    QNetworkReply* networkReply =
        cookie ? ForgeHttp::sendWithCookie(m_network, ForgeHttp::join(m_baseUrl, path), credential.cookie,
                                           &unsafeHeader)
               : ForgeHttp::send(m_network, "GET", apiUrl(path), credential.token, &unsafeHeader);
    if (!networkReply) {
        ForgeReply refused;
        refused.status = ForgeReply::Status::Unauthorized;
        refused.notSent = true;
        refused.error =
            u"not sent to the forge: the %1 header would carry a control character"_s.arg(unsafeHeader);
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
    QPointer<QObject> guard(context);
    connect(
        networkReply, &QNetworkReply::finished, this, [this, networkReply, guard, reply, apiPath, cookie] {
            networkReply->deleteLater();
            ForgeReply result;
            result.httpStatus = networkReply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            const QByteArray body = networkReply->readAll();
            // A web route sends a signed-out session to the sign-in page rather than answering 401.
            const bool signInPage = cookie && result.httpStatus >= 300 && result.httpStatus < 400;
            switch (signInPage ? ForgeHttp::Outcome::Unauthorized : ForgeHttp::classify(result.httpStatus)) {
            case ForgeHttp::Outcome::Unauthorized:
                // 403 too: for the bridge a missing scope means the same (it can never poll with this token).
                result.status = ForgeReply::Status::Unauthorized;
                result.missingScope =
                    cookie ? QString() : ForgeHttp::missingScope(result.httpStatus, apiPath);
                result.error =
                    u"forge refused the %1 (%2) on %3"_s.arg(cookie ? u"session cookie"_s : u"token"_s)
                        .arg(result.httpStatus)
                        .arg(apiPath);
                break;
            case ForgeHttp::Outcome::RateLimited:
                result.status = ForgeReply::Status::RateLimited;
                result.retryAfterMs = parseRetryAfterMs(networkReply->rawHeader("Retry-After"),
                                                        QDateTime::currentDateTimeUtc());
                result.error = u"forge rate limit on %1"_s.arg(apiPath);
                break;
            case ForgeHttp::Outcome::Ok:
                result.status = ForgeReply::Status::Ok;
                break;
            case ForgeHttp::Outcome::Failed:
                result.status = ForgeReply::Status::Failed;
                result.error =
                    result.httpStatus
                        ? u"forge answered %1 on %2"_s.arg(result.httpStatus).arg(apiPath)
                        : u"forge unreachable on %1: %2"_s.arg(apiPath, networkReply->errorString());
                break;
            }
            ++m_counts[int(result.status)];
            if (guard)
                reply(result, body);
        });
}

void ForgeClient::fetchUser(const QByteArray& token, QObject* context,
                            std::function<void(ForgeReply, ForgeUser)> reply)
{
    get(u"/user"_s, ForgeCredential::ofToken(token), context,
        [reply](ForgeReply result, const QByteArray& body) {
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

void ForgeClient::fetchNewCount(const ForgeCredential& credential, QObject* context,
                                std::function<void(ForgeReply, qint64)> reply)
{
    get(u"/notifications/new"_s, credential, context, [reply](ForgeReply result, const QByteArray& body) {
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

void ForgeClient::fetchStopwatches(const ForgeCredential& credential, QObject* context,
                                   std::function<void(ForgeReply, QList<protocol::Stopwatch>)> reply)
{
    get(u"/user/stopwatches"_s, credential, context, [reply](ForgeReply result, const QByteArray& body) {
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
