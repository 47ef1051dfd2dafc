// The menu's list of unread notifications against FakeForge (a Gitea on loopback): what is listed,
// where a click goes (the subject's html_url, or derived from the API URLs), marking one read, new
// ones arriving, and how refreshes fold together. Also Start stopwatch's two forge calls.

#include "FakeForge.h"
#include "TestSupport.h"
#include "model/NotificationList.h"

#include <QSignalSpy>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

constexpr qint64 kAlice = 42;
const QByteArray kToken = "0123456789abcdef0123456789abcdef01234567";

} // namespace

class TestNotificationList : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void webUrlFromApiUrl_data();
    void webUrlFromApiUrl();
    void subjectHtmlUrlWinsButOnlyOnTheForge();
    void listsTheLatestUnread();
    void clickMarksReadOnTheForge();
    void failedMarkReadPutsItBack();
    void newOnesArriveAfterTheFirstFetch();
    void refreshesFoldWhileOneIsOnItsWay();
    void withoutAForgeTokenNothingIsAsked();
    void assignedIssuesAndStartStopwatch();

private:
    std::unique_ptr<FakeForge> m_forge;
};

void TestNotificationList::init()
{
    m_forge = std::make_unique<FakeForge>();
    m_forge->addAccount(kAlice, u"alice"_s, kToken);
    QVERIFY(m_forge->start());
    m_forge->rememberPort();
}

void TestNotificationList::webUrlFromApiUrl_data()
{
    QTest::addColumn<QString>("api");
    QTest::addColumn<QString>("web");
    const QString f = u"https://forge.example/git"_s;
    QTest::newRow("issue") << f + u"/api/v1/repos/alice/proj/issues/7"_s << f + u"/alice/proj/issues/7"_s;
    QTest::newRow("pull") << f + u"/api/v1/repos/alice/proj/pulls/8"_s << f + u"/alice/proj/pulls/8"_s;
    QTest::newRow("commit") << f + u"/api/v1/repos/alice/proj/git/commits/abc123"_s
                            << f + u"/alice/proj/commit/abc123"_s;
    QTest::newRow("release") << f + u"/api/v1/repos/alice/proj/releases/3"_s << f + u"/alice/proj/releases"_s;
    QTest::newRow("repository") << f + u"/api/v1/repos/alice/proj"_s << f + u"/alice/proj"_s;
    QTest::newRow("another host") << u"https://evil.example/git/api/v1/repos/alice/proj/issues/7"_s
                                  << QString();
    QTest::newRow("not the API") << f + u"/alice/proj/issues/7"_s << QString();
}

void TestNotificationList::webUrlFromApiUrl()
{
    QFETCH(QString, api);
    QFETCH(QString, web);
    QCOMPARE(ForgeNotification::webUrlFor(QUrl(api), QUrl(u"https://forge.example/git/"_s)).toString(), web);
}

void TestNotificationList::subjectHtmlUrlWinsButOnlyOnTheForge()
{
    const QUrl forge(u"https://forge.example"_s);
    QJsonObject thread = m_forge->thread(5, u"Issue"_s, u"Crash"_s, 7);
    QJsonObject subject = thread.value("subject"_L1).toObject();
    subject.insert(u"url"_s, u"https://forge.example/api/v1/repos/alice/proj/issues/7"_s);
    subject.insert(u"html_url"_s, u"https://forge.example/alice/proj/issues/7#issuecomment-3"_s);
    thread.insert(u"subject"_s, subject);
    QCOMPARE(ForgeNotification::fromJson(thread, forge).htmlUrl,
             QUrl(u"https://forge.example/alice/proj/issues/7#issuecomment-3"_s));
    // An html_url elsewhere is not followed; the API URL still gives the issue.
    subject.insert(u"html_url"_s, u"https://evil.example/phish"_s);
    thread.insert(u"subject"_s, subject);
    QCOMPARE(ForgeNotification::fromJson(thread, forge).htmlUrl,
             QUrl(u"https://forge.example/alice/proj/issues/7"_s));
    // Not a thread at all.
    QCOMPARE(ForgeNotification::fromJson(QJsonObject{{u"id"_s, u"x"_s}}, forge).id, 0);
}

