// The token in the keychain: the real QtKeychain against a KWallet daemon played by the test on a
// private session bus. What is stored under which server URL, and that the token stays with the server
// when Settings changes its URL.

#include "PrivateBus.h"
#include "model/SavedAccounts.h"
#include "model/TrayController.h"
#include "model/TrayOptions.h"
#include "model/TraySettings.h"
#include "platform/TokenStore.h"
#include "ui/SettingsDialog.h"
#include "ui/TrayApplication.h"

#include <QApplication>
#include <QCheckBox>
#include <QDBusConnectionInterface>
#include <QLineEdit>
#include <QMessageBox>
#include <QMutex>
#include <QProcess>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>

using namespace forgewire;
using namespace Qt::StringLiterals;

using Entries = QMap<QString, QByteArray>;

namespace {

const QString kWalletService = u"org.kde.kwalletd5"_s;
const QString kWalletPath = u"/modules/kwalletd5"_s;

// org.kde.KWallet as kwalletd5 serves it, as far as QtKeychain uses it. It lives in a thread of its
// own because QtKeychain first asks it with a blocking call whether it is there at all.
class Wallet : public QObject
{
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.kde.KWallet")
public:
    // kwalletd's KWallet::EntryType
    enum EntryType
    {
        Unknown = 0,
        Password = 1,
        Stream = 2
    };
    static constexpr int kHandle = 7;

    // The entries of TokenStore's folder by key.
    Entries entries() const
    {
        QMutexLocker locker(&m_mutex);
        return m_entries;
    }
    void setEntries(const Entries& entries)
    {
        QMutexLocker locker(&m_mutex);
        m_entries = entries;
    }

public Q_SLOTS:
    QString networkWallet() { return u"kdewallet"_s; }
    int open(const QString& wallet, qlonglong windowId, const QString& appId)
    {
        Q_UNUSED(windowId)
        return wallet == u"kdewallet"_s && appId == TokenStore::kService ? kHandle : -1;
    }
    int entryType(int handle, const QString& folder, const QString& key, const QString& appId)
    {
        Q_UNUSED(appId)
        QMutexLocker locker(&m_mutex);
        return handle == kHandle && folder == TokenStore::kService && m_entries.contains(key) ? Stream
                                                                                              : Unknown;
    }
    QByteArray readEntry(int handle, const QString& folder, const QString& key, const QString& appId)
    {
        Q_UNUSED(appId)
        QMutexLocker locker(&m_mutex);
        return handle == kHandle && folder == TokenStore::kService ? m_entries.value(key) : QByteArray();
    }
    int writeEntry(int handle, const QString& folder, const QString& key, const QByteArray& value,
                   const QString& appId)
    {
        Q_UNUSED(appId)
        if (handle != kHandle || folder != TokenStore::kService)
            return -1;
        QMutexLocker locker(&m_mutex);
        m_entries.insert(key, value);
        return 0;
    }
    int removeEntry(int handle, const QString& folder, const QString& key, const QString& appId)
    {
        Q_UNUSED(appId)
        if (handle != kHandle || folder != TokenStore::kService)
            return -1;
        QMutexLocker locker(&m_mutex);
        m_entries.remove(key);
        return 0;
    }

private:
    mutable QMutex m_mutex;
    Entries m_entries;
};

QByteArray readToken(TokenStore& store, const QUrl& server, QString* error = nullptr)
{
    std::optional<QByteArray> result;
    store.read(server, [&](const QByteArray& token, const QString& readError) {
        result = token;
        if (error)
            *error = readError;
    });
    if (!QTest::qWaitFor([&] { return result.has_value(); }))
        return "(no answer)";
    return *result;
}

QString writeToken(TokenStore& store, const QUrl& server, const QByteArray& token)
{
    std::optional<QString> result;
    store.write(server, token, [&](const QString& error) { result = error; });
    return QTest::qWaitFor([&] { return result.has_value(); }) ? *result : u"(no answer)"_s;
}

QString moveToken(TokenStore& store, const QUrl& from, const QUrl& to)
{
    std::optional<QString> result;
    store.move(from, to, [&](const QString& error) { result = error; });
    return QTest::qWaitFor([&] { return result.has_value(); }) ? *result : u"(no answer)"_s;
}

const QUrl kOldServer(u"ws://127.0.0.1:1/-/ws"_s);
const QUrl kNewServer(u"ws://127.0.0.1:2/-/ws"_s);

} // namespace

class TestTokenStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void cleanupTestCase();
    void storedPerServerUrl();
    void moveTakesTheTokenToTheNewUrl();
    void settingsKeepTheTokenWithTheServer_data();
    void settingsKeepTheTokenWithTheServer();
    void severalAccountsEachKeepTheirToken();

private:
    QTemporaryDir m_runtimeDir;
    test::PrivateBus m_bus;
    QString m_address;
    QThread m_walletThread;
    Wallet* m_wallet = nullptr;
    QTimer m_messageBoxes;
    QStringList m_messages;
};

void TestTokenStore::initTestCase()
{
    // Settings, autostart entry and the single-instance lock stay out of the user's session.
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(u"forgewire-test"_s);
    QCoreApplication::setApplicationName(u"tst_tokenstore"_s);
    QVERIFY(m_runtimeDir.isValid());
    qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_runtimeDir.path()));

    if (test::PrivateBus::daemonExecutable().isEmpty())
        QSKIP("dbus-daemon is not installed (Debian: dbus); a private session bus is needed");
    QVERIFY(m_bus.start());
    m_address = m_bus.address();

    // QtKeychain reads both once, at its first job: it uses the session bus, and on Plasma 5 kwalletd5.
    qputenv("DBUS_SESSION_BUS_ADDRESS", m_address.toUtf8());
    qputenv("XDG_CURRENT_DESKTOP", "KDE");
    qputenv("KDE_SESSION_VERSION", "5");

    m_wallet = new Wallet;
    m_wallet->moveToThread(&m_walletThread);
    m_walletThread.start();
    QDBusConnection bus = QDBusConnection::connectToBus(m_address, u"wallet"_s);
    QVERIFY(bus.registerObject(kWalletPath, m_wallet, QDBusConnection::ExportAllSlots));
    QVERIFY(bus.registerService(kWalletService));

    // Nothing may reach the user's real keychain: this process's session bus must be the private one.
    const QString marker = u"org.forgewire.test.tokenstore.p%1"_s.arg(QCoreApplication::applicationPid());
    QVERIFY(bus.registerService(marker));
    QVERIFY2(QDBusConnection::sessionBus().interface()->isServiceRegistered(marker),
             "the session bus was connected before the test could point it at its private bus");

    // A message box would wait for a click that never comes; note it and close it instead.
    connect(&m_messageBoxes, &QTimer::timeout, this, [this] {
        for (QWidget* widget : QApplication::topLevelWidgets()) {
            if (auto* box = qobject_cast<QMessageBox*>(widget); box && box->isVisible()) {
                m_messages.append(box->text());
                box->reject();
            }
        }
    });
    m_messageBoxes.start(50);
}

void TestTokenStore::init()
{
    m_wallet->setEntries({});
    m_messages.clear();
    QSettings().clear();
}

void TestTokenStore::cleanup()
{
    QVERIFY2(m_messages.isEmpty(), qPrintable(m_messages.join(u"; "_s)));
}

void TestTokenStore::cleanupTestCase()
{
    if (m_wallet) {
        QDBusConnection bus = QDBusConnection::connectToBus(m_address, u"wallet"_s);
        bus.unregisterService(kWalletService);
        bus.unregisterObject(kWalletPath);
        m_walletThread.quit();
        m_walletThread.wait();
        delete m_wallet;
    }
    m_bus.stop();
}

