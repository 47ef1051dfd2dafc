// What the server writes to its log when clients, publishers or the forge send hostile text, and
// that a generated publisher secret never reaches the log (it goes to an owner-only file).

#include "TestSupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QMutex>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

// Every message any thread logs while one of these is alive (workers log from their own threads).
class LogCapture
{
public:
    LogCapture()
    {
        s_instance = this;
        m_previous = qInstallMessageHandler(&LogCapture::handler);
        // Debug lines too: the session line carries the JWT's `name`.
        QLoggingCategory::setFilterRules(u"forgewire.*=true"_s);
    }
    ~LogCapture()
    {
        qInstallMessageHandler(m_previous);
        QLoggingCategory::setFilterRules(QString());
        s_instance = nullptr;
    }
    QStringList messages() const
    {
        QMutexLocker lock(&m_mutex);
        return m_messages;
    }
    bool any(const QString& fragment) const
    {
        const QStringList all = messages();
        return std::any_of(all.begin(), all.end(), [&](const QString& m) { return m.contains(fragment); });
    }

private:
    static void handler(QtMsgType type, const QMessageLogContext& context, const QString& message)
    {
        if (LogCapture* self = s_instance) {
            QMutexLocker lock(&self->m_mutex);
            self->m_messages.append(message);
        }
        // Still shown, so a failing run can be read.
        if (context.category && QByteArrayView(context.category).startsWith("forgewire."))
            fprintf(stderr, "%s\n", qPrintable(message));
        Q_UNUSED(type);
    }

    static inline LogCapture* s_instance = nullptr;
    QtMessageHandler m_previous = nullptr;
    mutable QMutex m_mutex;
    QStringList m_messages;
};

QByteArray b64url(const QByteArray& bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

// Messages that carry a line break a log reader would take for the start of a new entry.
QStringList withLineBreaks(const QStringList& messages)
{
    QStringList found;
    for (const QString& m : messages) {
        if (m.contains(u'\n') || m.contains(u'\r') || m.contains(QChar(0x2028)) ||
            m.contains(QChar(0x2029)) || m.contains(QChar(0x85)))
            found.append(m);
    }
    return found;
}

} // namespace

class TestServerLogging : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void jwtAlgCannotForgeLogLines();
    void jwtNameCannotForgeLogLines();
    void publishedTopicCannotForgeLogLines();
    void generatedPublisherSecretGoesToAFileNotTheLog();
    void publisherSecretFileIsReused();
    void publisherSecretFileReadableByOthersIsRefused();
    void secretFileDefaultsNextToTheState();
};

void TestServerLogging::jwtAlgCannotForgeLogLines()
{
    ServerFixture fixture;
    QVERIFY2(fixture.start(), qPrintable(fixture.error()));
    LogCapture capture;

    // The alg is checked (and quoted in the refusal) before the signature, so anybody can send this;
    // JSON escapes in the header decode to the raw characters.
    const QByteArray header =
        b64url(R"({"alg":"HS256\nforgewire.auth: user 1 (admin) authenticated\r\u2028x"})");
    WsClient client;
    QVERIFY(client.open(fixture.wsUrl(), header + '.' + b64url(R"({"sub":"7","exp":99999999999})") + ".sig"));
    QCOMPARE(client.waitClosed(), 4001);

    QVERIFY(waitFor([&] { return capture.any(u"unsupported JWT alg"_s); }));
    QVERIFY2(withLineBreaks(capture.messages()).isEmpty(),
             qPrintable(withLineBreaks(capture.messages()).join(u"|"_s)));
    QVERIFY(capture.any(u"HS256\\nforgewire.auth: user 1 (admin) authenticated\\r\\u2028x"_s));
}

void TestServerLogging::jwtNameCannotForgeLogLines()
{
    ServerFixture fixture;
    QVERIFY2(fixture.start(), qPrintable(fixture.error()));
    LogCapture capture;

    // A validly signed token whose login (taken from the forge) holds a line break.
    WsClient client;
    QVERIFY(client.open(fixture.wsUrl(), makeToken(7, u"alice\nforgewire.ws: forged"_s)));
    QCOMPARE(client.next().value("type"_L1).toString(), u"hello"_s);
    QVERIFY(waitFor([&] { return capture.any(u"alice\\nforgewire.ws: forged"_s); }));
    QVERIFY2(withLineBreaks(capture.messages()).isEmpty(),
             qPrintable(withLineBreaks(capture.messages()).join(u"|"_s)));
}

