#pragma once

#include "http/HttpMessage.h"

#include <QByteArray>
#include <QHash>
#include <QString>

#include <optional>

namespace forgewire {

// The browser files the client listener serves under `<prefix>/-/forgewire/` (PROTOCOL.md, Browser
// assets): the SharedWorker, the page module and, when enabled, the demo page. Pure: a request head
// in, the whole HTTP response out, or nothing for a request that is not under that path (the
// WebSocket endpoint answers it).
class BrowserAssets
{
public:
    struct Asset
    {
        QByteArray contentType;
        QByteArray body;
    };

    // The directory every asset is under, e.g. `/push/-/forgewire/`.
    static QString directory(const QString& pathPrefix);
    // The files embedded in the binary (Qt resources); the demo page only with `demoPage`.
    static BrowserAssets fromResources(const QString& pathPrefix, bool demoPage);

    // `assets` by file name (`client.js`), served as given.
    BrowserAssets(const QString& pathPrefix, const QHash<QString, Asset>& assets);

    // GET or HEAD of a known name: 200 with ETag and Cache-Control, or 304 when If-None-Match names
    // the current ETag. An unknown name under the directory: 404; another method: 405. Every
    // response closes the connection (the listener serves one request per connection).
    std::optional<QByteArray> respond(const HttpRequestHead& head) const;

    // A strong ETag of the content (quoted), so a rebuilt binary with the same file keeps caches warm.
    static QByteArray etagOf(const QByteArray& body);

private:
    struct Entry
    {
        Asset asset;
        QByteArray etag;
    };

    QString m_directory;
    QHash<QString, Entry> m_entries;
};

} // namespace forgewire
