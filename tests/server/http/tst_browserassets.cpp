// BrowserAssets (the files under <prefix>/-/forgewire/) and the Origin check of the upgrade, as pure
// functions: a request head in, the response bytes or a verdict out.

#include "http/BrowserAssets.h"
#include "http/OriginCheck.h"

#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestBrowserAssets : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void respond_data();
    void respond();
    void headHasTheGetHeadersAndNoBody();
    void etagFollowsContent();
    void embeddedFiles_data();
    void embeddedFiles();
    void normalize_data();
    void normalize();
    void originAllowed_data();
    void originAllowed();
};

namespace {

const QByteArray kWorker = "self.onconnect = () => {};\n";
const QByteArray kClient = "export function connect() {}\n";

BrowserAssets sample(const QString& prefix = {})
{
    return BrowserAssets(prefix, {{u"sharedworker.js"_s, {"text/javascript; charset=utf-8", kWorker}},
                                  {u"client.js"_s, {"text/javascript; charset=utf-8", kClient}}});
}

HttpRequestHead request(const QByteArray& method, const QString& path,
                        const QList<std::pair<QByteArray, QByteArray>>& headers = {})
{
    HttpRequestHead head;
    head.method = method;
    head.path = path;
    head.headers = headers;
    return head;
}

int statusOf(const QByteArray& response)
{
    return response.mid(9, 3).toInt();
}

QByteArray headerOf(const QByteArray& response, const QByteArray& name)
{
    const QByteArray head = response.left(response.indexOf("\r\n\r\n"));
    for (const QByteArray& line : head.split('\n')) {
        if (line.toLower().startsWith(name.toLower() + ':'))
            return line.mid(name.size() + 1).trimmed();
    }
    return {};
}

QByteArray bodyOf(const QByteArray& response)
{
    return response.mid(response.indexOf("\r\n\r\n") + 4);
}

} // namespace

void TestBrowserAssets::respond_data()
{
    QTest::addColumn<QString>("prefix");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("ifNoneMatch");
    QTest::addColumn<int>("status"); // 0: not an asset request
    QTest::addColumn<QByteArray>("body");

    const QByteArray etag = BrowserAssets::etagOf(kWorker);
    const QString worker = u"/-/forgewire/sharedworker.js"_s;
    QTest::newRow("worker") << QString() << QByteArray("GET") << worker << QByteArray() << 200 << kWorker;
    QTest::newRow("client") << QString() << QByteArray("GET") << u"/-/forgewire/client.js"_s << QByteArray()
                            << 200 << kClient;
    QTest::newRow("under a prefix") << u"/push"_s << QByteArray("GET") << u"/push/-/forgewire/client.js"_s
                                    << QByteArray() << 200 << kClient;
    QTest::newRow("prefix missing") << u"/push"_s << QByteArray("GET") << u"/-/forgewire/client.js"_s
                                    << QByteArray() << 0 << QByteArray();
    QTest::newRow("the WebSocket path")
        << QString() << QByteArray("GET") << u"/-/ws"_s << QByteArray() << 0 << QByteArray();
    QTest::newRow("the directory itself")
        << QString() << QByteArray("GET") << u"/-/forgewire"_s << QByteArray() << 0 << QByteArray();
    QTest::newRow("unknown name") << QString() << QByteArray("GET") << u"/-/forgewire/secret.txt"_s
                                  << QByteArray() << 404 << QByteArray();
    QTest::newRow("directory listing")
        << QString() << QByteArray("GET") << u"/-/forgewire/"_s << QByteArray() << 404 << QByteArray();
    QTest::newRow("traversal") << QString() << QByteArray("GET") << u"/-/forgewire/../forgewire/client.js"_s
                               << QByteArray() << 404 << QByteArray();
    QTest::newRow("demo when disabled")
        << QString() << QByteArray("GET") << u"/-/forgewire/demo"_s << QByteArray() << 404 << QByteArray();
    QTest::newRow("POST") << QString() << QByteArray("POST") << worker << QByteArray() << 405 << QByteArray();
    QTest::newRow("matching etag") << QString() << QByteArray("GET") << worker << etag << 304 << QByteArray();
    QTest::newRow("weak matching etag")
        << QString() << QByteArray("GET") << worker << "W/" + etag << 304 << QByteArray();
    QTest::newRow("etag in a list") << QString() << QByteArray("GET") << worker << "\"old\", " + etag << 304
                                    << QByteArray();
    QTest::newRow("star") << QString() << QByteArray("GET") << worker << QByteArray("*") << 304
                          << QByteArray();
    QTest::newRow("stale etag") << QString() << QByteArray("GET") << worker << QByteArray("\"old\"") << 200
                                << kWorker;
    QTest::newRow("another file's etag")
        << QString() << QByteArray("GET") << u"/-/forgewire/client.js"_s << etag << 200 << kClient;
}

