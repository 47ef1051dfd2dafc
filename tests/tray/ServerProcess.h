#pragma once

// The real forgewire-server binary, started by a test on free loopback ports; it can be killed and
// started again on the same ports and state file to test recovery.

#include "TestSupport.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QUrl>

namespace forgewire::test {

class ServerProcess
{
public:
    // A static token from the INI file: user 7 (alice), session `tray-session`.
    static inline const QByteArray kStaticToken = "tray-test-token";
    static inline const QString kStaticSession = QStringLiteral("tray-session");

    ServerProcess();
    ~ServerProcess();

    // The binary comes from FORGEWIRE_SERVER_BIN; an empty QString means it could not be found.
    static QString binary();

    // Appended to the command line of every start (e.g. --forge-url for bridge mode).
    void setExtraArguments(const QStringList& arguments) { m_extraArguments = arguments; }

    // Starts and waits for /readyz. Ports are picked on the first start and kept afterwards.
    bool start(QString* error);
    // SIGKILL: no close frames, no draining, like a crash or a power cut.
    void kill();
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }

    quint16 port() const { return m_port; }
    QUrl wsUrl() const;
    QUrl adminUrl(const QString& path) const;
    // Publish API call with the publisher secret.
    HttpReply admin(const QByteArray& method, const QString& path, const QByteArray& body = {}) const;

private:
    QTemporaryDir m_dir;
    QProcess m_process;
    quint16 m_port = 0;
    quint16 m_adminPort = 0;
    QStringList m_extraArguments;
};

} // namespace forgewire::test
