#pragma once

#include "protocol/Protocol.h"

#include <QByteArray>
#include <QList>
#include <QNetworkAccessManager>
#include <QObject>
#include <QUrl>

#include <functional>

class QNetworkReply;

namespace forgewire {

// What one request to the forge came to, reduced to what the bridge acts on.
struct ForgeReply
{
    enum class Status
    {
        Ok,
        Unauthorized,
        RateLimited,
        Failed
    };
    Status status = Status::Failed;
    int httpStatus = 0;    // 0: no HTTP answer (refused, timed out, DNS)
    int retryAfterMs = -1; // RateLimited: the forge's Retry-After, -1 when absent
    QString error;         // Failed / Unauthorized: a sentence for the log
    // Unauthorized with 403: the token scope the endpoint needs (Gitea answers 403 for a token
    // without it), for a close reason that tells the user what to fix.
    QString missingScope;
    // Never sent: the request would have carried a control character in a header (a token that
    // slipped past the syntax check); Unauthorized, and the forge saw nothing.
    bool notSent = false;

    bool ok() const { return status == Status::Ok; }
};

// What a request to the forge signs in with: a forge token on the REST API (`/api/v1/...`,
// `Authorization: token X`), or a browser's Cookie header on the cookie-authenticated web routes
// the forge's own pages read (`/notifications/new`, `/user/stopwatches`; since 1.17 Gitea and
// Forgejo ignore the session cookie on /api/v1).
struct ForgeCredential
{
    QByteArray token;
    QByteArray cookie;

    static ForgeCredential ofToken(const QByteArray& token) { return {token, {}}; }
    static ForgeCredential ofCookie(const QByteArray& cookieHeader) { return {{}, cookieHeader}; }
    bool isCookie() const { return !cookie.isEmpty(); }
};

struct ForgeUser
{
    qint64 id = 0;
    QString login;
};

// The few Gitea/Forgejo REST calls the bridge makes (`Authorization: token X`), with timeouts and
// the answers parsed. Gitea and Forgejo share these shapes; Codeberg runs Forgejo.
class ForgeClient : public QObject
{
    Q_OBJECT
public:
    // A forge that does not answer within this is treated as down for this poll.
    static constexpr int kRequestTimeoutMs = 10'000;

    explicit ForgeClient(const QUrl& baseUrl, QObject* parent = nullptr);

    QUrl apiUrl(const QString& apiPath) const;

    // `reply` runs on the main thread unless `context` is gone by then.
    void fetchUser(const QByteArray& token, QObject* context,
                   std::function<void(ForgeReply, ForgeUser)> reply);
    // GET /notifications/new; 204 (older forges, nothing new) counts as 0. With a cookie, the web
    // route: a redirect (to the sign-in page: Gitea sends 303), 401 or 403 is Unauthorized.
    void fetchNewCount(const ForgeCredential& credential, QObject* context,
                       std::function<void(ForgeReply, qint64)> reply);
    void fetchStopwatches(const ForgeCredential& credential, QObject* context,
                          std::function<void(ForgeReply, QList<protocol::Stopwatch>)> reply);

    // `Retry-After` as delta-seconds or an HTTP date; -1 when absent or unreadable.
    static int parseRetryAfterMs(const QByteArray& value, const QDateTime& now);

    // Requests per outcome since start, for /metrics (requests refused before sending not included).
    qint64 count(ForgeReply::Status status) const { return m_counts[int(status)]; }

private:
    // GET `path` (an API path like "/user", for the web route without "/api/v1" when signed in with
    // a cookie).
    void get(const QString& path, const ForgeCredential& credential, QObject* context,
             std::function<void(ForgeReply, QByteArray)> reply);

    QUrl m_baseUrl;
    QNetworkAccessManager m_network;
    qint64 m_counts[4] = {0, 0, 0, 0};
};

} // namespace forgewire
