// Validation of publish API input into Publications (PublishRequest.h).

#include "admin/PublishRequest.h"
#include "config/ServerLimits.h"
#include "protocol/Protocol.h"

#include <QJsonDocument>
#include <QTest>

#include <limits>
#include <random>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestPublishRequest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void accepted_data();
    void accepted();
    void rejected_data();
    void rejected();
    void logoutNeverCarriesTheSession();
    void boardTopicFilledIn();
    void batchAllOrNothing();
    void applicationEvents_data();
    void applicationEvents();
    void countPayloadIsTheCanonicalEncoding_data();
    void countPayloadIsTheCanonicalEncoding();
    void countBatchMatchesTheDocument_data();
    void countBatchMatchesTheDocument();
    void countBatchMatchesTheDocumentWhenMutated();
};

namespace {

bool samePublications(const QList<Publication>& a, const QList<Publication>& b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i) {
        const Publication &x = a[i], &y = b[i];
        if (x.topic != y.topic || x.type != y.type || x.payload != y.payload || x.retain != y.retain ||
            x.logoutSession != y.logoutSession || x.endsTopic != y.endsTopic || x.seq != y.seq ||
            !(x.access == y.access))
            return false;
    }
    return true;
}

// fromEnvelopeBody() (which takes the count-batch shortcut when it can) and the full parse agree:
// the same error, or the same publications.
bool agreesWithTheDocument(const QByteArray& body)
{
    const publish::Result fast = publish::fromEnvelopeBody(body);
    const publish::Result full = publish::fromDocument(body);
    return fast.error == full.error && samePublications(fast.publications, full.publications);
}

} // namespace

void TestPublishRequest::accepted_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("type");
    QTest::addColumn<bool>("retain");
    // A user's state is retained whatever the flag says (PROTOCOL.md: the latest is kept).
    QTest::newRow("count, retain left out")
        << QByteArray(R"({"topic":"user-7","message":{"type":"notification-count","count":3}})")
        << u"notification-count"_s << true;
    QTest::newRow("stopwatches, retain false")
        << QByteArray(R"({"topic":"user-7","message":{"type":"stopwatches","data":[]},"retain":false})")
        << u"stopwatches"_s << true;
    QTest::newRow("public count not retained")
        << QByteArray(R"({"topic":"public.x","message":{"type":"notification-count","count":1}})")
        << u"notification-count"_s << false;
    QTest::newRow("count retained")
        << QByteArray(R"({"topic":"user-7","message":{"type":"notification-count","count":3},"retain":true})")
        << u"notification-count"_s << true;
    QTest::newRow("stopwatches empty")
        << QByteArray(R"({"topic":"user-7","message":{"type":"stopwatches","data":[]},"retain":true})")
        << u"stopwatches"_s << true;
    QTest::newRow("board")
        << QByteArray(
               R"({"topic":"project-board.4","message":{"type":"board","topic":"project-board.4","event":"project.deleted","data":{}}})")
        << u"board"_s << false;
    QTest::newRow("public board")
        << QByteArray(
               R"({"topic":"public.x","message":{"type":"board","event":"card.linked","data":{"issue_id":1,"column_id":2}}})")
        << u"board"_s << false;
    QTest::newRow("public count retained")
        << QByteArray(
               R"({"topic":"public.x","message":{"type":"notification-count","count":0},"retain":true})")
        << u"notification-count"_s << true;
}

void TestPublishRequest::accepted()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, type);
    QFETCH(bool, retain);
    const publish::Result r = publish::fromEnvelopeBody(body);
    QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
    QCOMPARE(r.publications.size(), 1);
    const Publication& p = r.publications.first();
    QCOMPARE(p.type, type);
    QCOMPARE(p.retain, retain);
    // The payload is the canonical encoding of a valid server message.
    const auto decoded = protocol::decodeServerMessage(p.payload);
    QVERIFY2(decoded, qPrintable(decoded.error));
    QCOMPARE(protocol::typeName(*decoded.value), type);
}

