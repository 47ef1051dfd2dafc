// What the tray and --headless connect with: the command line over the saved settings, and where the
// token comes from (environment, token file, keychain) and when the keychain is asked.

#include "model/ResolvedConfig.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

using namespace forgewire;
using namespace Qt::StringLiterals;

namespace {

// The keychain as resolve() sees it: records what it was asked and answers when the test says so.
struct Keychain
{
    QList<QUrl> asked;
    std::function<void(const QByteArray&, const QString&)> pending;

    ResolvedConfig::TokenReader reader()
    {
        return [this](const QUrl& server, std::function<void(const QByteArray&, const QString&)> done) {
            asked.append(server);
            pending = std::move(done);
        };
    }
};

TraySettings savedSettings()
{
    TraySettings saved;
    saved.serverUrl = QUrl(u"wss://saved.example/-/ws"_s);
    saved.forgeUrl = QUrl(u"https://forge.saved.example"_s);
    saved.watchedBoards = {1, 2};
    saved.boardNotifications = false;
    return saved;
}

} // namespace

class TestResolvedConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        qunsetenv("FORGEWIRE_TOKEN");
        m_keychain = {};
        m_calls = 0;
        m_last = {};
    }
    void cleanup() { qunsetenv("FORGEWIRE_TOKEN"); }
    void savedSettingsWithoutFlags();
    void flagsOverrideSavedSettings();
    void keychainAskedForTheServerInUse();
    void keychainErrorMeansNoToken();
    void environmentTokenSkipsTheKeychain();
    void tokenFileSkipsTheKeychain();
    void unreadableTokenFile_data();
    void unreadableTokenFile();
    void noUsableServerUrl();

private:
    // Runs resolve(); the result is there at once unless the keychain was asked and has not answered.
    std::optional<ResolvedConfig> resolve(const TrayOptions& options, const TraySettings& saved)
    {
        std::optional<ResolvedConfig> result;
        ResolvedConfig::resolve(options, saved, m_keychain.reader(), [this](const ResolvedConfig& r) {
            ++m_calls;
            m_last = r;
        });
        if (m_calls > 0)
            result = m_last;
        return result;
    }

    Keychain m_keychain;
    int m_calls = 0;
    ResolvedConfig m_last;
};

void TestResolvedConfig::savedSettingsWithoutFlags()
{
    const TrayController::Config config = ResolvedConfig::merge(TrayOptions{}, savedSettings());
    QCOMPARE(config.serverUrl, QUrl(u"wss://saved.example/-/ws"_s));
    QCOMPARE(config.forgeUrl, QUrl(u"https://forge.saved.example"_s));
    QCOMPARE(config.watchedBoards, (QList<qint64>{1, 2}));
    QCOMPARE(config.boardNotifications, false);
    QVERIFY(config.token.isEmpty());
}

void TestResolvedConfig::flagsOverrideSavedSettings()
{
    const TrayOptions options =
        TrayOptions::parse({u"forgewire-tray"_s, u"--server"_s, u"ws://127.0.0.1:9/-/ws"_s, u"--forge-url"_s,
                            u"https://forge.flag.example"_s, u"--watch-board"_s, u"7"_s});
    QVERIFY2(options.error.isEmpty(), qPrintable(options.error));
    const TrayController::Config config = ResolvedConfig::merge(options, savedSettings());
    QCOMPARE(config.serverUrl, QUrl(u"ws://127.0.0.1:9/-/ws"_s));
    QCOMPARE(config.forgeUrl, QUrl(u"https://forge.flag.example"_s));
    QCOMPARE(config.watchedBoards, (QList<qint64>{7}));
    QCOMPARE(config.boardNotifications, false); // no flag for it: always the saved one
}

