// One tray per session: the second start asks the first to show itself and gives up.

#include "platform/SingleInstance.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestSingleInstance : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void secondStartActivatesTheFirst();
    void lockIsFreedWithTheInstance();
};

void TestSingleInstance::secondStartActivatesTheFirst()
{
    QTemporaryDir dir;
    SingleInstance first(u"fw-test"_s, dir.path());
    QVERIFY(first.acquire());
    QVERIFY(first.isPrimary());
    QSignalSpy activations(&first, &SingleInstance::activationRequested);

    SingleInstance second(u"fw-test"_s, dir.path());
    QVERIFY(!second.acquire());
    QVERIFY(!second.isPrimary());
    QTRY_COMPARE(activations.size(), 1);

    // Another name is another application.
    SingleInstance other(u"fw-other"_s, dir.path());
    QVERIFY(other.acquire());
}

void TestSingleInstance::lockIsFreedWithTheInstance()
{
    QTemporaryDir dir;
    {
        SingleInstance first(u"fw-test"_s, dir.path());
        QVERIFY(first.acquire());
    }
    SingleInstance next(u"fw-test"_s, dir.path());
    QVERIFY(next.acquire());
}

QTEST_GUILESS_MAIN(TestSingleInstance)
#include "tst_singleinstance.moc"