void TestTokenStore::storedPerServerUrl()
{
    TokenStore store;
    QString error;
    QCOMPARE(readToken(store, kOldServer, &error), QByteArray());
    QCOMPARE(error, QString()); // no entry is no error

    QCOMPARE(writeToken(store, kOldServer, "old-token"), QString());
    QCOMPARE(writeToken(store, kNewServer, "new-token"), QString());
    QCOMPARE(m_wallet->entries(), (Entries{{TokenStore::keyFor(kOldServer), "old-token"},
                                           {TokenStore::keyFor(kNewServer), "new-token"}}));
    QCOMPARE(readToken(store, kOldServer), QByteArray("old-token"));
    // Query, fragment and user info are not part of the key.
    QCOMPARE(readToken(store, QUrl(u"ws://me@127.0.0.1:2/-/ws?x=1"_s)), QByteArray("new-token"));

    QCOMPARE(writeToken(store, kOldServer, {}), QString());
    QCOMPARE(m_wallet->entries(), (Entries{{TokenStore::keyFor(kNewServer), "new-token"}}));
}

void TestTokenStore::moveTakesTheTokenToTheNewUrl()
{
    TokenStore store;
    m_wallet->setEntries({{TokenStore::keyFor(kOldServer), "token"}});
    QCOMPARE(moveToken(store, kOldServer, kNewServer), QString());
    QCOMPARE(m_wallet->entries(), (Entries{{TokenStore::keyFor(kNewServer), "token"}}));

    // The same key is nothing to move.
    QCOMPARE(moveToken(store, kNewServer, QUrl(u"ws://127.0.0.1:2/-/ws?x=1"_s)), QString());
    QCOMPARE(m_wallet->entries(), (Entries{{TokenStore::keyFor(kNewServer), "token"}}));

    // Neither is a URL without a token, nor a first configuration without a URL.
    QCOMPARE(moveToken(store, kOldServer, QUrl(u"ws://127.0.0.1:3/-/ws"_s)), QString());
    QCOMPARE(moveToken(store, QUrl(), kOldServer), QString());
    QCOMPARE(m_wallet->entries(), (Entries{{TokenStore::keyFor(kNewServer), "token"}}));
}

void TestTokenStore::settingsKeepTheTokenWithTheServer_data()
{
    QTest::addColumn<QUrl>("server");
    QTest::addColumn<QString>("typedToken");
    QTest::addColumn<bool>("forget");
    QTest::addColumn<Entries>("stored");

    const QString oldKey = TokenStore::keyFor(kOldServer);
    const QString newKey = TokenStore::keyFor(kNewServer);
    QTest::newRow("new URL, token kept") << kNewServer << QString() << false << Entries{{newKey, "stored"}};
    QTest::newRow("new URL, token replaced")
        << kNewServer << u"typed"_s << false << Entries{{newKey, "typed"}};
    QTest::newRow("new URL, token forgotten") << kNewServer << QString() << true << Entries{};
    QTest::newRow("same URL, token kept") << kOldServer << QString() << false << Entries{{oldKey, "stored"}};
    QTest::newRow("same URL, token replaced")
        << kOldServer << u"typed"_s << false << Entries{{oldKey, "typed"}};
    QTest::newRow("same URL, token forgotten") << kOldServer << QString() << true << Entries{};
}

// Through the Settings dialog of a running tray, and what the next start finds.
void TestTokenStore::settingsKeepTheTokenWithTheServer()
{
    QFETCH(QUrl, server);
    QFETCH(QString, typedToken);
    QFETCH(bool, forget);
    QFETCH(Entries, stored);

    m_wallet->setEntries({{TokenStore::keyFor(kOldServer), "stored"}});
    {
        QSettings settings;
        TraySettings saved;
        saved.serverUrl = kOldServer;
        saved.save(settings);
    }

    TrayOptions options;
    options.openSettings = true;
    TrayApplication tray(options);
    QVERIFY(tray.start());
    SettingsDialog* dialog = nullptr;
    for (QWidget* widget : QApplication::topLevelWidgets()) {
        if (auto* found = qobject_cast<SettingsDialog*>(widget))
            dialog = found;
    }
    QVERIFY(dialog);
    // Field order in the form: server, token, forge, boards.
    const QList<QLineEdit*> fields = dialog->findChildren<QLineEdit*>();
    QCOMPARE(fields.at(0)->text(), kOldServer.toString());
    fields.at(0)->setText(server.toString());
    fields.at(1)->setText(typedToken);
    dialog->findChildren<QCheckBox*>().first()->setChecked(forget); // "Forget the stored token"
    dialog->accept();

    QTRY_COMPARE(m_wallet->entries(), stored);
    // Nothing else is on its way.
    QTest::qWait(200);
    QCOMPARE(m_wallet->entries(), stored);

    // The next start reads the token for the saved URL.
    QSettings settings;
    const QUrl saved = TraySettings::load(settings).serverUrl;
    QCOMPARE(saved, server);
    TokenStore store;
    QCOMPARE(readToken(store, saved), stored.value(TokenStore::keyFor(server)));
}