void TestPublishRequest::rejected_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("error");
    QTest::newRow("not json") << QByteArray("nope") << u"malformed JSON"_s;
    QTest::newRow("no topic") << QByteArray(R"({"message":{"type":"ping"}})")
                              << u"'topic' must be a string"_s;
    QTest::newRow("no message") << QByteArray(R"({"topic":"user-1"})") << u"'message' must be an object"_s;
    QTest::newRow("bad topic")
        << QByteArray(R"({"topic":"user-x","message":{"type":"notification-count","count":1}})")
        << u"unknown topic"_s;
    QTest::newRow("ping") << QByteArray(R"({"topic":"user-1","message":{"type":"ping"}})")
                          << u"cannot be published"_s;
    QTest::newRow("error")
        << QByteArray(R"({"topic":"user-1","message":{"type":"error","code":"forbidden","message":"x"}})")
        << u"cannot be published"_s;
    QTest::newRow("logout public") << QByteArray(
                                          R"({"topic":"public.a","message":{"type":"logout","data":"s"}})")
                                   << u"logout goes to"_s;
    QTest::newRow("topic mismatch")
        << QByteArray(
               R"({"topic":"project-board.1","message":{"type":"board","topic":"project-board.2","event":"project.deleted","data":{}}})")
        << u"differs"_s;
    QTest::newRow("retain logout")
        << QByteArray(R"({"topic":"user-1","message":{"type":"logout","data":"s"},"retain":true})")
        << u"only notification-count"_s;
    // PROTOCOL.md v1.1: reserved names cannot be application events, whatever their shape.
    for (const char* reserved : {"hello", "subscribed", "unsubscribed", "pong", "boards", "board-snapshot"}) {
        QTest::newRow(qPrintable(u"reserved "_s + QLatin1StringView(reserved)))
            << (R"({"topic":"user-1","message":{"type":")" + QByteArray(reserved) + R"(","data":1}})")
            << u"cannot be published"_s;
    }
    QTest::newRow("event type upper case")
        << QByteArray(R"({"topic":"user-1","message":{"type":"Deploy","data":1}})")
        << u"unknown message type"_s;
    QTest::newRow("event type with a space")
        << QByteArray(R"({"topic":"user-1","message":{"type":"de ploy"}})") << u"[a-z0-9._-]"_s;
    QTest::newRow("event type too long")
        << (R"({"topic":"user-1","message":{"type":")" + QByteArray(65, 'a') + R"("}})") << u"at most 64"_s;
    QTest::newRow("event type empty")
        << QByteArray(R"({"topic":"user-1","message":{"type":""}})") << u"unknown message type"_s;
    QTest::newRow("event too large") << (R"({"topic":"user-1","message":{"type":"ci.log","text":")" +
                                         QByteArray(70000, 'x') + R"("}})")
                                     << u"the limit is"_s;
    QTest::newRow("too large")
        << QByteArray(
               R"({"topic":"public.a","message":{"type":"board","event":"project.updated","data":{"title":")" +
               QByteArray(70000, 'x') + R"(","description":"","is_closed":false}}})")
        << u"the limit is"_s;
}

void TestPublishRequest::rejected()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, error);
    const publish::Result r = publish::fromEnvelopeBody(body);
    QVERIFY(r.publications.isEmpty());
    QVERIFY2(r.error.contains(error), qPrintable(r.error));
}

void TestPublishRequest::logoutNeverCarriesTheSession()
{
    const publish::Result r =
        publish::build(u"user-7"_s, {{u"type"_s, u"logout"_s}, {u"data"_s, u"secret-sid"_s}}, false);
    QVERIFY(r.error.isEmpty());
    const Publication& p = r.publications.first();
    QCOMPARE(p.logoutSession, u"secret-sid"_s);
    QCOMPARE(p.payload, QByteArray(R"({"data":"elsewhere","type":"logout"})"));
}

