#include "PrivateBus.h"

#include <QDeadlineTimer>
#include <QStandardPaths>

namespace forgewire::test {

using namespace Qt::StringLiterals;

QString PrivateBus::daemonExecutable()
{
    return QStandardPaths::findExecutable(u"dbus-daemon"_s);
}

bool PrivateBus::start()
{
    m_daemon.start(daemonExecutable(), {u"--session"_s, u"--nofork"_s, u"--print-address=1"_s});
    if (!m_daemon.waitForStarted())
        return false;
    QDeadlineTimer deadline(5000);
    while (!m_daemon.canReadLine() && !deadline.hasExpired())
        m_daemon.waitForReadyRead(100);
    m_address = QString::fromUtf8(m_daemon.readLine().trimmed());
    return !m_address.isEmpty();
}

void PrivateBus::stop()
{
    if (m_daemon.state() == QProcess::NotRunning)
        return;
    m_daemon.kill();
    m_daemon.waitForFinished();
}

} // namespace forgewire::test