void TestServerLogging::publishedTopicCannotForgeLogLines()
{
    ServerFixture fixture;
    QVERIFY2(fixture.start(), qPrintable(fixture.error()));
    LogCapture capture;

    const HttpReply reply = fixture.admin(
        "POST", u"/api/v1/publish"_s,
        R"({"topic":"user-7\nforgewire.http: 202 accepted","message":{"type":"notification-count","count":1}})");
    QCOMPARE(reply.status, 400);
    QVERIFY(waitFor([&] { return capture.any(u"user-7\\nforgewire.http: 202 accepted"_s); }));
    QVERIFY2(withLineBreaks(capture.messages()).isEmpty(),
             qPrintable(withLineBreaks(capture.messages()).join(u"|"_s)));
}

void TestServerLogging::generatedPublisherSecretGoesToAFileNotTheLog()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ServerConfig config = testConfig(dir.filePath(u"state.sqlite"_s));
    config.publisherSecret.clear();
    config.publisherSecretFile = dir.filePath(u"secret/publisher-secret"_s);
    QVERIFY(QDir(dir.path()).mkdir(u"secret"_s));

    LogCapture capture;
    ServerFixture fixture(config);
    QVERIFY2(fixture.start(), qPrintable(fixture.error()));
    const QByteArray secret = fixture.server()->publisherSecret();
    QVERIFY(secret.size() >= 32);

    for (const QString& message : capture.messages())
        QVERIFY2(!message.contains(QString::fromLatin1(secret)), qPrintable(message));
    QVERIFY(capture.any(config.publisherSecretFile));

    QFile file(config.publisherSecretFile);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll().trimmed(), secret);
    struct stat info
    {
    };
    QCOMPARE(::stat(QFile::encodeName(config.publisherSecretFile).constData(), &info), 0);
    QCOMPARE(info.st_mode & 0777, mode_t(0600));

    // It is the secret the admin API takes, and nothing else is.
    QCOMPARE(fixture.admin("PUT", u"/api/v1/users/7/notification-count"_s, R"({"count":1})", secret).status,
             202);
    QCOMPARE(fixture.admin("PUT", u"/api/v1/users/7/notification-count"_s, R"({"count":1})", "guess").status,
             401);
}

void TestServerLogging::publisherSecretFileIsReused()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ServerConfig config = testConfig(dir.filePath(u"state.sqlite"_s));
    config.publisherSecret.clear();

    QByteArray first;
    {
        ServerFixture fixture(config);
        QVERIFY2(fixture.start(), qPrintable(fixture.error()));
        first = fixture.server()->publisherSecret();
    }
    ServerFixture again(config);
    QVERIFY2(again.start(), qPrintable(again.error()));
    QCOMPARE(again.server()->publisherSecret(), first);
    QCOMPARE(again.admin("PUT", u"/api/v1/users/7/notification-count"_s, R"({"count":1})", first).status,
             202);
}

void TestServerLogging::publisherSecretFileReadableByOthersIsRefused()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ServerConfig config = testConfig(dir.filePath(u"state.sqlite"_s));
    config.publisherSecret.clear();
    config.publisherSecretFile = dir.filePath(u"publisher-secret"_s);
    QFile file(config.publisherSecretFile);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("world-readable-secret\n");
    file.close();
    QVERIFY(file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadOther));

    ServerFixture fixture(config);
    QVERIFY(!fixture.start());
    QVERIFY2(fixture.error().contains(u"chmod 600"_s), qPrintable(fixture.error()));
    QVERIFY(!fixture.error().contains(u"world-readable-secret"_s));
}

void TestServerLogging::secretFileDefaultsNextToTheState()
{
    ServerConfig config;
    config.statePath = u"/var/lib/forgewire/state.sqlite"_s;
    QCOMPARE(config.effectivePublisherSecretFile(), u"/var/lib/forgewire/publisher-secret"_s);
    config.publisherSecretFile = u"/etc/forgewire/pub"_s;
    QCOMPARE(config.effectivePublisherSecretFile(), u"/etc/forgewire/pub"_s);
    config = ServerConfig();
    config.statePath = u":memory:"_s;
    QCOMPARE(config.effectivePublisherSecretFile(), QDir::current().filePath(u"publisher-secret"_s));
}

QTEST_GUILESS_MAIN(TestServerLogging)
#include "tst_serverlogging.moc"
