#include "ServerProcess.h"

#include <QFile>

#include <csignal>
#include <tuple>

namespace forgewire::test {

using namespace Qt::StringLiterals;

ServerProcess::ServerProcess()
{
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
}

ServerProcess::~ServerProcess()
{
    kill();
}

QString ServerProcess::binary()
{
    return qEnvironmentVariable("FORGEWIRE_SERVER_BIN");
}

bool ServerProcess::start(QString* error)
{
    if (binary().isEmpty() || !QFile::exists(binary())) {
        *error = u"forgewire-server not found (FORGEWIRE_SERVER_BIN=%1)"_s.arg(binary());
        return false;
    }
    if (m_port == 0) {
        std::tie(m_port, m_adminPort) = forgewire::test::freePorts();
        QFile config(m_dir.filePath(u"forgewire.ini"_s));
        if (!config.open(QIODevice::WriteOnly)) {
            *error = config.errorString();
            return false;
        }
        config.write("[static_tokens]\n" + kStaticToken + "=7:alice:" + kStaticSession.toUtf8() + "\n");
    }
    QStringList arguments{u"--config"_s,
                          m_dir.filePath(u"forgewire.ini"_s),
                          u"--listen"_s,
                          u"127.0.0.1"_s,
                          u"--port"_s,
                          QString::number(m_port),
                          u"--admin-port"_s,
                          QString::number(m_adminPort),
                          u"--state"_s,
                          m_dir.filePath(u"state.sqlite"_s),
                          u"--jwt-secret"_s,
                          QString::fromLatin1(kJwtSecret),
                          u"--publisher-secret"_s,
                          QString::fromLatin1(kPublisherSecret),
                          u"--workers"_s,
                          u"1"_s,
                          u"--log-level"_s,
                          u"warning"_s};
    m_process.start(binary(), arguments + m_extraArguments);
    if (!m_process.waitForStarted(kWaitMs)) {
        *error = m_process.errorString();
        return false;
    }
    const bool ready = waitFor([this] {
        return m_process.state() == QProcess::Running &&
               http("GET", adminUrl(u"/readyz"_s), {}, {}).status == 200;
    });
    if (!ready)
        *error = u"forgewire-server did not become ready on ports %1/%2"_s.arg(m_port).arg(m_adminPort);
    return ready;
}

void ServerProcess::kill()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    ::kill(static_cast<pid_t>(m_process.processId()), SIGKILL);
    m_process.waitForFinished(kWaitMs);
}

QUrl ServerProcess::wsUrl() const
{
    return QUrl(u"ws://127.0.0.1:%1/-/ws"_s.arg(m_port));
}

QUrl ServerProcess::adminUrl(const QString& path) const
{
    return QUrl(u"http://127.0.0.1:%1%2"_s.arg(m_adminPort).arg(path));
}

HttpReply ServerProcess::admin(const QByteArray& method, const QString& path, const QByteArray& body) const
{
    return http(method, adminUrl(path), body);
}

} // namespace forgewire::test
