// Several accounts: the settings layout, the migration of the single-account settings of earlier
// versions (from a real old-format file), the checks Settings applies, and what the one icon makes of
// several accounts (total badge, split tooltip, status).

#include "model/AccountSet.h"
#include "model/SavedAccounts.h"
#include "model/TrayController.h"

#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace forgewire;

Q_DECLARE_METATYPE(forgewire::TraySettings)
using namespace Qt::StringLiterals;

class TestSavedAccounts : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void migratesTheSingleAccountFile();
    void migrationKeepsDefaults();
    void roundTripOfSeveralAccounts();
    void shorterListDropsTheTail();
    void firstAccountIsTheSingleAccountView();
    void check_data();
    void check();
    void accountSetTotalsAndSplits();
    void accountSetForgetsDestroyedControllers();
};

namespace {

TraySettings account(const QString& name, const QString& server, const QString& forge = {})
{
    TraySettings s;
    s.name = name;
    s.serverUrl = QUrl(server);
    s.forgeUrl = QUrl(forge);
    return s;
}

} // namespace

void TestSavedAccounts::migratesTheSingleAccountFile()
{
    // What forgewire-tray 0.x wrote (QSettings' INI format, as found on disk).
    QTemporaryDir dir;
    const QString path = dir.filePath(u"forgewire-tray.conf"_s);
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("[server]\nurl=wss://push.codeberg.example/-/ws\n\n"
                   "[forge]\nurl=https://codeberg.example\n\n"
                   "[boards]\nwatched=\"42, 57\"\nnotifications=false\n");
    }
    {
        QSettings settings(path, QSettings::IniFormat);
        QVERIFY(SavedAccounts::needsMigration(settings));
        const SavedAccounts saved = SavedAccounts::load(settings);
        QCOMPARE(saved.accounts.size(), 1);
        const TraySettings& first = saved.accounts.first();
        QCOMPARE(first.serverUrl, QUrl(u"wss://push.codeberg.example/-/ws"_s));
        QCOMPARE(first.forgeUrl, QUrl(u"https://codeberg.example"_s));
        QCOMPARE(first.watchedBoards, (QList<qint64>{42, 57}));
        QCOMPARE(first.boardNotifications, false);
        QCOMPARE(first.displayName(), u"push.codeberg.example"_s);
    }
    // Written back in the new layout, the old keys gone: a second load reads the same without migrating.
    QSettings settings(path, QSettings::IniFormat);
    QVERIFY(!SavedAccounts::needsMigration(settings));
    QVERIFY(!settings.contains(u"server/url"_s));
    QVERIFY(!settings.contains(u"boards/watched"_s));
    QCOMPARE(settings.value(u"accounts/size"_s).toInt(), 1);
    const SavedAccounts again = SavedAccounts::load(settings);
    QCOMPARE(again.accounts.size(), 1);
    QCOMPARE(again.accounts.first().watchedBoards, (QList<qint64>{42, 57}));
}

void TestSavedAccounts::migrationKeepsDefaults()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"only-server.conf"_s);
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("[server]\nurl=ws://localhost:8080/-/ws\n");
    }
    QSettings settings(path, QSettings::IniFormat);
    const SavedAccounts saved = SavedAccounts::load(settings);
    QCOMPARE(saved.accounts.size(), 1);
    QVERIFY(saved.accounts.first().boardNotifications);
    QVERIFY(saved.accounts.first().forgeUrl.isEmpty());

    // A fresh install has nothing to migrate and no account.
    QSettings empty(dir.filePath(u"empty.conf"_s), QSettings::IniFormat);
    QVERIFY(!SavedAccounts::needsMigration(empty));
    QVERIFY(SavedAccounts::load(empty).accounts.isEmpty());
}

void TestSavedAccounts::roundTripOfSeveralAccounts()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"tray.conf"_s);
    SavedAccounts saved;
    saved.accounts = {
        account(u"Codeberg"_s, u"wss://push.codeberg.example/-/ws"_s, u"https://codeberg.example"_s),
        account(u"Work"_s, u"wss://git.work.example/push/-/ws"_s, u"https://git.work.example"_s)};
    saved.accounts[1].watchedBoards = {7};
    saved.accounts[1].boardNotifications = false;
    {
        QSettings settings(path, QSettings::IniFormat);
        saved.save(settings);
    }
    QSettings settings(path, QSettings::IniFormat);
    QCOMPARE(SavedAccounts::load(settings), saved);
}

void TestSavedAccounts::shorterListDropsTheTail()
{
    QTemporaryDir dir;
    QSettings settings(dir.filePath(u"tray.conf"_s), QSettings::IniFormat);
    SavedAccounts{{account(u"A"_s, u"ws://a/-/ws"_s), account(u"B"_s, u"ws://b/-/ws"_s)}}.save(settings);
    SavedAccounts{{account(u"A"_s, u"ws://a/-/ws"_s)}}.save(settings);
    QCOMPARE(SavedAccounts::load(settings).accounts.size(), 1);
    QVERIFY(!settings.contains(u"accounts/2/server_url"_s));
}

