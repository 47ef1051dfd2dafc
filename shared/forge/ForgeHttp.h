#pragma once

#include <QByteArray>
#include <QString>
#include <QUrl>

class QNetworkAccessManager;
class QNetworkReply;

namespace forgewire {

// The parts every request to a Gitea/Forgejo REST API shares, for the server's bridge (ForgeClient)
// and the tray's actions (ForgeActions) alike; also the one place forge web URLs are joined.
class ForgeHttp
{
public:
    // What an answer means for the token that asked.
    enum class Outcome
    {
        Ok,           // 2xx
        Unauthorized, // 401, or 403: Gitea answers 403 for a token without the endpoint's scope
        RateLimited,  // 429
        Failed        // no answer, or any other status
    };

    // `path` ("/alice/proj/issues/7", percent-encoded where needed: see segment()) joined onto the
    // forge's base URL; a sub-path install (https://example.org/git/) keeps its path. Query and
    // fragment of the base are dropped. An empty or invalid base gives an empty URL.
    static QUrl join(const QUrl& forgeUrl, const QString& path);
    // join(forgeUrl, "/api/v1" + apiPath).
    static QUrl apiUrl(const QUrl& forgeUrl, const QString& apiPath);
    // One path segment, percent-encoded: a name containing '/', '?' or '#' stays one segment.
    static QString segment(const QString& name);

    // Sends `method` to `url` with `Authorization: token <token>` and `Accept: application/json`,
    // following redirects only within the same origin (the token must not reach another host).
    // Returns null, sends nothing and names the header in `*unsafeHeader` when a header value would
    // carry a control character: Qt 6.4 writes header values as they are, so a CR/LF would split
    // the request and smuggle one of the caller's making onto a kept-alive connection.
    static QNetworkReply* send(QNetworkAccessManager& network, const QByteArray& method, const QUrl& url,
                               const QByteArray& token, QString* unsafeHeader);

    // Sends GET `url` with the browser's `Cookie` header (a forge session, on the forge's web routes)
    // and `Accept: application/json`, following no redirect: a signed-out session is redirected to
    // the sign-in page, which is the answer. Null and nothing sent as for send().
    static QNetworkReply* sendWithCookie(QNetworkAccessManager& network, const QUrl& url,
                                         const QByteArray& cookie, QString* unsafeHeader);

    static Outcome classify(int httpStatus);
    // The token scope Gitea/Forgejo requires for `apiPath`, named when it answers 403; empty when
    // the status is not 403.
    static QString missingScope(int httpStatus, const QString& apiPath,
                                const QByteArray& method = QByteArrayLiteral("GET"));
    // The scope Gitea/Forgejo requires of a token for `apiPath` (read endpoints the bridge polls,
    // write endpoints the tray acts on).
    static QString scopeFor(const QString& apiPath, const QByteArray& method = QByteArrayLiteral("GET"));
};

} // namespace forgewire
