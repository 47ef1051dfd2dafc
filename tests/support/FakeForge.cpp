#include "FakeForge.h"

#include "TestSupport.h"

#include "http/HttpMessage.h"

#include <QJsonDocument>
#include <QRegularExpression>
#include <QTimer>
#include <QUrlQuery>

namespace forgewire::test {

using namespace Qt::StringLiterals;

namespace {

AdminServer::Response json(int status, const QJsonValue& value)
{
    const QByteArray body = value.isArray() ? QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact)
                                            : QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    return {status, body, "application/json", {}};
}

AdminServer::Response empty(int status)
{
    return {status, {}, "application/json", {}};
}

} // namespace

FakeForge::FakeForge()
{
    m_clock.start();
}

FakeForge::~FakeForge() = default;

void FakeForge::addAccount(qint64 id, const QString& login, const QByteArray& token)
{
    tokens.insert(token, id);
    if (!accounts.contains(id))
        accounts.insert(id, Account{login, 0, {}, {}, {}});
}

bool FakeForge::start(quint16 port)
{
    m_server = std::make_unique<AdminServer>(
        [this](const HttpRequestHead& head, const QByteArray&, AdminServer::Respond respond) {
            const AdminServer::Response response = handle(head);
            hits.append(Hit{head.method, head.path, response.status, m_clock.elapsed()});
            if (userDelayMs > 0 && head.path == "/api/v1/user"_L1) {
                maxUserOutstanding = std::max(maxUserOutstanding, ++userOutstanding);
                QTimer::singleShot(userDelayMs, m_server.get(), [this, respond, response] {
                    --userOutstanding;
                    respond(response);
                });
                return;
            }
            respond(response);
        });
    return m_server->listen(QHostAddress::LocalHost, port);
}

void FakeForge::stop()
{
    m_server.reset();
}

quint16 FakeForge::port() const
{
    return m_server ? m_server->port() : 0;
}

int FakeForge::count(const QString& path, qint64 sinceMs) const
{
    return int(std::count_if(hits.cbegin(), hits.cend(),
                             [&](const Hit& h) { return h.path == path && h.atMs >= sinceMs; }));
}

int FakeForge::count(const QByteArray& method, const QString& path) const
{
    return int(std::count_if(hits.cbegin(), hits.cend(),
                             [&](const Hit& h) { return h.method == method && h.path == path; }));
}

QList<qint64> FakeForge::times(const QString& path, qint64 sinceMs) const
{
    QList<qint64> result;
    for (const Hit& h : hits) {
        if (h.path == path && h.atMs >= sinceMs)
            result.append(h.atMs);
    }
    return result;
}

