#include "http/BrowserAssets.h"

#include <QCryptographicHash>
#include <QFile>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

// Revalidate on every load: a SharedWorker or module from an older server version must not outlive
// an upgrade in a browser cache, and the ETag makes each check a 304 of a few bytes.
constexpr QByteArrayView kCacheControl = "Cache-Control: no-cache\r\n";

QByteArray jsonError(const QByteArray& message)
{
    return R"({"error":")" + message + "\"}";
}

// RFC 9110 13.1.2: If-None-Match is `*` or a list of entity tags; the comparison is weak (a W/
// prefix still matches).
bool noneMatchHits(const QByteArray& header, const QByteArray& etag)
{
    for (QByteArray tag : header.split(',')) {
        tag = tag.trimmed();
        if (tag == "*")
            return true;
        if (tag.startsWith("W/"))
            tag = tag.mid(2);
        if (tag == etag)
            return true;
    }
    return false;
}

} // namespace

QString BrowserAssets::directory(const QString& pathPrefix)
{
    return pathPrefix + "/-/forgewire/"_L1;
}

QByteArray BrowserAssets::etagOf(const QByteArray& body)
{
    return '"' + QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex().left(32) + '"';
}

BrowserAssets BrowserAssets::fromResources(const QString& pathPrefix, bool demoPage)
{
    struct File
    {
        QString name;
        QString resource;
        QByteArray type;
    };
    QList<File> files{
        {u"sharedworker.js"_s, u":/forgewire/browser/sharedworker.js"_s, "text/javascript; charset=utf-8"},
        {u"client.js"_s, u":/forgewire/browser/client.js"_s, "text/javascript; charset=utf-8"},
    };
    if (demoPage)
        files.append({u"demo"_s, u":/forgewire/browser/demo.html"_s, "text/html; charset=utf-8"});
    QHash<QString, Asset> assets;
    for (const File& file : std::as_const(files)) {
        QFile resource(file.resource);
        // The resources are compiled in: failing to open one is a broken build, not a runtime state.
        Q_ASSERT(resource.exists());
        if (resource.open(QIODevice::ReadOnly))
            assets.insert(file.name, {file.type, resource.readAll()});
    }
    return BrowserAssets(pathPrefix, assets);
}

BrowserAssets::BrowserAssets(const QString& pathPrefix, const QHash<QString, Asset>& assets)
    : m_directory(directory(pathPrefix))
{
    for (auto it = assets.cbegin(); it != assets.cend(); ++it)
        m_entries.insert(it.key(), {it.value(), etagOf(it.value().body)});
}

std::optional<QByteArray> BrowserAssets::respond(const HttpRequestHead& head) const
{
    if (!head.path.startsWith(m_directory))
        return std::nullopt;
    const QString name = head.path.mid(m_directory.size());
    const auto found = m_entries.constFind(name);
    if (found == m_entries.cend())
        return httpResponse(404, jsonError("no such file under " + m_directory.toUtf8()));
    if (head.method != "GET" && head.method != "HEAD")
        return httpResponse(405, jsonError("use GET or HEAD"), "application/json", "Allow: GET, HEAD\r\n");

    const Entry& entry = found.value();
    const QByteArray validators = "ETag: " + entry.etag + "\r\n" + kCacheControl.toByteArray();
    if (noneMatchHits(head.header("if-none-match"), entry.etag)) {
        // RFC 9110 15.4.5: no body and no Content-Type, the validators of the 200 it stands for.
        return "HTTP/1.1 304 Not Modified\r\n" + validators + "Connection: close\r\n\r\n";
    }
    const QByteArray headers = validators + "X-Content-Type-Options: nosniff\r\n";
    QByteArray response = httpResponse(200, entry.asset.body, entry.asset.contentType, headers);
    if (head.method == "HEAD")
        response.chop(entry.asset.body.size()); // the GET's headers, Content-Length included
    return response;
}

} // namespace forgewire