// Two saved accounts, each with its own token; in Settings a third is added with a token and the
// second removed: the keychain follows, and each running account connects with its own token.
void TestTokenStore::severalAccountsEachKeepTheirToken()
{
    const QUrl third(u"ws://127.0.0.1:3/-/ws"_s);
    m_wallet->setEntries(
        {{TokenStore::keyFor(kOldServer), "codeberg-token"}, {TokenStore::keyFor(kNewServer), "work-token"}});
    {
        QSettings settings;
        TraySettings codeberg, work;
        codeberg.name = u"Codeberg"_s;
        codeberg.serverUrl = kOldServer;
        work.name = u"Work"_s;
        work.serverUrl = kNewServer;
        SavedAccounts{{codeberg, work}}.save(settings);
    }
    TrayOptions options;
    options.openSettings = true;
    TrayApplication tray(options);
    QVERIFY(tray.start());
    QCOMPARE(tray.accounts().size(), 2);
    QTRY_COMPARE(tray.accounts().accounts().at(0).controller->config().token, QByteArray("codeberg-token"));
    QTRY_COMPARE(tray.accounts().accounts().at(1).controller->config().token, QByteArray("work-token"));

    SettingsDialog* dialog = nullptr;
    for (QWidget* widget : QApplication::topLevelWidgets()) {
        if (auto* found = qobject_cast<SettingsDialog*>(widget))
            dialog = found;
    }
    QVERIFY(dialog);
    QCOMPARE(dialog->accounts().size(), 2);
    dialog->addAccount();
    const QList<QLineEdit*> fields = dialog->findChildren<QLineEdit*>();
    fields.at(0)->setText(third.toString());
    fields.at(1)->setText(u"third-token"_s);
    fields.at(4)->setText(u"Third"_s);
    dialog->selectAccount(1);
    dialog->removeCurrentAccount();
    QCOMPARE(dialog->accounts().size(), 2);
    dialog->accept();

    QTRY_COMPARE(m_wallet->entries(), (Entries{{TokenStore::keyFor(kOldServer), "codeberg-token"},
                                               {TokenStore::keyFor(third), "third-token"}}));
    QTest::qWait(200);
    QCOMPARE(m_wallet->entries(), (Entries{{TokenStore::keyFor(kOldServer), "codeberg-token"},
                                           {TokenStore::keyFor(third), "third-token"}}));
    QCOMPARE(tray.accounts().size(), 2);
    QCOMPARE(tray.accounts().accounts().at(0).name, u"Codeberg"_s);
    QCOMPARE(tray.accounts().accounts().at(0).controller->config().token, QByteArray("codeberg-token"));
    QCOMPARE(tray.accounts().accounts().at(1).name, u"Third"_s);
    QCOMPARE(tray.accounts().accounts().at(1).controller->config().token, QByteArray("third-token"));
    QCOMPARE(tray.accounts().accounts().at(1).controller->config().serverUrl, third);

    // The next start finds both.
    QSettings settings;
    const SavedAccounts saved = SavedAccounts::load(settings);
    QCOMPARE(saved.accounts.size(), 2);
    QCOMPARE(saved.accounts.at(1).serverUrl, third);
}

QTEST_MAIN(TestTokenStore)
#include "tst_tokenstore.moc"
