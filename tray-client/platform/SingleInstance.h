#pragma once

#include <QLocalServer>
#include <QLockFile>
#include <QObject>
#include <QString>

#include <memory>

namespace forgewire {

// One tray per user session: a lock file decides who runs, and a local socket lets a second start
// ask the running instance to show itself instead of putting a second icon in the tray.
class SingleInstance : public QObject
{
    Q_OBJECT
public:
    static constexpr int kMessageTimeoutMs = 1000;

    // `directory` holds the lock and the socket; by default the user's runtime directory.
    explicit SingleInstance(const QString& name, const QString& directory = {}, QObject* parent = nullptr);
    ~SingleInstance() override;

    // True when this process is now the instance. False when another one runs; it was asked to
    // show itself.
    bool acquire();
    bool isPrimary() const { return m_server != nullptr; }

Q_SIGNALS:
    // Another start of the application wants this one to show itself.
    void activationRequested();

private:
    QString m_socketPath;
    QLockFile m_lock;
    std::unique_ptr<QLocalServer> m_server;
};

} // namespace forgewire