void TestNotificationList::listsTheLatestUnread()
{
    m_forge->addThread(kAlice, m_forge->thread(1, u"Issue"_s, u"Crash on start"_s, 7));
    m_forge->addThread(kAlice, m_forge->thread(2, u"Pull"_s, u"Fix the crash"_s, 8, u"bob/lib"_s));
    m_forge->addThread(kAlice, m_forge->thread(3, u"Commit"_s, u"Bump version"_s, 9));
    m_forge->addThread(kAlice, m_forge->thread(4, u"Release"_s, u"v1.0"_s, 10));
    NotificationList list;
    QSignalSpy changed(&list, &NotificationList::changed);
    list.configure(m_forge->url(), kToken);
    QVERIFY(list.isAvailable());
    list.refresh();
    QTRY_VERIFY(!list.isLoading() && list.entries().size() == 4);
    QCOMPARE(m_forge->hits.last().path, u"/api/v1/notifications"_s);

    const QList<ForgeNotification>& e = list.entries();
    // Newest first, as the forge lists them.
    QCOMPARE(e[0].id, 4);
    QCOMPARE(e[0].kind, ForgeNotification::Kind::Release);
    QCOMPARE(e[1].kind, ForgeNotification::Kind::Commit);
    QCOMPARE(e[1].htmlUrl, QUrl(m_forge->url().toString() + u"/alice/proj/commit/abc9"_s));
    QCOMPARE(e[2].kind, ForgeNotification::Kind::Pull);
    QCOMPARE(e[2].repo, u"bob/lib"_s);
    QCOMPARE(e[2].htmlUrl, QUrl(m_forge->url().toString() + u"/bob/lib/pulls/8"_s));
    QCOMPARE(e[3].title, u"Crash on start"_s);
    QCOMPARE(e[3].kind, ForgeNotification::Kind::Issue);
    QCOMPARE(e[3].htmlUrl, QUrl(m_forge->url().toString() + u"/alice/proj/issues/7"_s));

    // At most kMaxEntries are asked for.
    for (int i = 0; i < 12; ++i)
        m_forge->addThread(kAlice, m_forge->thread(100 + i, u"Issue"_s, u"More"_s, 100 + i));
    list.refresh();
    QTRY_COMPARE(list.entries().size(), NotificationList::kMaxEntries);
    QCOMPARE(list.entries().first().id, 111);
}

void TestNotificationList::clickMarksReadOnTheForge()
{
    m_forge->addThread(kAlice, m_forge->thread(1, u"Issue"_s, u"A"_s, 7));
    m_forge->addThread(kAlice, m_forge->thread(2, u"Issue"_s, u"B"_s, 8));
    NotificationList list;
    list.configure(m_forge->url(), kToken);
    list.refresh();
    QTRY_COMPARE(list.entries().size(), 2);
    QSignalSpy marked(&list, &NotificationList::markedRead);
    list.markRead(1);
    // Gone from the menu at once, not only when the forge answered.
    QCOMPARE(list.entries().size(), 1);
    QTRY_COMPARE(marked.size(), 1);
    QCOMPARE(m_forge->count("PATCH", u"/api/v1/notifications/threads/1"_s), 1);
    QCOMPARE(m_forge->accounts[kAlice].unread, 1);
    // An id that is not listed is not sent.
    list.markRead(99);
    QTest::qWait(100);
    QCOMPARE(m_forge->count("PATCH", u"/api/v1/notifications/threads/99"_s), 0);
}

void TestNotificationList::failedMarkReadPutsItBack()
{
    m_forge->addThread(kAlice, m_forge->thread(1, u"Issue"_s, u"A"_s, 7));
    NotificationList list;
    list.configure(m_forge->url(), kToken);
    list.refresh();
    QTRY_COMPARE(list.entries().size(), 1);
    m_forge->failStatus = 500;
    QSignalSpy failed(&list, &NotificationList::markReadFailed);
    list.markRead(1);
    QCOMPARE(list.entries().size(), 0);
    QTRY_COMPARE(failed.size(), 1);
    QCOMPARE(list.entries().size(), 1);
    QVERIFY(!failed.first().at(0).toString().isEmpty());
}

