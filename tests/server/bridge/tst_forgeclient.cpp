#include "bridge/ForgeClient.h"

#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestForgeClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parseRetryAfter_data();
    void parseRetryAfter();
};

void TestForgeClient::parseRetryAfter_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<int>("ms");
    QTest::newRow("seconds") << QByteArray("120") << 120'000;
    QTest::newRow("seconds, spaces") << QByteArray(" 3 ") << 3'000;
    // RFC 9110 HTTP-date: always "GMT", which Qt's RFC 2822 parser does not take as a zone.
    QTest::newRow("http date") << QByteArray("Mon, 23 Nov 2026 10:00:30 GMT") << 30'000;
    QTest::newRow("numeric zone") << QByteArray("Mon, 23 Nov 2026 11:01:00 +0100") << 60'000;
    QTest::newRow("date in the past") << QByteArray("Mon, 23 Nov 2026 09:00:00 GMT") << 0;
    QTest::newRow("negative") << QByteArray("-5") << -1;
    QTest::newRow("garbage") << QByteArray("soon") << -1;
    QTest::newRow("empty") << QByteArray() << -1;
}

void TestForgeClient::parseRetryAfter()
{
    QFETCH(QByteArray, value);
    QFETCH(int, ms);
    const QDateTime now(QDate(2026, 11, 23), QTime(10, 0, 0), Qt::UTC);
    QCOMPARE(ForgeClient::parseRetryAfterMs(value, now), ms);
}

QTEST_GUILESS_MAIN(TestForgeClient)
#include "tst_forgeclient.moc"
