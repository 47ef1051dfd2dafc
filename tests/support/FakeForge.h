#pragma once

// A Gitea/Forgejo as far as forgewire-server's bridge and ForgeActions see it: a real HTTP server on
// loopback following the documented API shapes and status codes (GET /user, /notifications/new,
// /user/stopwatches; POST .../stopwatch/stop 201, DELETE .../stopwatch/delete 204, PUT
// /notifications 205, 409 when no stopwatch runs, 401 for unknown tokens, 403 for a token without the
// scope an endpoint needs; GET /users/{login}, a public profile, needs no token). For the tray's
// lists: GET /notifications?status-types=unread&limit=N, PATCH /notifications/threads/{id} (205),
// GET /repos/issues/search?type=assigned&state=open, POST .../stopwatch/start (201, 409 when running).

#include "admin/AdminServer.h"
#include "config/ServerConfig.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QSet>
#include <QUrl>

#include <memory>

namespace forgewire::test {

class FakeForge
{
public:
    struct Hit
    {
        QByteArray method;
        QString path;
        int status;
        qint64 atMs;
    };
    struct Account
    {
        QString login;
        qint64 unread = 0;
        QJsonArray stopwatches; // without `seconds`/`duration`, which are computed per request
        QJsonArray threads;     // notification threads, oldest first (see thread()); `unread` counts too
        QJsonArray assigned;    // open issues assigned to the user (see issue())
    };

    QHash<QByteArray, qint64> tokens;
    // Browser sessions, as Gitea >= 1.17 has them: the session cookie's value -> account id. Only the
    // web routes GET /notifications/new ({"new":N}) and GET /user/stopwatches accept the cookie;
    // without a known session they answer 303 to /user/login, and /api/v1 ignores cookies.
    QHash<QByteArray, qint64> sessions;
    QByteArray sessionCookie = "i_like_gitea";
    QSet<QByteArray> revoked;
    QHash<qint64, Account> accounts;
    int failStatus = 0;    // non-zero: every request gets this status
    int rateLimitNext = 0; // this many requests get 429
    QByteArray retryAfter; // sent with those 429s when set
    QList<Hit> hits;
    // Token -> a scope it was created without: endpoints needing it answer 403, as Gitea does.
    QHash<QByteArray, QString> lackingScope;
    // Answers to GET /user wait this long (a slow forge); the most waiting at once is recorded.
    int userDelayMs = 0;
    int userOutstanding = 0;
    int maxUserOutstanding = 0;

    FakeForge();
    ~FakeForge();

    void addAccount(qint64 id, const QString& login, const QByteArray& token);
    // Alice (account 7: 3 unread, one stopwatch "Fix X") signed in in two browsers, sessions "sess-a"
    // and "sess-b", for the tests of sign-in by the forge's session cookie.
    void addSignedInBrowsers();
    // A server (testConfig()) that signs pages of `origin` in by this forge's session cookie, polling
    // every 100 ms. Call after start() and rememberPort().
    ServerConfig cookieSignInConfig(const QString& origin) const;

    bool start(quint16 port = 0);
    // Gone, connections included: clients see "connection refused".
    void stop();
    quint16 port() const;
    // The URL of the port remembered by rememberPort() (kept across stop() and start(port)).
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_port)); }
    void rememberPort() { m_port = port(); }
    qint64 nowMs() const { return m_clock.elapsed(); }

    int count(const QString& path, qint64 sinceMs = 0) const;
    int count(const QByteArray& method, const QString& path) const;
    QList<qint64> times(const QString& path, qint64 sinceMs = 0) const;

    // A notification thread as Gitea's GET /notifications answers it; `type` is Issue, Pull, Commit or
    // Release. Added to the account's threads and counted as unread by addThread().
    QJsonObject thread(qint64 id, const QString& type, const QString& title, qint64 index,
                       const QString& repo = QStringLiteral("alice/proj")) const;
    void addThread(qint64 accountId, const QJsonObject& thread);
    // An issue as GET /repos/issues/search answers it.
    static QJsonObject issue(qint64 index, const QString& title,
                             const QString& owner = QStringLiteral("alice"),
                             const QString& repo = QStringLiteral("proj"));

    static QJsonObject stopwatch(qint64 index, const QString& title, const QDateTime& created,
                                 const QString& owner = QStringLiteral("alice"),
                                 const QString& repo = QStringLiteral("proj"));

private:
    AdminServer::Response handle(const HttpRequestHead& head);
    AdminServer::Response handleWebRoute(const HttpRequestHead& head);
    QJsonArray stopwatchesOf(const Account& account) const;

    std::unique_ptr<AdminServer> m_server;
    QElapsedTimer m_clock;
    quint16 m_port = 0;
};

} // namespace forgewire::test