void TestResolvedConfig::keychainAskedForTheServerInUse()
{
    TrayOptions options;
    options.serverUrl = QUrl(u"ws://127.0.0.1:9/-/ws"_s);
    QVERIFY(!resolve(options, savedSettings()));                                 // waits for the keychain
    QCOMPARE(m_keychain.asked, (QList<QUrl>{QUrl(u"ws://127.0.0.1:9/-/ws"_s)})); // the override's entry
    m_keychain.pending("from-keychain", {});
    QCOMPARE(m_calls, 1);
    QCOMPARE(m_last.config.token, QByteArray("from-keychain"));
    QCOMPARE(m_last.config.serverUrl, QUrl(u"ws://127.0.0.1:9/-/ws"_s));
    QVERIFY(m_last.serverUrlProblem.isEmpty());
    QVERIFY(m_last.tokenFileError.isEmpty());
    QVERIFY(m_last.keychainError.isEmpty());
}

void TestResolvedConfig::keychainErrorMeansNoToken()
{
    QVERIFY(!resolve(TrayOptions{}, savedSettings()));
    m_keychain.pending({}, u"no keychain"_s);
    QCOMPARE(m_calls, 1);
    QVERIFY(m_last.config.token.isEmpty());
    QCOMPARE(m_last.keychainError, u"no keychain"_s);
}

void TestResolvedConfig::environmentTokenSkipsTheKeychain()
{
    qputenv("FORGEWIRE_TOKEN", "from-env\n");
    TrayOptions options;
    options.tokenFile = u"/nonexistent/token"_s; // the environment wins; the file is not even read
    const std::optional<ResolvedConfig> resolved = resolve(options, savedSettings());
    QVERIFY(resolved);
    QCOMPARE(resolved->config.token, QByteArray("from-env"));
    QVERIFY(resolved->tokenFileError.isEmpty());
    QVERIFY(m_keychain.asked.isEmpty());
}

void TestResolvedConfig::tokenFileSkipsTheKeychain()
{
    QTemporaryDir dir;
    QFile file(dir.filePath(u"token"_s));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("from-file\n");
    file.close();
    TrayOptions options;
    options.tokenFile = file.fileName();
    const std::optional<ResolvedConfig> resolved = resolve(options, savedSettings());
    QVERIFY(resolved);
    QCOMPARE(resolved->config.token, QByteArray("from-file"));
    QVERIFY(m_keychain.asked.isEmpty());
}

void TestResolvedConfig::unreadableTokenFile_data()
{
    QTest::addColumn<QByteArray>("content"); // empty: no file at all
    QTest::addColumn<QString>("message");
    QTest::newRow("missing") << QByteArray() << u"Cannot read the token file"_s;
    QTest::newRow("empty") << QByteArray(" \n") << u"is empty"_s;
}

void TestResolvedConfig::unreadableTokenFile()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, message);
    QTemporaryDir dir;
    TrayOptions options;
    options.tokenFile = dir.filePath(u"token"_s);
    if (!content.isEmpty()) {
        QFile file(options.tokenFile);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(content);
    }
    const std::optional<ResolvedConfig> resolved = resolve(options, savedSettings());
    QVERIFY(resolved); // known at once: --headless exits with it
    QVERIFY2(resolved->tokenFileError.contains(message), qPrintable(resolved->tokenFileError));
    QVERIFY(resolved->config.token.isEmpty());
    QVERIFY(m_keychain.asked.isEmpty()); // the user named a token; another one would surprise them
}

void TestResolvedConfig::noUsableServerUrl()
{
    const std::optional<ResolvedConfig> resolved = resolve(TrayOptions{}, TraySettings{});
    QVERIFY(resolved); // known at once: the tray opens its settings, --headless exits
    QCOMPARE(resolved->serverUrlProblem, TraySettings::checkServerUrl(QUrl()));
    QVERIFY(!resolved->serverUrlProblem.isEmpty());
    QVERIFY(m_keychain.asked.isEmpty()); // no URL, no keychain entry to look up
}

QTEST_GUILESS_MAIN(TestResolvedConfig)
#include "tst_resolvedconfig.moc"