void TestBrowserAssets::respond()
{
    QFETCH(QString, prefix);
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(QByteArray, ifNoneMatch);
    QFETCH(int, status);
    QFETCH(QByteArray, body);

    QList<std::pair<QByteArray, QByteArray>> headers;
    if (!ifNoneMatch.isEmpty())
        headers.append({"if-none-match", ifNoneMatch});
    const std::optional<QByteArray> response = sample(prefix).respond(request(method, path, headers));
    if (status == 0) {
        QVERIFY(!response);
        return;
    }
    QVERIFY(response);
    QCOMPARE(statusOf(*response), status);
    QCOMPARE(headerOf(*response, "Connection"), QByteArray("close"));
    switch (status) {
    case 200:
        QCOMPARE(bodyOf(*response), body);
        QCOMPARE(headerOf(*response, "Content-Length").toInt(), body.size());
        QCOMPARE(headerOf(*response, "Content-Type"), QByteArray("text/javascript; charset=utf-8"));
        QCOMPARE(headerOf(*response, "ETag"), BrowserAssets::etagOf(body));
        QCOMPARE(headerOf(*response, "Cache-Control"), QByteArray("no-cache"));
        QCOMPARE(headerOf(*response, "X-Content-Type-Options"), QByteArray("nosniff"));
        break;
    case 304:
        QVERIFY(bodyOf(*response).isEmpty());
        QCOMPARE(headerOf(*response, "ETag"), BrowserAssets::etagOf(kWorker));
        QCOMPARE(headerOf(*response, "Cache-Control"), QByteArray("no-cache"));
        QVERIFY(headerOf(*response, "Content-Type").isEmpty());
        break;
    case 405:
        QCOMPARE(headerOf(*response, "Allow"), QByteArray("GET, HEAD"));
        break;
    default:
        QVERIFY(bodyOf(*response).startsWith("{\"error\":"));
    }
}

void TestBrowserAssets::headHasTheGetHeadersAndNoBody()
{
    const BrowserAssets assets = sample();
    const QByteArray get = *assets.respond(request("GET", u"/-/forgewire/client.js"_s));
    const QByteArray head = *assets.respond(request("HEAD", u"/-/forgewire/client.js"_s));
    QCOMPARE(statusOf(head), 200);
    QVERIFY(bodyOf(head).isEmpty());
    QCOMPARE(head, get.left(get.size() - kClient.size()));
    QCOMPARE(headerOf(head, "Content-Length").toInt(), kClient.size());
}

void TestBrowserAssets::etagFollowsContent()
{
    QCOMPARE(BrowserAssets::etagOf("a"), BrowserAssets::etagOf("a"));
    QVERIFY(BrowserAssets::etagOf("a") != BrowserAssets::etagOf("b"));
    const QByteArray etag = BrowserAssets::etagOf("a");
    QVERIFY(etag.startsWith('"') && etag.endsWith('"') && etag.size() == 34);
}

void TestBrowserAssets::embeddedFiles_data()
{
    QTest::addColumn<bool>("demoPage");
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("contains");
    const QByteArray js = "text/javascript; charset=utf-8";
    QTest::newRow("worker") << false << u"/-/forgewire/sharedworker.js"_s << 200 << js
                            << QByteArray("SharedWorkerGlobalScope");
    QTest::newRow("client") << false << u"/-/forgewire/client.js"_s << 200 << js
                            << QByteArray("export function connect(");
    QTest::newRow("demo off") << false << u"/-/forgewire/demo"_s << 404 << QByteArray("application/json")
                              << QByteArray("no such file");
    QTest::newRow("demo on") << true << u"/-/forgewire/demo"_s << 200
                             << QByteArray("text/html; charset=utf-8")
                             << QByteArray("import {connect} from './client.js'");
}