void TestNotificationList::newOnesArriveAfterTheFirstFetch()
{
    m_forge->addThread(kAlice, m_forge->thread(1, u"Issue"_s, u"Backlog"_s, 7));
    NotificationList list;
    QSignalSpy arrived(&list, &NotificationList::arrived);
    list.configure(m_forge->url(), kToken);
    list.refresh();
    QTRY_COMPARE(list.entries().size(), 1);
    // The backlog at start is no news.
    QCOMPARE(arrived.size(), 0);
    m_forge->addThread(kAlice, m_forge->thread(2, u"Pull"_s, u"Fresh"_s, 8));
    list.refresh();
    QTRY_COMPARE(arrived.size(), 1);
    const auto fresh = arrived.first().at(0).value<QList<ForgeNotification>>();
    QCOMPARE(fresh.size(), 1);
    QCOMPARE(fresh.first().title, u"Fresh"_s);
    // Seen once, never news again.
    list.refresh();
    QTRY_VERIFY(!list.isLoading());
    QTest::qWait(100);
    QCOMPARE(arrived.size(), 1);
}

void TestNotificationList::refreshesFoldWhileOneIsOnItsWay()
{
    NotificationList list;
    list.configure(m_forge->url(), kToken);
    for (int i = 0; i < 10; ++i)
        list.refresh();
    QTRY_VERIFY(!list.isLoading());
    QTest::qWait(100);
    QTRY_VERIFY(!list.isLoading());
    // One for the first call, one for all the others.
    QCOMPARE(m_forge->count(u"/api/v1/notifications"_s), 2);
}

void TestNotificationList::withoutAForgeTokenNothingIsAsked()
{
    NotificationList list;
    list.configure(m_forge->url(), makeToken(7, u"alice"_s)); // a Forgewire JWT means nothing to the forge
    QVERIFY(!list.isAvailable());
    list.refresh();
    list.configure(QUrl(), kToken);
    QVERIFY(!list.isAvailable());
    list.refresh();
    QTest::qWait(100);
    QVERIFY(m_forge->hits.isEmpty());
}

void TestNotificationList::assignedIssuesAndStartStopwatch()
{
    m_forge->accounts[kAlice].assigned = {FakeForge::issue(7, u"Fix X"_s),
                                          FakeForge::issue(3, u"Docs"_s, u"bob"_s, u"lib"_s)};
    ForgeActions actions(m_forge->url(), kToken);
    QList<ForgeIssue> issues;
    bool done = false;
    actions.assignedIssues(50, [&](const ForgeActionResult& result, const QList<ForgeIssue>& list) {
        QVERIFY(result.ok);
        issues = list;
        done = true;
    });
    QTRY_VERIFY(done);
    QCOMPARE(issues.size(), 2);
    QCOMPARE(issues[1].reference(), u"bob/lib#3"_s);
    QCOMPARE(issues[0].title, u"Fix X"_s);

    ForgeActionResult started;
    done = false;
    actions.startStopwatch(issues[0].owner, issues[0].repo, issues[0].index, [&](const ForgeActionResult& r) {
        started = r;
        done = true;
    });
    QTRY_VERIFY(done);
    QVERIFY2(started.ok, qPrintable(started.error));
    QCOMPARE(m_forge->count("POST", u"/api/v1/repos/alice/proj/issues/7/stopwatch/start"_s), 1);
    QCOMPARE(m_forge->accounts[kAlice].stopwatches.size(), 1);
    // A second start on the same issue: the forge's 409 and its words.
    done = false;
    actions.startStopwatch(u"alice"_s, u"proj"_s, 7, [&](const ForgeActionResult& r) {
        started = r;
        done = true;
    });
    QTRY_VERIFY(done);
    QVERIFY(!started.ok);
    QCOMPARE(started.httpStatus, 409);
    QVERIFY(started.error.contains(u"already exists"_s));
}

QTEST_GUILESS_MAIN(TestNotificationList)
#include "tst_notificationlist.moc"
