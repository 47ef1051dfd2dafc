#pragma once

#include <QProcess>
#include <QString>

namespace forgewire::test {

// A dbus-daemon of the test's own, so the notification servers and wallets that tests play never
// meet the user's session bus.
class PrivateBus
{
public:
    ~PrivateBus() { stop(); }

    // Empty when dbus-daemon is not installed (Debian: dbus); the test should skip then.
    static QString daemonExecutable();
    // Starts the daemon and waits for its address; false if it did not come up.
    bool start();
    void stop();
    const QString& address() const { return m_address; }

private:
    QProcess m_daemon;
    QString m_address;
};

} // namespace forgewire::test
