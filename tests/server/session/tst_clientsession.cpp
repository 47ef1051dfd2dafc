// ClientSession: who may read what (board ACLs, token topic grants) and the client message rate
// limit (a token bucket of kClientMessageBurst refilled at kClientMessagesPerSecond).

#include "config/ServerLimits.h"
#include "session/ClientSession.h"

#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestClientSession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tokenGrants();
    void mayRead();
    void rateLimitBurstAndRefill();
    void busyWhileAuthenticatingOrResolving();
    void heldPublicationsAreBounded();
};

namespace {

Identity user(qint64 id, const QStringList& extraTopics = {})
{
    Identity who;
    who.userId = id;
    who.login = u"u%1"_s.arg(id);
    who.extraTopics = extraTopics;
    return who;
}

} // namespace

void TestClientSession::tokenGrants()
{
    ClientSession session(nullptr, 1, u"s"_s, 0);
    QVERIFY(!session.tokenGrants(u"project-board.1"_s));
    session.setIdentity(user(7, {u"project-board.1"_s, u"public.team.*"_s}));
    QVERIFY(session.tokenGrants(u"project-board.1"_s));
    QVERIFY(!session.tokenGrants(u"project-board.2"_s));
    QVERIFY(session.tokenGrants(u"public.team.a"_s));
    QVERIFY(!session.tokenGrants(u"public.teams"_s));
}

void TestClientSession::mayRead()
{
    ClientSession session(nullptr, 1, u"s"_s, 0);
    const std::optional<ProjectAccess> noAcl;
    const std::optional<ProjectAccess> only7 = ProjectAccess{false, {7}};
    // Anonymous: anything without an ACL, no board.
    QVERIFY(session.mayRead(u"public.news"_s, noAcl));
    QVERIFY(!session.mayRead(u"project-board.1"_s, only7));

    session.setIdentity(user(7));
    QVERIFY(session.mayRead(u"project-board.1"_s, only7));
    session.setIdentity(user(8));
    QVERIFY(!session.mayRead(u"project-board.1"_s, only7));
    QVERIFY(!session.mayRead(u"project-board.1"_s, ProjectAccess{}));
    // A token grant reads a board whatever its ACL.
    session.setIdentity(user(8, {u"project-board.1"_s}));
    QVERIFY(session.mayRead(u"project-board.1"_s, only7));
    QVERIFY(!session.mayRead(u"project-board.2"_s, only7));
}

void TestClientSession::rateLimitBurstAndRefill()
{
    ClientSession session(nullptr, 1, u"s"_s, 1000);
    for (int i = 0; i < limits::kClientMessageBurst; ++i)
        QVERIFY2(session.takeMessageToken(1000), qPrintable(QString::number(i)));
    QVERIFY(!session.takeMessageToken(1000));
    // One token comes back every 1000 / kClientMessagesPerSecond ms.
    const qint64 perToken = 1000 / limits::kClientMessagesPerSecond;
    QVERIFY(!session.takeMessageToken(1000 + perToken / 2));
    QVERIFY(session.takeMessageToken(1000 + perToken + 1));
    QVERIFY(!session.takeMessageToken(1000 + perToken + 1));
    // A long silence refills the bucket to the burst, no further.
    const qint64 later = 1000 + 3600 * 1000;
    for (int i = 0; i < limits::kClientMessageBurst; ++i)
        QVERIFY(session.takeMessageToken(later));
    QVERIFY(!session.takeMessageToken(later));
}

void TestClientSession::busyWhileAuthenticatingOrResolving()
{
    ClientSession session(nullptr, 1, u"s"_s, 0);
    QCOMPARE(session.state(), ClientSession::State::Authenticating);
    QVERIFY(session.isBusy());
    session.setState(ClientSession::State::Ready);
    QVERIFY(!session.isBusy());
    session.setPendingTopic(u"project-board.1"_s);
    QVERIFY(session.isBusy());
    session.setPendingTopic({});
    QVERIFY(!session.isBusy());
}

void TestClientSession::heldPublicationsAreBounded()
{
    // Publications arriving during a topic lookup are held, and counted as they arrive against the
    // bound the Worker gives (the send-queue cap): one over it is refused and nothing more is held.
    ClientSession session(nullptr, 1, u"s"_s, 0);
    const QByteArray frame(400, 'x');
    QVERIFY(session.hold({{}, frame, std::nullopt}, 1000));
    QVERIFY(session.hold({{}, frame, std::nullopt}, 1000));
    QCOMPARE(session.heldBytes(), 800);
    QVERIFY(!session.hold({{}, frame, std::nullopt}, 1000));
    QCOMPARE(session.heldBytes(), 800);
    QCOMPARE(session.takeHeld().size(), 2);
    QCOMPARE(session.heldBytes(), 0);
    QVERIFY(session.takeHeld().isEmpty());
    QVERIFY(session.hold({{}, frame, std::nullopt}, 1000));
}

QTEST_GUILESS_MAIN(TestClientSession)
#include "tst_clientsession.moc"
