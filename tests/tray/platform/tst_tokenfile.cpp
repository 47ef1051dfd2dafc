// A desktop without a keyring: on a private session bus with no Secret Service and no KWallet, the
// token store says "no keyring found" (once in the log, in each error), never keeps a token by itself,
// and keeps it in the plain-text TokenFile only once the user chose that in Settings: mode 0600,
// written whole and renamed over the old file, a file it cannot read left as it is.

#include "PrivateBus.h"
#include "platform/TokenFile.h"
#include "platform/TokenStore.h"
#include "ui/SettingsDialog.h"

#include <QApplication>
#include <QCheckBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace forgewire;
using namespace Qt::StringLiterals;

namespace {

const QUrl kServer(u"wss://git.example.org/-/ws"_s);

mode_t modeOf(const QString& path)
{
    struct stat info
    {
    };
    return ::stat(QFile::encodeName(path).constData(), &info) == 0 ? (info.st_mode & 0777) : 0;
}

QByteArray readToken(TokenStore& store, const QUrl& server, QString* error)
{
    bool answered = false;
    QByteArray token;
    store.read(server, [&](const QByteArray& t, const QString& e) {
        token = t;
        *error = e;
        answered = true;
    });
    (void)QTest::qWaitFor([&] { return answered; }, 10'000);
    if (!answered)
        *error = u"no answer"_s;
    return token;
}

QString writeToken(TokenStore& store, const QUrl& server, const QByteArray& token)
{
    bool answered = false;
    QString error;
    store.write(server, token, [&](const QString& e) {
        error = e;
        answered = true;
    });
    (void)QTest::qWaitFor([&] { return answered; }, 10'000);
    return answered ? error : u"no answer"_s;
}

} // namespace

class TestTokenFile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void fileIsPrivateAndWrittenWhole();
    void unreadableFileIsLeftAlone();
    void noKeyringIsSaidAndNothingIsKept();
    void chosenFileKeepsTheToken();
    void settingsOfferThePlainTextFile();

private:
    QTemporaryDir m_home;
    forgewire::test::PrivateBus m_bus;
};

void TestTokenFile::initTestCase()
{
    // Settings and the token file stay in the test's own XDG_CONFIG_HOME (not QStandardPaths' test
    // mode: TokenFile follows XDG_CONFIG_HOME, as the user's file does).
    QCoreApplication::setOrganizationName(u"forgewire-test"_s);
    QCoreApplication::setApplicationName(u"tst_tokenfile"_s);
    QVERIFY(m_home.isValid());
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_home.filePath(u"config"_s)));
    if (forgewire::test::PrivateBus::daemonExecutable().isEmpty())
        QSKIP("dbus-daemon is not installed (Debian: dbus); a private session bus is needed");
    QVERIFY(m_bus.start());
    // A session bus with nothing on it: no keyring, registered or activatable.
    qputenv("DBUS_SESSION_BUS_ADDRESS", m_bus.address().toUtf8());
    QSettings().clear();
}

void TestTokenFile::fileIsPrivateAndWrittenWhole()
{
    const QString path = m_home.filePath(u"a/forgewire/tokens"_s);
    const TokenFile file(path);
    QString error;
    QCOMPARE(file.read(u"k"_s, &error), QByteArray());
    QCOMPARE(error, QString()); // no file is no error
    QCOMPARE(file.write(u"wss://one/-/ws"_s, "token-1"), QString());
    QCOMPARE(file.write(u"wss://two/-/ws"_s, "token-2"), QString());
    QCOMPARE(modeOf(path), mode_t(0600));
    QCOMPARE(modeOf(QFileInfo(path).absolutePath()), mode_t(0700));
    QCOMPARE(file.read(u"wss://one/-/ws"_s, &error), QByteArray("token-1"));
    QCOMPARE(file.read(u"wss://two/-/ws"_s, &error), QByteArray("token-2"));
    QCOMPARE(file.write(u"wss://one/-/ws"_s, {}), QString());
    QCOMPARE(file.read(u"wss://one/-/ws"_s, &error), QByteArray());
    QCOMPARE(file.read(u"wss://two/-/ws"_s, &error), QByteArray("token-2"));
    // Renamed into place: nothing is left beside it.
    QCOMPARE(QDir(QFileInfo(path).absolutePath()).entryList(QDir::Files), QStringList{u"tokens"_s});
    // Its default place follows XDG_CONFIG_HOME.
    QCOMPARE(TokenFile::defaultPath(), m_home.filePath(u"config/forgewire/tokens"_s));
}

