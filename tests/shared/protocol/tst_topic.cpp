// Topic names of PROTOCOL.md and token topic patterns.

#include "protocol/Topic.h"

#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestTopic : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void builders();
    void matchesPattern_data();
    void matchesPattern();
};

void TestTopic::parse_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("kind");
    QTest::addColumn<qint64>("id");
    const int user = int(Topic::Kind::User), board = int(Topic::Kind::ProjectBoard),
              pub = int(Topic::Kind::Public), invalid = int(Topic::Kind::Invalid);
    QTest::newRow("user") << u"user-7"_s << user << qint64(7);
    QTest::newRow("user big") << u"user-123456789012"_s << user << qint64(123456789012);
    QTest::newRow("user zero") << u"user-0"_s << invalid << qint64(0);
    QTest::newRow("user leading zero") << u"user-007"_s << invalid << qint64(0);
    QTest::newRow("user negative") << u"user--1"_s << invalid << qint64(0);
    QTest::newRow("user plus") << u"user-+1"_s << invalid << qint64(0);
    QTest::newRow("user letters") << u"user-abc"_s << invalid << qint64(0);
    QTest::newRow("user empty") << u"user-"_s << invalid << qint64(0);
    QTest::newRow("user too long id") << u"user-1234567890123456789"_s << invalid << qint64(0);
    QTest::newRow("board") << u"project-board.42"_s << board << qint64(42);
    QTest::newRow("board zero") << u"project-board.0"_s << invalid << qint64(0);
    // The server's membership of every board (event streams) is no topic a client can name.
    QTest::newRow("every board") << Topic::everyBoard() << invalid << qint64(0);
    const int session = int(Topic::Kind::ForgeSession);
    QTest::newRow("forge session") << Topic::forgeSession(QByteArray(64, 'a')) << session << qint64(0);
    QTest::newRow("forge session short") << Topic::forgeSession(QByteArray(63, 'a')) << invalid << qint64(0);
    QTest::newRow("forge session upper case")
        << Topic::forgeSession(QByteArray(64, 'A')) << invalid << qint64(0);
    QTest::newRow("forge session not hex")
        << Topic::forgeSession(QByteArray(64, 'g')) << invalid << qint64(0);
    QTest::newRow("board leading zero") << u"project-board.042"_s << invalid << qint64(0);
    QTest::newRow("board letters") << u"project-board.x"_s << invalid << qint64(0);
    QTest::newRow("board empty") << u"project-board."_s << invalid << qint64(0);
    QTest::newRow("board dash") << u"project-board-42"_s << invalid << qint64(0);
    QTest::newRow("public") << u"public.x"_s << pub << qint64(0);
    QTest::newRow("public dotted") << u"public.releases.v1_2-rc"_s << pub << qint64(0);
    QTest::newRow("public empty") << u"public."_s << invalid << qint64(0);
    QTest::newRow("public double dot") << u"public..x"_s << invalid << qint64(0);
    QTest::newRow("public trailing dot") << u"public.x."_s << invalid << qint64(0);
    QTest::newRow("public space") << u"public.a b"_s << invalid << qint64(0);
    QTest::newRow("public unicode") << u"public.café"_s << invalid << qint64(0);
    QTest::newRow("public star") << u"public.*"_s << invalid << qint64(0);
    QTest::newRow("too long") << (u"public."_s + QString(Topic::kMaxLength, u'a')) << invalid << qint64(0);
    QTest::newRow("at max length") << (u"public."_s + QString(Topic::kMaxLength - 7, u'a')) << pub
                                   << qint64(0);
    QTest::newRow("empty") << QString() << invalid << qint64(0);
    QTest::newRow("user uppercase") << u"User-7"_s << invalid << qint64(0);
    QTest::newRow("user trailing space") << u"user-7 "_s << invalid << qint64(0);
    QTest::newRow("user leading space") << u" user-7"_s << invalid << qint64(0);
    QTest::newRow("public prefix only") << u"public"_s << invalid << qint64(0);
    QTest::newRow("other") << u"private.x"_s << invalid << qint64(0);
}

void TestTopic::parse()
{
    QFETCH(QString, name);
    QFETCH(int, kind);
    QFETCH(qint64, id);
    const Topic topic = Topic::parse(name);
    QCOMPARE(int(topic.kind()), kind);
    QCOMPARE(topic.isValid(), kind != int(Topic::Kind::Invalid));
    QCOMPARE(topic.id(), id);
    QCOMPARE(topic.name(), topic.isValid() ? name : QString());
}

void TestTopic::builders()
{
    QCOMPARE(Topic::user(7), u"user-7"_s);
    QCOMPARE(Topic::projectBoard(42), u"project-board.42"_s);
    QCOMPARE(Topic::parse(Topic::user(99)).id(), 99);
    QCOMPARE(Topic::parse(Topic::projectBoard(42)).kind(), Topic::Kind::ProjectBoard);
    QCOMPARE(Topic::kindName(Topic::Kind::User), u"user"_s);
    QCOMPARE(Topic::kindName(Topic::Kind::ProjectBoard), u"project_board"_s);
    QCOMPARE(Topic::kindName(Topic::Kind::Public), u"public"_s);
    QCOMPARE(Topic::kindName(Topic::Kind::Invalid), u"invalid"_s);
}

void TestTopic::matchesPattern_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("topic");
    QTest::addColumn<bool>("matches");
    QTest::newRow("exact") << u"project-board.5"_s << u"project-board.5"_s << true;
    QTest::newRow("exact other") << u"project-board.5"_s << u"project-board.50"_s << false;
    QTest::newRow("prefix") << u"project-board.*"_s << u"project-board.77"_s << true;
    QTest::newRow("prefix not user") << u"project-board.*"_s << u"user-7"_s << false;
    QTest::newRow("prefix needs a rest") << u"public.*"_s << u"public."_s << false;
    QTest::newRow("nested prefix") << u"public.team.*"_s << u"public.team.a"_s << true;
    QTest::newRow("nested prefix sibling") << u"public.team.*"_s << u"public.teams"_s << false;
    QTest::newRow("no dot no wildcard") << u"user-*"_s << u"user-7"_s << false;
    QTest::newRow("dotted user pattern") << u"user.*"_s << u"user-7"_s << false;
    QTest::newRow("public prefix") << u"public.*"_s << u"public.x"_s << true;
    QTest::newRow("public prefix nested topic") << u"public.*"_s << u"public.a.b"_s << true;
    QTest::newRow("no dot wildcard project") << u"project-board*"_s << u"project-board.1"_s << false;
    QTest::newRow("empty pattern") << QString() << u"user-7"_s << false;
    QTest::newRow("star alone") << u"*"_s << u"user-7"_s << false;
}

void TestTopic::matchesPattern()
{
    QFETCH(QString, pattern);
    QFETCH(QString, topic);
    QFETCH(bool, matches);
    QCOMPARE(Topic::matchesPattern(pattern, topic), matches);
}

QTEST_APPLESS_MAIN(TestTopic)
#include "tst_topic.moc"
