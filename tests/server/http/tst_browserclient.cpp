// The browser client end to end: Debian's Chromium, headless, loads the demo page from a real
// forgewire-server and talks to it through client.js and the SharedWorker. The browser is driven by
// tests/browser/browserclient.mjs (playwright-core, installed by scripts/install-deps.sh with npm ci),
// which this test runs once; each of its scenarios is one test function here.

#include <QDir>
#include <QHash>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTest>

using namespace Qt::StringLiterals;

class TestBrowserClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    // Two tabs share one WebSocket (the connection gauge shows 1), a published count and stopwatches
    // reach both, a late tab gets the retained count from the worker, closing one tab keeps the other
    // working, closing both closes the socket (gauge back to 0). Saves artifacts/demo.png.
    void sharedConnection() { check(u"sharedConnection"_s); }
    // A board snapshot renders in the demo, card.moved moves the card, a late tab gets the model.
    void boardEvent() { check(u"boardEvent"_s); }
    // Two server restarts: reconnect delays 50, 100, 200 ms ..., reset after hello; state comes back.
    void serverRestart() { check(u"serverRestart"_s); }
    // Two tabs on one topic hold one server subscription until both leave it; a tab whose renderer
    // crashes (no pagehide) is released by the worker's liveness check.
    void tabsCountedAndDeadTabReleased() { check(u"tabsCountedAndDeadTabReleased"_s); }
    // A logout of the tabs' session: every tab gets `logout` `here`, then 4001 stops them all.
    void logoutReachesEveryTab() { check(u"logoutReachesEveryTab"_s); }
    // A refused token: one 4001, no further connection attempt.
    void badTokenStops() { check(u"badTokenStops"_s); }
    // allowed_origins: a foreign page's upgrades get 403 and no connection is made.
    void foreignOriginRefused() { check(u"foreignOriginRefused"_s); }
    // A released Gitea/Forgejo page's SharedWorker on /user/events (EventSource), behind a same-origin
    // proxy: one stream for two tabs, count, stopwatches and logout in both, and no retry after the
    // 401 that follows the logout. Saves artifacts/forge-page-sse.png.
    void releasedForgePageEventStream() { check(u"releasedForgePageEventStream"_s); }
    // The same page with no token anywhere: signed in by the forge session cookie a stand-in Gitea
    // (>= 1.17, on the page's origin) set; count, stopwatches and the forge's sign-out reach both
    // tabs. Saves artifacts/forge-page-cookie.png.
    void forgeSessionCookiePage() { check(u"forgeSessionCookiePage"_s); }
    void newestForgePageWebSocket() { check(u"newestForgePageWebSocket"_s); }

private:
    void check(const QString& scenario);

    struct Result
    {
        QString verdict;
        QString detail;
    };
    QHash<QString, Result> m_results;
    QString m_setupError;
};

void TestBrowserClient::initTestCase()
{
    const QString script = qEnvironmentVariable("FORGEWIRE_BROWSER_SCRIPT");
    const QString node = QStandardPaths::findExecutable(u"node"_s);
    const QString chromium = qEnvironmentVariable("CHROMIUM", u"/usr/bin/chromium"_s);
    const QString modules = QFileInfo(script).dir().filePath(u"node_modules/playwright-core"_s);
    if (node.isEmpty() || !QFileInfo::exists(chromium) || !QFileInfo::exists(modules)) {
        m_setupError =
            u"needs node, %1 and %2: run scripts/install-deps.sh (apt chromium nodejs, npm ci)"_s.arg(
                chromium, modules);
        return;
    }
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(node, {script});
    if (!process.waitForStarted() || !process.waitForFinished(240'000)) {
        process.kill();
        m_setupError = u"browserclient.mjs did not finish: "_s + QString::fromUtf8(process.readAll());
        return;
    }
    const QString output = QString::fromUtf8(process.readAll());
    static const QRegularExpression line(u"^RESULT (\\S+) (PASS|FAIL|SKIP) ?(.*)$"_s,
                                         QRegularExpression::MultilineOption);
    for (auto it = line.globalMatch(output); it.hasNext();) {
        const QRegularExpressionMatch match = it.next();
        m_results.insert(match.captured(1), {match.captured(2), match.captured(3)});
    }
    for (const QString& text : output.split(u'\n')) {
        if (text.startsWith(u'#'))
            qInfo().noquote() << text;
    }
    if (m_results.isEmpty())
        m_setupError =
            u"browserclient.mjs reported nothing (exit %1): %2"_s.arg(process.exitCode()).arg(output);
}

void TestBrowserClient::check(const QString& scenario)
{
    if (!m_setupError.isEmpty())
        QFAIL(qPrintable(m_setupError));
    QVERIFY2(m_results.contains(scenario), "browserclient.mjs did not run this scenario");
    const Result result = m_results.value(scenario);
    if (result.verdict == "SKIP"_L1)
        QSKIP(qPrintable(result.detail));
    QVERIFY2(result.verdict == "PASS"_L1, qPrintable(result.detail));
    qInfo().noquote() << scenario << result.detail;
}

QTEST_GUILESS_MAIN(TestBrowserClient)
#include "tst_browserclient.moc"