void TestTokenFile::unreadableFileIsLeftAlone()
{
    const QString path = m_home.filePath(u"b/tokens"_s);
    QVERIFY(QDir().mkpath(QFileInfo(path).absolutePath()));
    QFile junk(path);
    QVERIFY(junk.open(QIODevice::WriteOnly));
    junk.write("not json, maybe the user's own notes");
    junk.close();
    const TokenFile file(path);
    QString error;
    QCOMPARE(file.read(u"k"_s, &error), QByteArray());
    QVERIFY2(error.contains(u"not a JSON object"_s), qPrintable(error));
    QVERIFY(!file.write(u"k"_s, "t").isEmpty());
    QVERIFY(junk.open(QIODevice::ReadOnly));
    QCOMPARE(junk.readAll(), QByteArray("not json, maybe the user's own notes"));
}

void TestTokenFile::noKeyringIsSaidAndNothingIsKept()
{
    QCOMPARE(TokenStore::keyringProblem(), u"no Secret Service or KWallet on the D-Bus session bus"_s);
    QCOMPARE(TokenStore::chosenFile(), QString()); // never chosen for the user
    TokenStore store;
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"^no keyring found: no Secret Service"_s));
    QString error;
    QCOMPARE(readToken(store, kServer, &error), QByteArray());
    QVERIFY2(error.startsWith(u"no keyring found: "_s), qPrintable(error));
    // Said in the log once, in every error.
    QVERIFY(writeToken(store, kServer, "secret").startsWith(u"no keyring found: "_s));
    QVERIFY(!QFile::exists(TokenFile::defaultPath()));
}

void TestTokenFile::chosenFileKeepsTheToken()
{
    TokenStore::choose(true);
    QCOMPARE(TokenStore::chosenFile(), TokenFile::defaultPath());
    TokenStore store;
    store.useFile(TokenStore::chosenFile());
    QCOMPARE(writeToken(store, kServer, "secret"), QString());
    QString error;
    QCOMPARE(readToken(store, QUrl(u"wss://me@git.example.org/-/ws?x=1"_s), &error), QByteArray("secret"));
    QCOMPARE(error, QString());
    QCOMPARE(modeOf(TokenFile::defaultPath()), mode_t(0600));
    TokenStore::choose(false);
    QCOMPARE(TokenStore::chosenFile(), QString());
}

void TestTokenFile::settingsOfferThePlainTextFile()
{
    SettingsDialog dialog(TraySettings{}, false, false);
    const auto checkBoxes = dialog.findChildren<QCheckBox*>(Qt::FindDirectChildrenOnly);
    QCheckBox* plain = checkBoxes.last();
    dialog.show();
    QVERIFY(!plain->isVisible()); // with a keyring there is nothing to choose
    dialog.setTokenStorage(TokenStore::keyringProblem(), false);
    QVERIFY(plain->isVisible());
    QVERIFY(!plain->isChecked()); // opt-in, never chosen for the user
    QVERIFY(plain->text().contains(u"plain-text file"_s));
    QVERIFY(plain->text().contains(TokenFile::defaultPath()));
    bool said = false;
    for (QLabel* label : dialog.findChildren<QLabel*>())
        said |= label->isVisible() && label->text().startsWith(u"No keyring found: no Secret Service"_s);
    QVERIFY(said);
    plain->setChecked(true);
    QVERIFY(dialog.plainTextTokenFile());
}

QTEST_MAIN(TestTokenFile)
#include "tst_tokenfile.moc"
