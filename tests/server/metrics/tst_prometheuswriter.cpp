#include "metrics/Metrics.h"
#include "metrics/PrometheusWriter.h"

#include <QTest>

using namespace forgewire;
using Type = PrometheusWriter::Type;

// The one writer of /metrics text: the exposition format (version 0.0.4) byte for byte, and the
// Metrics sources that feed it.
class TestPrometheusWriter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void counterAndGauge();
    void secondsFromMilliseconds();
    void labelledSamples();
    void labelValuesAreEscaped_data();
    void labelValuesAreEscaped();
    void helpIsEscaped();
    void oneHelpAndTypePerFamily();
    void everySourceIsKept();
};

void TestPrometheusWriter::counterAndGauge()
{
    PrometheusWriter out;
    out.counter("fw_requests_total", "Requests.", 3);
    out.gauge("fw_open", "Open ones.", -1);
    QCOMPARE(out.text(), QByteArray("# HELP fw_requests_total Requests.\n"
                                    "# TYPE fw_requests_total counter\n"
                                    "fw_requests_total 3\n"
                                    "# HELP fw_open Open ones.\n"
                                    "# TYPE fw_open gauge\n"
                                    "fw_open -1\n"));
}

void TestPrometheusWriter::secondsFromMilliseconds()
{
    PrometheusWriter out;
    out.counterSeconds("fw_down_seconds_total", "Down.", 2312);
    out.gaugeSeconds("fw_last_seconds", "Last.", 5);
    out.gaugeSeconds("fw_none_seconds", "None.", -1);
    out.gaugeSeconds("fw_whole_seconds", "Whole.", 61000);
    QCOMPARE(out.text(), QByteArray("# HELP fw_down_seconds_total Down.\n"
                                    "# TYPE fw_down_seconds_total counter\n"
                                    "fw_down_seconds_total 2.312\n"
                                    "# HELP fw_last_seconds Last.\n"
                                    "# TYPE fw_last_seconds gauge\n"
                                    "fw_last_seconds 0.005\n"
                                    "# HELP fw_none_seconds None.\n"
                                    "# TYPE fw_none_seconds gauge\n"
                                    "fw_none_seconds -0.001\n"
                                    "# HELP fw_whole_seconds Whole.\n"
                                    "# TYPE fw_whole_seconds gauge\n"
                                    "fw_whole_seconds 61.000\n"));
}

void TestPrometheusWriter::labelledSamples()
{
    PrometheusWriter out;
    out.family("fw_dropped_total", Type::Counter, "Dropped, per reason.");
    out.sample({{"reason", "slow"}}, 2);
    out.sample({{"reason", "forbidden"}, {"kind", "user"}}, 9223372036854775807LL);
    QCOMPARE(out.text(),
             QByteArray("# HELP fw_dropped_total Dropped, per reason.\n"
                        "# TYPE fw_dropped_total counter\n"
                        "fw_dropped_total{reason=\"slow\"} 2\n"
                        "fw_dropped_total{reason=\"forbidden\",kind=\"user\"} 9223372036854775807\n"));
}

void TestPrometheusWriter::labelValuesAreEscaped_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<QByteArray>("written");
    QTest::newRow("plain") << QByteArray("alice") << QByteArray("alice");
    QTest::newRow("backslash") << QByteArray("a\\b") << QByteArray("a\\\\b");
    QTest::newRow("quote") << QByteArray("say \"hi\"") << QByteArray("say \\\"hi\\\"");
    QTest::newRow("newline") << QByteArray("two\nlines") << QByteArray("two\\nlines");
    QTest::newRow("all three") << QByteArray("\\\"\n") << QByteArray("\\\\\\\"\\n");
    QTest::newRow("utf-8 stays") << QByteArray("gr\xc3\xbc\xc3\x9f") << QByteArray("gr\xc3\xbc\xc3\x9f");
}

void TestPrometheusWriter::labelValuesAreEscaped()
{
    QFETCH(QByteArray, value);
    QFETCH(QByteArray, written);
    PrometheusWriter out;
    out.family("fw_x", Type::Gauge, "X.");
    out.sample({{"v", value}}, 1);
    QCOMPARE(out.text(), "# HELP fw_x X.\n# TYPE fw_x gauge\nfw_x{v=\"" + written + "\"} 1\n");
    // One line per sample, whatever the value held.
    QCOMPARE(out.text().count('\n'), 3);
}

void TestPrometheusWriter::helpIsEscaped()
{
    PrometheusWriter out;
    // In HELP only backslash and newline are escaped; a quote stays as it is.
    out.gauge("fw_x", "a \"b\" c\\d\ne", 0);
    QCOMPARE(out.text(), QByteArray("# HELP fw_x a \"b\" c\\\\d\\ne\n# TYPE fw_x gauge\nfw_x 0\n"));
}

void TestPrometheusWriter::oneHelpAndTypePerFamily()
{
    PrometheusWriter out;
    out.family("fw_a_total", Type::Counter, "A.");
    out.sample({{"k", "1"}}, 1);
    out.gauge("fw_b", "B.", 5);
    // A second writer of fw_a_total (another source): no second HELP/TYPE, and its sample joins the
    // first group, since a scraper may refuse a family split in two.
    out.family("fw_a_total", Type::Counter, "A again.");
    out.sample({{"k", "2"}}, 2);
    out.counter("fw_b", "B again.", 6);
    QCOMPARE(out.text(), QByteArray("# HELP fw_a_total A.\n"
                                    "# TYPE fw_a_total counter\n"
                                    "fw_a_total{k=\"1\"} 1\n"
                                    "fw_a_total{k=\"2\"} 2\n"
                                    "# HELP fw_b B.\n"
                                    "# TYPE fw_b gauge\n"
                                    "fw_b 5\n"
                                    "fw_b 6\n"));
}

void TestPrometheusWriter::everySourceIsKept()
{
    Metrics metrics;
    metrics.addSource([](PrometheusWriter& out) { out.gauge("fw_engine", "Engine.", 1); });
    metrics.addSource([](PrometheusWriter& out) { out.gauge("fw_bridge", "Bridge.", 2); });
    const QByteArray text = metrics.render(true);
    // The second source is added to the first, not put in its place; both follow the server's own.
    QVERIFY(text.contains("\nforgewire_engine_ready 1\n# HELP fw_engine Engine.\n# TYPE fw_engine gauge\n"
                          "fw_engine 1\n# HELP fw_bridge Bridge.\n# TYPE fw_bridge gauge\nfw_bridge 2\n"));
    QVERIFY(text.startsWith(
        "# HELP forgewire_connections Open client connections (WebSocket and event streams).\n"
        "# TYPE forgewire_connections gauge\nforgewire_connections 0\n"));
}

QTEST_GUILESS_MAIN(TestPrometheusWriter)
#include "tst_prometheuswriter.moc"
