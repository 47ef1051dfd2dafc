#include "platform/TokenStore.h"

#include "app/TrayLogging.h"

#include <qt6keychain/keychain.h>

namespace forgewire {

TokenStore::TokenStore(QObject* parent) : QObject(parent)
{}

QString TokenStore::keyFor(const QUrl& server)
{
    return server.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo).toString();
}

void TokenStore::read(const QUrl& server, ReadDone done)
{
    auto* job = new QKeychain::ReadPasswordJob(kService, this);
    job->setInsecureFallback(false);
    job->setKey(keyFor(server));
    connect(job, &QKeychain::Job::finished, this, [job, done = std::move(done)] {
        if (job->error() == QKeychain::EntryNotFound) {
            done({}, {});
        } else if (job->error() != QKeychain::NoError) {
            qCWarning(lcTray) << "keychain read failed:" << job->errorString();
            done({}, job->errorString());
        } else {
            done(job->binaryData(), {});
        }
    });
    job->start();
}

void TokenStore::write(const QUrl& server, const QByteArray& token, WriteDone done)
{
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
        if (!ok)
            qCWarning(lcTray) << "keychain write failed:" << job->errorString();
        done(ok ? QString() : job->errorString());
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