void TestPublishRequest::boardTopicFilledIn()
{
    const publish::Result r = publish::build(
        u"project-board.9"_s,
        {{u"type"_s, u"board"_s}, {u"event"_s, u"project.deleted"_s}, {u"data"_s, QJsonObject()}}, false);
    QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
    QVERIFY(r.publications.first().payload.contains(R"("topic":"project-board.9")"));
}

void TestPublishRequest::batchAllOrNothing()
{
    const QByteArray body = R"([{"topic":"user-1","message":{"type":"notification-count","count":1}},
                                {"topic":"user-2","message":{"type":"notification-count","count":2}},
                                {"topic":"user-3","message":{"type":"notification-count"}}])";
    const publish::Result r = publish::fromEnvelopeBody(body);
    QVERIFY(r.publications.isEmpty());
    QVERIFY(r.error.startsWith(u"item 2: "_s));
}

void TestPublishRequest::applicationEvents_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("type");
    QTest::addColumn<bool>("retain");
    QTest::newRow("user topic") << QByteArray(
                                       R"({"topic":"user-7","message":{"type":"ci.status","state":"ok"}})")
                                << u"ci.status"_s << false;
    QTest::newRow("retained")
        << QByteArray(R"({"topic":"user-7","message":{"type":"deploy-done","env":"prod"},"retain":true})")
        << u"deploy-done"_s << true;
    QTest::newRow("public topic, nested data")
        << QByteArray(
               R"({"topic":"public.news","message":{"type":"release_1.2","data":{"tags":["a","b"],"n":1}}})")
        << u"release_1.2"_s << false;
    QTest::newRow("board topic")
        << QByteArray(R"({"topic":"project-board.4","message":{"type":"board.viewers","count":2}})")
        << u"board.viewers"_s << false;
    QTest::newRow("64 characters") << (R"({"topic":"user-7","message":{"type":")" + QByteArray(64, 'z') +
                                       R"("}})")
                                   << QString(64, u'z') << false;
}

void TestPublishRequest::applicationEvents()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, type);
    QFETCH(bool, retain);
    const publish::Result r = publish::fromEnvelopeBody(body);
    QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
    QCOMPARE(r.publications.size(), 1);
    const Publication& p = r.publications.first();
    QCOMPARE(p.type, type);
    QCOMPARE(p.retain, retain);
    QVERIFY(!p.endsTopic);
    // Delivered as the JSON object it is: the message, nothing added or taken away.
    const QJsonObject sent = QJsonDocument::fromJson(body).object().value("message"_L1).toObject();
    QCOMPARE(QJsonDocument::fromJson(p.payload).object(), sent);
}

void TestPublishRequest::countPayloadIsTheCanonicalEncoding_data()
{
    QTest::addColumn<QByteArray>("count");
    QTest::newRow("zero") << QByteArray("0");
    QTest::newRow("small") << QByteArray("42");
    QTest::newRow("written as a double") << QByteArray("1e3");
    QTest::newRow("with a zero fraction") << QByteArray("7.0");
    QTest::newRow("past 2^53") << QByteArray("9007199254740993");
    QTest::newRow("past 2^53, as a double") << QByteArray("9007199254740993.0");
    QTest::newRow("largest double below 2^63") << QByteArray("9223372036854774784");
}

