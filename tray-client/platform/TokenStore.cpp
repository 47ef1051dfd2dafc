#include "platform/TokenStore.h"

#include "app/TrayLogging.h"
#include "platform/TokenFile.h"

#include <QSettings>
#include <qt6keychain/keychain.h>

#if defined(Q_OS_UNIX) && !defined(Q_OS_MACOS)
#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusReply>
#endif

namespace forgewire {

using namespace Qt::StringLiterals;

void TokenStore::useFile(const QString& file)
{
    m_file = file;
}

QString TokenStore::chosenFile()
{
    return QSettings().value(kFileStoreSetting, false).toBool() ? TokenFile::defaultPath() : QString();
}

void TokenStore::choose(bool plainTextFile)
{
    QSettings().setValue(kFileStoreSetting, plainTextFile);
}

QString TokenStore::keyringProblem()
{
#if defined(Q_OS_UNIX) && !defined(Q_OS_MACOS)
    QDBusConnection bus = QDBusConnection::sessionBus();
    if (!bus.isConnected())
        return u"no D-Bus session bus"_s;
    const QStringList keyrings{u"org.freedesktop.secrets"_s, u"org.kde.kwalletd6"_s, u"org.kde.kwalletd5"_s,
                               u"org.kde.kwalletd"_s};
    QStringList names = bus.interface()->registeredServiceNames().value();
    const QDBusReply<QStringList> activatable = bus.interface()->call(u"ListActivatableNames"_s);
    if (activatable.isValid())
        names += activatable.value();
    for (const QString& keyring : keyrings) {
        if (names.contains(keyring))
            return {};
    }
    return u"no Secret Service or KWallet on the D-Bus session bus"_s;
#else
    return {};
#endif
}

QString TokenStore::describeKeychainError(const QString& error)
{
    const QString problem = keyringProblem();
    if (problem.isEmpty())
        return error;
    // Said once: every account's read would repeat it.
    static bool said = false;
    if (!std::exchange(said, true))
        qCWarning(lcTray).noquote()
            << "no keyring found:" << problem
            << "- no token can be kept; choose the plain-text token file in Settings, "
               "or give one with FORGEWIRE_TOKEN or --token-file";
    return u"no keyring found: "_s + problem;
}

TokenStore::TokenStore(QObject* parent) : QObject(parent)
{}

QString TokenStore::keyFor(const QUrl& server)
{
    return server.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo).toString();
}

void TokenStore::read(const QUrl& server, ReadDone done)
{
    if (usesFile()) {
        QString error;
        const QByteArray token = TokenFile(m_file).read(keyFor(server), &error);
        if (!error.isEmpty())
            qCWarning(lcTray).noquote() << "token file:" << error;
        done(token, error);
        return;
    }
    auto* job = new QKeychain::ReadPasswordJob(kService, this);
    job->setInsecureFallback(false);
    job->setKey(keyFor(server));
    connect(job, &QKeychain::Job::finished, this, [job, done = std::move(done)] {
        if (job->error() == QKeychain::EntryNotFound) {
            done({}, {});
        } else if (job->error() != QKeychain::NoError) {
            const QString error = describeKeychainError(job->errorString());
            if (error == job->errorString())
                qCWarning(lcTray) << "keychain read failed:" << error;
            done({}, error);
        } else {
            done(job->binaryData(), {});
        }
    });
    job->start();
}

void TokenStore::write(const QUrl& server, const QByteArray& token, WriteDone done)
{
    if (usesFile()) {
        const QString error = TokenFile(m_file).write(keyFor(server), token);
        if (!error.isEmpty())
            qCWarning(lcTray).noquote() << "token file:" << error;
        done(error);
        return;
    }
    QKeychain::Job* job = nullptr;
    if (token.isEmpty()) {
        auto* remove = new QKeychain::DeletePasswordJob(kService, this);
        job = remove;
    } else {
        auto* store = new QKeychain::WritePasswordJob(kService, this);
        store->setBinaryData(token);
        job = store;
    }
    job->setInsecureFallback(false);
    job->setKey(keyFor(server));
    connect(job, &QKeychain::Job::finished, this, [job, done = std::move(done)] {
        const bool ok = job->error() == QKeychain::NoError || job->error() == QKeychain::EntryNotFound;
        QString error;
        if (!ok) {
            error = describeKeychainError(job->errorString());
            if (error == job->errorString())
                qCWarning(lcTray) << "keychain write failed:" << error;
        }
        done(error);
    });
    job->start();
}

void TokenStore::move(const QUrl& from, const QUrl& to, WriteDone done)
{
    if (from.isEmpty() || keyFor(from) == keyFor(to)) {
        done({});
        return;
    }
    read(from, [this, from, to, done = std::move(done)](const QByteArray& token, const QString& readError) {
        if (!readError.isEmpty() || token.isEmpty()) {
            done(readError);
            return;
        }
        write(to, token, [this, from, done](const QString& writeError) {
            if (!writeError.isEmpty()) {
                done(writeError);
                return;
            }
            // The token is safe under its new key; a stale copy under the old one (write() logged why)
            // is not worth an error.
            write(from, {}, [done](const QString&) { done({}); });
        });
    });
}

} // namespace forgewire