QJsonObject FakeForge::thread(qint64 id, const QString& type, const QString& title, qint64 index,
                              const QString& repo) const
{
    const QString base = u"http://127.0.0.1:%1"_s.arg(m_port ? m_port : port());
    const QString kind = type == "Pull"_L1 ? u"pulls"_s : u"issues"_s;
    QString apiUrl = u"%1/api/v1/repos/%2/%3/%4"_s.arg(base, repo, kind).arg(index);
    if (type == "Commit"_L1)
        apiUrl = u"%1/api/v1/repos/%2/git/commits/abc%3"_s.arg(base, repo).arg(index);
    else if (type == "Release"_L1)
        apiUrl = u"%1/api/v1/repos/%2/releases/%3"_s.arg(base, repo).arg(index);
    // Older Gitea sends no subject html_url: the client derives it from `url`.
    return QJsonObject{
        {u"id"_s, id},
        {u"unread"_s, true},
        {u"pinned"_s, false},
        {u"updated_at"_s, QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
        {u"url"_s, u"%1/api/v1/notifications/threads/%2"_s.arg(base).arg(id)},
        {u"repository"_s, QJsonObject{{u"full_name"_s, repo}, {u"html_url"_s, base + u'/' + repo}}},
        {u"subject"_s,
         QJsonObject{{u"title"_s, title}, {u"type"_s, type}, {u"url"_s, apiUrl}, {u"state"_s, u"open"_s}}}};
}

void FakeForge::addThread(qint64 accountId, const QJsonObject& thread)
{
    Account& account = accounts[accountId];
    account.threads.append(thread);
    ++account.unread;
}

QJsonObject FakeForge::issue(qint64 index, const QString& title, const QString& owner, const QString& repo)
{
    return QJsonObject{{u"number"_s, index},
                       {u"title"_s, title},
                       {u"state"_s, u"open"_s},
                       {u"pull_request"_s, QJsonValue::Null},
                       {u"repository"_s, QJsonObject{{u"id"_s, 1},
                                                     {u"name"_s, repo},
                                                     {u"owner"_s, owner},
                                                     {u"full_name"_s, owner + u'/' + repo}}}};
}

QJsonObject FakeForge::stopwatch(qint64 index, const QString& title, const QDateTime& created,
                                 const QString& owner, const QString& repo)
{
    return QJsonObject{{u"created"_s, created.toString(Qt::ISODate)},
                       {u"issue_index"_s, index},
                       {u"issue_title"_s, title},
                       {u"repo_owner_name"_s, owner},
                       {u"repo_name"_s, repo}};
}

QJsonArray FakeForge::stopwatchesOf(const Account& account) const
{
    QJsonArray out;
    for (const QJsonValue& v : std::as_const(account.stopwatches)) {
        QJsonObject s = v.toObject();
        const qint64 seconds = QDateTime::fromString(s.value("created"_L1).toString(), Qt::ISODate)
                                   .secsTo(QDateTime::currentDateTimeUtc());
        s.insert(u"seconds"_s, seconds);
        s.insert(u"duration"_s, u"%1s"_s.arg(seconds));
        out.append(s);
    }
    return out;
}

AdminServer::Response FakeForge::handleWebRoute(const HttpRequestHead& head)
{
    if (head.path == "/user/login"_L1) {
        AdminServer::Response page = empty(200);
        page.contentType = "text/html";
        page.body = "<html><body>Sign in</body></html>";
        return page;
    }
    if (head.path != "/notifications/new"_L1 && head.path != "/user/stopwatches"_L1)
        return json(404, QJsonObject{{u"message"_s, u"not found"_s}});
    QByteArray session;
    for (const QByteArray& pair : head.header("cookie").split(';')) {
        const QByteArray trimmed = pair.trimmed();
        if (trimmed.startsWith(sessionCookie + '='))
            session = trimmed.mid(sessionCookie.size() + 1);
    }
    if (!sessions.contains(session)) {
        AdminServer::Response signIn = empty(303);
        signIn.extraHeaders = "Location: /user/login\r\n";
        return signIn;
    }
    const Account& account = accounts[sessions.value(session)];
    if (head.path == "/notifications/new"_L1)
        return json(200, QJsonObject{{u"new"_s, account.unread}}); // the web route answers 200 always
    return json(200, stopwatchesOf(account));
}

AdminServer::Response FakeForge::handle(const HttpRequestHead& head)
{
    if (failStatus)
        return json(failStatus, QJsonObject{{u"message"_s, u"internal error"_s}});
    if (rateLimitNext > 0) {
        --rateLimitNext;
        AdminServer::Response r = json(429, QJsonObject{{u"message"_s, u"rate limited"_s}});
        if (!retryAfter.isEmpty())
            r.extraHeaders = "Retry-After: " + retryAfter + "\r\n";
        return r;
    }
    if (head.method == "GET" && !head.path.startsWith("/api/"_L1))
        return handleWebRoute(head);
    static const QRegularExpression profilePath(uR"(^/api/v1/users/([^/]+)$)"_s);
    const QRegularExpressionMatch profile = profilePath.match(head.path);
    if (head.method == "GET" && profile.hasMatch()) {
        for (auto it = accounts.cbegin(); it != accounts.cend(); ++it) {
            if (it->login == profile.captured(1))
                return json(200, QJsonObject{{u"id"_s, it.key()}, {u"login"_s, it->login}});
        }
        return json(404, QJsonObject{{u"message"_s, u"user does not exist"_s}});
    }
    const QByteArray auth = head.header("authorization");
    const QByteArray token = auth.startsWith("token ") ? auth.mid(6) : QByteArray();
    if (!tokens.contains(token) || revoked.contains(token))
        return json(401, QJsonObject{{u"message"_s, u"token is required"_s}});
    const qint64 id = tokens.value(token);
    Account& account = accounts[id];
    const QString& path = head.path;
    const QByteArray& method = head.method;
    const QString needs = path.startsWith("/api/v1/notifications"_L1) ? u"read:notification"_s
                          : path.startsWith("/api/v1/user"_L1)        ? u"read:user"_s
                                                                      : u"write:issue"_s;
    if (lackingScope.value(token) == needs)
        return json(
            403, QJsonObject{{u"message"_s,
                              u"token does not have at least one of required scope(s): [%1]"_s.arg(needs)}});

    if (method == "GET" && path == "/api/v1/user"_L1)
        return json(200, QJsonObject{{u"id"_s, id}, {u"login"_s, account.login}, {u"full_name"_s, u""_s}});
    if (method == "GET" && path == "/api/v1/notifications/new"_L1) {
        // Older Gitea answers 204 when nothing is new.
        if (account.unread == 0)
            return empty(204);
        return json(200, QJsonObject{{u"new"_s, account.unread}});
    }
    if (method == "GET" && path == "/api/v1/user/stopwatches"_L1) {
        return json(200, stopwatchesOf(account));
    }
    if (method == "PUT" && path == "/api/v1/notifications"_L1) {
        account.unread = 0;
        account.threads = {};
        return json(205, QJsonArray{});
    }
    const QUrlQuery query(head.query);
    if (method == "GET" && path == "/api/v1/notifications"_L1) {
        if (query.queryItemValue(u"status-types"_s) != "unread"_L1)
            return json(400, QJsonObject{{u"message"_s, u"the fake answers status-types=unread only"_s}});
        const int limit = query.hasQueryItem(u"limit"_s) ? query.queryItemValue(u"limit"_s).toInt() : 50;
        QJsonArray out;
        for (qsizetype i = account.threads.size() - 1; i >= 0 && out.size() < limit; --i)
            out.append(account.threads[i]);
        return json(200, out);
    }
    static const QRegularExpression threadPath(uR"(^/api/v1/notifications/threads/(\d+)$)"_s);
    if (const QRegularExpressionMatch t = threadPath.match(path); t.hasMatch()) {
        if (method != "PATCH")
            return json(405, QJsonObject{});
        for (qsizetype i = 0; i < account.threads.size(); ++i) {
            if (account.threads[i].toObject().value("id"_L1).toInteger() == t.captured(1).toLongLong()) {
                account.threads.removeAt(i);
                account.unread = std::max<qint64>(0, account.unread - 1);
                return json(205, QJsonObject{});
            }
        }
        return json(404, QJsonObject{{u"message"_s, u"thread not found"_s}});
    }
    if (method == "GET" && path == "/api/v1/repos/issues/search"_L1) {
        if (query.queryItemValue(u"type"_s) != "assigned"_L1 || query.queryItemValue(u"state"_s) != "open"_L1)
            return json(400,
                        QJsonObject{{u"message"_s, u"the fake answers type=assigned&state=open only"_s}});
        return json(200, account.assigned);
    }
    static const QRegularExpression stopwatchPath(
        uR"(^/api/v1/repos/([^/]+)/([^/]+)/issues/(\d+)/stopwatch/(start|stop|delete)$)"_s);
    const QRegularExpressionMatch m = stopwatchPath.match(path);
    if (m.hasMatch() && m.captured(4) == "start"_L1) {
        if (method != "POST")
            return json(405, QJsonObject{});
        for (const QJsonValue& v : std::as_const(account.stopwatches)) {
            const QJsonObject s = v.toObject();
            if (s.value("repo_owner_name"_L1).toString() == m.captured(1) &&
                s.value("repo_name"_L1).toString() == m.captured(2) &&
                s.value("issue_index"_L1).toInteger() == m.captured(3).toLongLong())
                return json(409, QJsonObject{{u"message"_s,
                                              u"Cannot start a stopwatch again if it already exists"_s}});
        }
        QString title;
        for (const QJsonValue& v : std::as_const(account.assigned)) {
            if (v.toObject().value("number"_L1).toInteger() == m.captured(3).toLongLong())
                title = v.toObject().value("title"_L1).toString();
        }
        account.stopwatches.append(stopwatch(m.captured(3).toLongLong(), title,
                                             QDateTime::currentDateTimeUtc(), m.captured(1), m.captured(2)));
        return empty(201);
    }
    if (m.hasMatch()) {
        const bool stop = m.captured(4) == "stop"_L1;
        if ((stop && method != "POST") || (!stop && method != "DELETE"))
            return json(405, QJsonObject{});
        for (qsizetype i = 0; i < account.stopwatches.size(); ++i) {
            const QJsonObject s = account.stopwatches[i].toObject();
            if (s.value("repo_owner_name"_L1).toString() == m.captured(1) &&
                s.value("repo_name"_L1).toString() == m.captured(2) &&
                s.value("issue_index"_L1).toInteger() == m.captured(3).toLongLong()) {
                account.stopwatches.removeAt(i);
                return empty(stop ? 201 : 204);
            }
        }
        return json(409, QJsonObject{{u"message"_s, u"Cannot stop a non existent stopwatch"_s}});
    }
    return json(404, QJsonObject{{u"message"_s, u"not found"_s}});
}

void FakeForge::addSignedInBrowsers()
{
    accounts[7] = {QStringLiteral("alice"), 3, {}, {}, {}};
    accounts[7].stopwatches.append(
        stopwatch(4, QStringLiteral("Fix X"), QDateTime::currentDateTimeUtc().addSecs(-60)));
    sessions.insert("sess-a", 7);
    sessions.insert("sess-b", 7); // the same person in another browser
}

ServerConfig FakeForge::cookieSignInConfig(const QString& origin) const
{
    ServerConfig config = testConfig();
    config.cookieAuth = true;
    config.forgeUrl = url().toString();
    config.allowedOrigins = {origin};
    config.forgePoll.minMs = 100;
    config.forgePoll.stepMs = 0;
    config.forgePoll.maxMs = 100;
    return config;
}

} // namespace forgewire::test
