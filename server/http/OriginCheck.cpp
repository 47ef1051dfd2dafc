#include "http/OriginCheck.h"

#include <QUrl>

namespace forgewire::origin {

using namespace Qt::StringLiterals;

QString normalize(const QString& text)
{
    const QUrl url(text, QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || (scheme != "http"_L1 && scheme != "https"_L1) || url.host().isEmpty() ||
        !url.userInfo().isEmpty() || url.hasQuery() || url.hasFragment() ||
        (!url.path().isEmpty() && url.path() != "/"_L1))
        return {};
    const int defaultPort = scheme == "https"_L1 ? 443 : 80;
    const int port = url.port(defaultPort);
    QString host = url.host(QUrl::FullyEncoded).toLower();
    if (host.contains(u':'))
        host = u'[' + host + u']'; // an IPv6 literal, bracketed as browsers send it
    QString out = scheme + "://"_L1 + host;
    if (port != defaultPort)
        out += u':' + QString::number(port);
    return out;
}

bool isAllowed(const QStringList& allowed, const HttpRequestHead& head)
{
    if (allowed.isEmpty())
        return true;
    int count = 0;
    for (const auto& [name, value] : head.headers)
        count += name == "origin" ? 1 : 0;
    if (count == 0)
        return true;
    // A browser sends one Origin; two are not a browser, and neither may pick the one that passes.
    if (count != 1)
        return false;
    const QString origin = normalize(QString::fromLatin1(head.header("origin").trimmed()));
    return !origin.isEmpty() && allowed.contains(origin);
}

} // namespace forgewire::origin