void TestBrowserAssets::embeddedFiles()
{
    QFETCH(bool, demoPage);
    QFETCH(QString, path);
    QFETCH(int, status);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, contains);
    const std::optional<QByteArray> response =
        BrowserAssets::fromResources({}, demoPage).respond(request("GET", path));
    QVERIFY(response);
    QCOMPARE(statusOf(*response), status);
    QCOMPARE(headerOf(*response, "Content-Type"), contentType);
    QVERIFY(bodyOf(*response).contains(contains));
}

void TestBrowserAssets::normalize_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("plain") << u"https://git.example.org"_s << u"https://git.example.org"_s;
    QTest::newRow("trailing slash") << u"https://git.example.org/"_s << u"https://git.example.org"_s;
    QTest::newRow("case") << u"HTTPS://Git.Example.ORG"_s << u"https://git.example.org"_s;
    QTest::newRow("default https port") << u"https://git.example.org:443"_s << u"https://git.example.org"_s;
    QTest::newRow("default http port") << u"http://git.example.org:80"_s << u"http://git.example.org"_s;
    QTest::newRow("other port") << u"http://127.0.0.1:3000"_s << u"http://127.0.0.1:3000"_s;
    QTest::newRow("ipv6") << u"http://[::1]:3000"_s << u"http://[::1]:3000"_s;
    QTest::newRow("no scheme") << u"git.example.org"_s << QString();
    QTest::newRow("path") << u"https://git.example.org/gitea"_s << QString();
    QTest::newRow("query") << u"https://git.example.org?x"_s << QString();
    QTest::newRow("user info") << u"https://a@git.example.org"_s << QString();
    QTest::newRow("opaque") << u"null"_s << QString();
    QTest::newRow("other scheme") << u"file://x"_s << QString();
    QTest::newRow("empty") << QString() << QString();
}

void TestBrowserAssets::normalize()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    QCOMPARE(origin::normalize(text), expected);
}

void TestBrowserAssets::originAllowed_data()
{
    QTest::addColumn<QStringList>("allowed");
    QTest::addColumn<QList<QByteArray>>("origins"); // one Origin header each
    QTest::addColumn<bool>("expected");
    const QStringList forge{u"https://git.example.org"_s, u"http://127.0.0.1:3000"_s};
    QTest::newRow("check off") << QStringList() << QList<QByteArray>{"https://evil.example"} << true;
    QTest::newRow("no Origin (native client)") << forge << QList<QByteArray>{} << true;
    QTest::newRow("listed") << forge << QList<QByteArray>{"https://git.example.org"} << true;
    QTest::newRow("listed, other case") << forge << QList<QByteArray>{"https://GIT.example.org"} << true;
    QTest::newRow("listed with port") << forge << QList<QByteArray>{"http://127.0.0.1:3000"} << true;
    QTest::newRow("other port") << forge << QList<QByteArray>{"http://127.0.0.1:3001"} << false;
    QTest::newRow("other scheme") << forge << QList<QByteArray>{"http://git.example.org"} << false;
    QTest::newRow("other host") << forge << QList<QByteArray>{"https://evil.example"} << false;
    QTest::newRow("suffix trick") << forge << QList<QByteArray>{"https://git.example.org.evil.example"}
                                  << false;
    QTest::newRow("opaque null") << forge << QList<QByteArray>{"null"} << false;
    QTest::newRow("empty value") << forge << QList<QByteArray>{""} << false;
    QTest::newRow("two headers") << forge
                                 << QList<QByteArray>{"https://evil.example", "https://git.example.org"}
                                 << false;
}

void TestBrowserAssets::originAllowed()
{
    QFETCH(QStringList, allowed);
    QFETCH(QList<QByteArray>, origins);
    QFETCH(bool, expected);
    QList<std::pair<QByteArray, QByteArray>> headers{{"host", "x"}};
    for (const QByteArray& value : origins)
        headers.append({"origin", value});
    QCOMPARE(origin::isAllowed(allowed, request("GET", u"/-/ws"_s, headers)), expected);
}

QTEST_GUILESS_MAIN(TestBrowserAssets)
#include "tst_browserassets.moc"