// The count's payload is written without QJsonDocument (the publish hot path): these are the bytes
// QJsonDocument writes for the same message, extra fields of the input dropped as before.
void TestPublishRequest::countPayloadIsTheCanonicalEncoding()
{
    QFETCH(QByteArray, count);
    const QByteArray message = R"({"type":"notification-count","extra":true,"count":)" + count + "}";
    const publish::Result r = publish::fromEnvelopeBody(R"({"topic":"user-7","message":)" + message + "}");
    QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
    const auto decoded = protocol::decodeServerMessage(message);
    QVERIFY2(decoded, qPrintable(decoded.error));
    const QByteArray canonical =
        QJsonDocument(protocol::toJson(*decoded.value)).toJson(QJsonDocument::Compact);
    QCOMPARE(r.publications.first().payload, canonical);
    for (qint64 value : {qint64(0), qint64(1), qint64(-1), std::numeric_limits<qint64>::max(),
                         std::numeric_limits<qint64>::min()}) {
        const protocol::ServerMessage m(protocol::NotificationCount{value});
        QCOMPARE(protocol::encode(m), QJsonDocument(protocol::toJson(m)).toJson(QJsonDocument::Compact));
    }
}

void TestPublishRequest::countBatchMatchesTheDocument_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("taken"); // read by countBatch() rather than handed to the full parse
    const QByteArray one = R"({"topic":"user-7","message":{"type":"notification-count","count":3}})";
    QTest::newRow("one") << "[" + one + "]" << true;
    QTest::newRow("several")
        << "[" + one + "," + one + R"(,{"topic":"user-9","message":{"type":"notification-count","count":0}}])"
        << true;
    QTest::newRow("whitespace everywhere")
        << QByteArray(" [ \n{ \"topic\" :\t\"user-7\" , \"message\" : { \"type\" : \"notification-count\" , "
                      "\"count\" : 12 } } \r\n] \n")
        << true;
    QTest::newRow("keys in another order")
        << QByteArray(
               R"([{"retain":false,"message":{"count":5,"type":"notification-count"},"topic":"user-7"}])")
        << true;
    QTest::newRow("retain true")
        << QByteArray(
               R"([{"topic":"user-7","message":{"type":"notification-count","count":1},"retain":true}])")
        << true;
    QTest::newRow("15 digits")
        << QByteArray(
               R"([{"topic":"user-7","message":{"type":"notification-count","count":999999999999999}}])")
        << true;

    // Everything else goes to the full parse, which accepts or refuses it with its own words.
    QTest::newRow("a single object") << one << false;
    QTest::newRow("empty batch") << QByteArray("[]") << false;
    QTest::newRow("16 digits")
        << QByteArray(
               R"([{"topic":"user-7","message":{"type":"notification-count","count":9999999999999999}}])")
        << false;
    QTest::newRow("leading zero")
        << QByteArray(R"([{"topic":"user-7","message":{"type":"notification-count","count":07}}])") << false;
    QTest::newRow("negative")
        << QByteArray(R"([{"topic":"user-7","message":{"type":"notification-count","count":-1}}])") << false;
    QTest::newRow("minus zero")
        << QByteArray(R"([{"topic":"user-7","message":{"type":"notification-count","count":-0}}])") << false;
    QTest::newRow("fraction")
        << QByteArray(R"([{"topic":"user-7","message":{"type":"notification-count","count":1.0}}])") << false;
    QTest::newRow("exponent")
        << QByteArray(R"([{"topic":"user-7","message":{"type":"notification-count","count":1e2}}])") << false;
    QTest::newRow("count as a string")
        << QByteArray(R"([{"topic":"user-7","message":{"type":"notification-count","count":"1"}}])") << false;
    QTest::newRow("escaped topic")
        << QByteArray(R"([{"topic":"user-\u0037","message":{"type":"notification-count","count":1}}])")
        << false;
    QTest::newRow("non-ASCII topic")
        << QByteArray(
               "[{\"topic\":\"user-7\xc3\xa9\",\"message\":{\"type\":\"notification-count\",\"count\":1}}]")
        << false;
    QTest::newRow("duplicate topic")
        << QByteArray(
               R"([{"topic":"user-7","topic":"user-8","message":{"type":"notification-count","count":1}}])")
        << false;
    QTest::newRow("duplicate count")
        << QByteArray(R"([{"topic":"user-7","message":{"type":"notification-count","count":1,"count":2}}])")
        << false;
    QTest::newRow("extra key")
        << QByteArray(R"([{"topic":"user-7","message":{"type":"notification-count","count":1},"x":1}])")
        << false;
    QTest::newRow("extra message key")
        << QByteArray(R"([{"topic":"user-7","message":{"type":"notification-count","count":1,"x":1}}])")
        << false;
    QTest::newRow("public topic")
        << QByteArray(R"([{"topic":"public.x","message":{"type":"notification-count","count":1}}])") << false;
    QTest::newRow("board topic")
        << QByteArray(R"([{"topic":"project-board.3","message":{"type":"notification-count","count":1}}])")
        << false;
    QTest::newRow("invalid user topic")
        << QByteArray(R"([{"topic":"user-07","message":{"type":"notification-count","count":1}}])") << false;
    QTest::newRow("another type") << QByteArray(
                                         R"([{"topic":"user-7","message":{"type":"stopwatches","data":[]}}])")
                                  << false;
    QTest::newRow("retain not a boolean")
        << QByteArray(R"([{"topic":"user-7","message":{"type":"notification-count","count":1},"retain":1}])")
        << false;
    QTest::newRow("no message") << QByteArray(R"([{"topic":"user-7"}])") << false;
    QTest::newRow("trailing comma") << "[" + one + ",]" << false;
    QTest::newRow("garbage after") << "[" + one + "]x" << false;
    QTest::newRow("unterminated") << "[" + one << false;
    QTest::newRow("a count batch, then an application event")
        << "[" + one + R"(,{"topic":"user-7","message":{"type":"forge.thing"}}])" << false;
    QByteArray tooMany = "[" + one;
    for (int i = 1; i <= limits::kMaxPublishBatch; ++i)
        tooMany += "," + one;
    QTest::newRow("one over the batch limit") << tooMany + "]" << false;
}

