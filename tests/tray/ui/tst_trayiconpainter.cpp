// The tray icon: a look per connection state, and the count painted on as a badge.

#include "ui/TrayIconPainter.h"

#include <QGuiApplication>
#include <QTest>

using namespace forgewire;
using namespace Qt::StringLiterals;
using Look = TrayIconPainter::Look;
using Status = TrayState::Status;

Q_DECLARE_METATYPE(forgewire::TrayState::Status)
Q_DECLARE_METATYPE(forgewire::TrayIconPainter::Look)

namespace {

bool isBadgeColour(QRgb pixel)
{
    const QColor c = QColor::fromRgba(pixel);
    const QColor badge = TrayIconPainter::kBadgeColor;
    return c.alpha() > 200 && std::abs(c.red() - badge.red()) < 24 &&
           std::abs(c.green() - badge.green()) < 24 && std::abs(c.blue() - badge.blue()) < 24;
}

int badgePixels(const QImage& image)
{
    int count = 0;
    for (int y = 0; y < image.height(); ++y) {
        for (int x = 0; x < image.width(); ++x)
            count += isBadgeColour(image.pixel(x, y));
    }
    return count;
}

int whitePixelsIn(const QImage& image, const QRect& rect)
{
    int count = 0;
    for (int y = rect.top(); y <= rect.bottom(); ++y) {
        for (int x = rect.left(); x <= rect.right(); ++x)
            count += QColor::fromRgba(image.pixel(x, y)).lightness() > 200;
    }
    return count;
}

} // namespace

class TestTrayIconPainter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void lookFor_data();
    void lookFor();
    void everyLookRenders();
    void looksDiffer();
    void noBadgeWithoutCount();
    void badgeSitsTopRightWithText_data();
    void badgeSitsTopRightWithText();
    void widerBadgeForMoreDigits();
    void iconHasEverySize();
};

void TestTrayIconPainter::lookFor_data()
{
    QTest::addColumn<Status>("status");
    QTest::addColumn<Look>("look");
    QTest::newRow("connected") << Status::Connected << Look::Connected;
    QTest::newRow("connecting") << Status::Connecting << Look::Reconnecting;
    QTest::newRow("reconnecting") << Status::Reconnecting << Look::Reconnecting;
    QTest::newRow("offline") << Status::Offline << Look::Disconnected;
    QTest::newRow("unauthorized") << Status::Unauthorized << Look::Disconnected;
    QTest::newRow("signed out") << Status::SignedOut << Look::Disconnected;
}

void TestTrayIconPainter::lookFor()
{
    QFETCH(Status, status);
    QFETCH(Look, look);
    QCOMPARE(TrayIconPainter::lookFor(status), look);
}

void TestTrayIconPainter::everyLookRenders()
{
    for (Look look : {Look::Connected, Look::Reconnecting, Look::Disconnected}) {
        const QImage image = TrayIconPainter::render(look, {}, 64);
        // The tile covers the middle of the icon; an unreadable SVG would leave it transparent.
        QVERIFY2(QColor::fromRgba(image.pixel(10, 32)).alpha() == 255,
                 qPrintable(TrayIconPainter::svgPath(look)));
    }
}

void TestTrayIconPainter::looksDiffer()
{
    const QImage connected = TrayIconPainter::render(Look::Connected, {}, 64);
    const QImage reconnecting = TrayIconPainter::render(Look::Reconnecting, {}, 64);
    const QImage disconnected = TrayIconPainter::render(Look::Disconnected, {}, 64);
    QVERIFY(connected != reconnecting);
    QVERIFY(connected != disconnected);
    QVERIFY(reconnecting != disconnected);
    // Grey means disconnected: no saturated colour at the tile's edge.
    QVERIFY(QColor::fromRgba(disconnected.pixel(10, 32)).hsvSaturation() < 60);
    QVERIFY(QColor::fromRgba(connected.pixel(10, 32)).hsvSaturation() > 120);
}

void TestTrayIconPainter::noBadgeWithoutCount()
{
    QCOMPARE(badgePixels(TrayIconPainter::render(Look::Connected, {}, 64)), 0);
    QVERIFY(TrayIconPainter::badgeRect({}, 64).isEmpty());
}

void TestTrayIconPainter::badgeSitsTopRightWithText_data()
{
    QTest::addColumn<QString>("badge");
    QTest::addColumn<int>("size");
    QTest::newRow("1 @22") << u"1"_s << 22;
    QTest::newRow("7 @64") << u"7"_s << 64;
    QTest::newRow("42 @32") << u"42"_s << 32;
    QTest::newRow("99+ @64") << u"99+"_s << 64;
}

void TestTrayIconPainter::badgeSitsTopRightWithText()
{
    QFETCH(QString, badge);
    QFETCH(int, size);
    for (Look look : {Look::Connected, Look::Reconnecting, Look::Disconnected}) {
        const QImage image = TrayIconPainter::render(look, badge, size);
        const QRect rect = TrayIconPainter::badgeRect(badge, size).toAlignedRect();
        QVERIFY(QRect(0, 0, size, size).contains(rect));
        QCOMPARE(rect.right(), size - 1);
        QCOMPARE(rect.top(), 0);
        // Red pill, white text inside it, nothing red outside it.
        const int inside = badgePixels(image.copy(rect));
        QVERIFY2(inside > rect.width() * rect.height() / 3, qPrintable(QString::number(inside)));
        QCOMPARE(badgePixels(image) - inside, 0);
        QVERIFY(whitePixelsIn(image, rect.adjusted(2, 2, -2, -2)) > 0);
    }
}

void TestTrayIconPainter::widerBadgeForMoreDigits()
{
    const qreal one = TrayIconPainter::badgeRect(u"7"_s, 64).width();
    const qreal two = TrayIconPainter::badgeRect(u"42"_s, 64).width();
    const qreal capped = TrayIconPainter::badgeRect(u"99+"_s, 64).width();
    QVERIFY(one <= two);
    QVERIFY(two < capped);
    QVERIFY(capped <= 64);
}

void TestTrayIconPainter::iconHasEverySize()
{
    const QIcon icon = TrayIconPainter::icon(Look::Connected, u"3"_s);
    for (int size : TrayIconPainter::kIconSizes)
        QVERIFY2(icon.availableSizes().contains(QSize(size, size)), qPrintable(QString::number(size)));
}

QTEST_MAIN(TestTrayIconPainter)
#include "tst_trayiconpainter.moc"
