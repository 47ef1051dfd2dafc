#include "forge/ForgeHttp.h"

#include "protocol/Protocol.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

namespace forgewire {

using namespace Qt::StringLiterals;

QUrl ForgeHttp::join(const QUrl& forgeUrl, const QString& path)
{
    if (!forgeUrl.isValid() || forgeUrl.isEmpty())
        return {};
    QUrl url = forgeUrl;
    QString base = url.path(QUrl::FullyEncoded);
    while (base.endsWith(u'/'))
        base.chop(1);
    url.setPath(base + path, QUrl::TolerantMode);
    url.setQuery(QString());
    url.setFragment(QString());
    return url;
}

QUrl ForgeHttp::apiUrl(const QUrl& forgeUrl, const QString& apiPath)
{
    return join(forgeUrl, u"/api/v1"_s + apiPath);
}

QString ForgeHttp::segment(const QString& name)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(name));
}

QNetworkReply* ForgeHttp::send(QNetworkAccessManager& network, const QByteArray& method, const QUrl& url,
                               const QByteArray& token, QString* unsafeHeader)
{
    QNetworkRequest request(url);
    request.setRawHeader("Authorization", "token " + token);
    request.setRawHeader("Accept", "application/json");
    const QList<QByteArray> names = request.rawHeaderList();
    for (const QByteArray& name : names) {
        if (protocol::hasControlCharacter(request.rawHeader(name))) {
            if (unsafeHeader)
                *unsafeHeader = QString::fromLatin1(name);
            return nullptr;
        }
    }
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::SameOriginRedirectPolicy);
    return network.sendCustomRequest(request, method);
}

QNetworkReply* ForgeHttp::sendWithCookie(QNetworkAccessManager& network, const QUrl& url,
                                         const QByteArray& cookie, QString* unsafeHeader)
{
    QNetworkRequest request(url);
    request.setRawHeader("Cookie", cookie);
    request.setRawHeader("Accept", "application/json");
    if (protocol::hasControlCharacter(cookie)) {
        if (unsafeHeader)
            *unsafeHeader = u"Cookie"_s;
        return nullptr;
    }
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    // The browser's cookies are the only credential: none of the manager's own may be added.
    request.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
    request.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
    return network.get(request);
}

ForgeHttp::Outcome ForgeHttp::classify(int httpStatus)
{
    if (httpStatus >= 200 && httpStatus < 300)
        return Outcome::Ok;
    if (httpStatus == 401 || httpStatus == 403)
        return Outcome::Unauthorized;
    if (httpStatus == 429)
        return Outcome::RateLimited;
    return Outcome::Failed;
}

QString ForgeHttp::missingScope(int httpStatus, const QString& apiPath, const QByteArray& method)
{
    return httpStatus == 403 ? scopeFor(apiPath, method) : QString();
}

QString ForgeHttp::scopeFor(const QString& apiPath, const QByteArray& method)
{
    const bool write = method != "GET" && method != "HEAD";
    if (apiPath.startsWith("/notifications"_L1))
        return write ? u"write:notification"_s : u"read:notification"_s;
    if (apiPath.startsWith("/repos/"_L1))
        return write ? u"write:issue"_s : u"read:issue"_s;
    return write ? u"write:user"_s : u"read:user"_s; // /user and /user/stopwatches
}

} // namespace forgewire