void TestPublishRequest::countBatchMatchesTheDocument()
{
    QFETCH(QByteArray, body);
    QFETCH(bool, taken);
    const std::optional<QList<Publication>> counts = publish::countBatch(body);
    QCOMPARE(counts.has_value(), taken);
    const publish::Result full = publish::fromDocument(body);
    if (taken) {
        QVERIFY2(full.error.isEmpty(), qPrintable(full.error));
        QVERIFY(samePublications(*counts, full.publications));
    }
    QVERIFY(agreesWithTheDocument(body));
}

void TestPublishRequest::countBatchMatchesTheDocumentWhenMutated()
{
    // Random bytes changed, inserted or deleted in a valid batch: whatever the shortcut takes, the
    // full parse gives the same publications; whatever it refuses, the full parse decides.
    const QByteArray valid =
        R"([{"topic":"user-7","message":{"type":"notification-count","count":31}},)"
        R"({"retain":true,"topic":"user-12","message":{"count":0,"type":"notification-count"}}])";
    const QByteArray alphabet = R"([]{}:,"\ 0123456789-.eE+truefalsnlx-userpic.tyoa)";
    std::mt19937 random(20261130);
    int taken = 0;
    for (int i = 0; i < 20'000; ++i) {
        QByteArray body = valid;
        const int edits = 1 + int(random() % 3);
        for (int e = 0; e < edits; ++e) {
            const int at = int(random() % quint32(body.size()));
            const char c = alphabet[int(random() % quint32(alphabet.size()))];
            switch (random() % 3) {
            case 0:
                body[at] = c;
                break;
            case 1:
                body.insert(at, c);
                break;
            default:
                body.remove(at, 1);
                break;
            }
        }
        if (publish::countBatch(body))
            ++taken;
        QVERIFY2(agreesWithTheDocument(body), body.constData());
    }
    // Not vacuous: some mutants still have the shape (a digit of a count, a space).
    QVERIFY(taken > 100);
}

QTEST_APPLESS_MAIN(TestPublishRequest)
#include "tst_publishrequest.moc"