void TestSavedAccounts::firstAccountIsTheSingleAccountView()
{
    QTemporaryDir dir;
    QSettings settings(dir.filePath(u"tray.conf"_s), QSettings::IniFormat);
    SavedAccounts{{account(u"A"_s, u"ws://a/-/ws"_s), account(u"B"_s, u"ws://b/-/ws"_s)}}.save(settings);
    // --headless and the command line use the first account.
    QCOMPARE(TraySettings::load(settings).name, u"A"_s);
}

void TestSavedAccounts::check_data()
{
    QTest::addColumn<QList<TraySettings>>("accounts");
    QTest::addColumn<QString>("problem");
    QTest::newRow("none") << QList<TraySettings>{} << QString();
    QTest::newRow("two servers") << QList<TraySettings>{account(u"A"_s, u"ws://a/-/ws"_s),
                                                        account(u"B"_s, u"ws://b/-/ws"_s)}
                                 << QString();
    QTest::newRow("same server twice")
        << QList<TraySettings>{account(u"A"_s, u"ws://a/-/ws"_s), account(u"B"_s, u"ws://me@a/-/ws"_s)}
        << u"B: another account already uses this server URL."_s;
    QTest::newRow("bad server names the account")
        << QList<TraySettings>{account(u"A"_s, u"ws://a/-/ws"_s), account(u"Work"_s, u"http://b/-/ws"_s)}
        << u"Work: The server URL must start with ws:// or wss://"_s;
    QList<TraySettings> many;
    for (int i = 0; i <= SavedAccounts::kMaxAccounts; ++i)
        many.append(account(QString::number(i), u"ws://h%1/-/ws"_s.arg(i)));
    QTest::newRow("too many") << many << u"At most 16 accounts"_s;
}

void TestSavedAccounts::check()
{
    QFETCH(QList<TraySettings>, accounts);
    QFETCH(QString, problem);
    const QString found = SavedAccounts::check(accounts);
    if (problem.isEmpty())
        QCOMPARE(found, QString());
    else
        QVERIFY2(found.startsWith(problem), qPrintable(found));
}

void TestSavedAccounts::accountSetTotalsAndSplits()
{
    TrayController codeberg, work;
    AccountSet set;
    QSignalSpy changed(&set, &AccountSet::changed);
    set.add(&codeberg, u"Codeberg"_s);
    set.add(&work, u"Work"_s);
    QCOMPARE(set.size(), 2);
    QCOMPARE(set.totalUnread(), 0);
    QCOMPARE(set.overallStatus(), TrayState::Status::Offline);

    codeberg.state().setConnectionState(SharedConnection::State::Connected);
    codeberg.state().apply(protocol::Hello{protocol::UserInfo{7, u"alice"_s}, u"s"_s, 25});
    codeberg.state().apply(protocol::NotificationCount{3});
    work.state().setConnectionState(SharedConnection::State::Reconnecting, 2000);
    work.state().apply(protocol::Hello{protocol::UserInfo{9, u"alice.w"_s}, u"s"_s, 25});
    work.state().apply(protocol::NotificationCount{4});
    QVERIFY(changed.size() > 2);

    QCOMPARE(set.totalUnread(), 7);
    // One account live is enough for the connected look; the tooltip tells which.
    QCOMPARE(set.overallStatus(), TrayState::Status::Connected);
    const QStringList lines = set.tooltip().split(u'\n');
    QCOMPARE(lines.value(1), u"7 unread notifications in total"_s);
    QVERIFY2(lines.value(2).startsWith(u"Codeberg: 3 unread · Connected as alice"_s),
             qPrintable(lines.value(2)));
    QVERIFY2(lines.value(3).startsWith(u"Work: 4 unread · "_s), qPrintable(lines.value(3)));

    set.setName(&work, u"Day job"_s);
    QVERIFY(set.tooltip().contains(u"Day job: 4 unread"_s));

    // A single account keeps the single-account tooltip.
    set.remove(&work);
    QCOMPARE(set.tooltip(), codeberg.state().tooltip());
    QCOMPARE(set.totalUnread(), 3);
}

void TestSavedAccounts::accountSetForgetsDestroyedControllers()
{
    AccountSet set;
    QSignalSpy accounts(&set, &AccountSet::accountsChanged);
    {
        TrayController gone;
        set.add(&gone, u"Gone"_s);
        gone.state().apply(protocol::NotificationCount{5});
    }
    QCOMPARE(set.size(), 0);
    QCOMPARE(accounts.size(), 2);
    QCOMPARE(set.totalUnread(), 0);
}

QTEST_GUILESS_MAIN(TestSavedAccounts)
#include "tst_savedaccounts.moc"
