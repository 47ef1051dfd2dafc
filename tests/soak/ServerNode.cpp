#include "ServerNode.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>

#include <signal.h>
#include <sys/prctl.h>

namespace forgewire {

using namespace Qt::StringLiterals;

ServerNode::ServerNode(const QString& binary, const QStringList& arguments, quint16 port, quint16 adminPort,
                       const QString& logFile, QObject* parent)
    : QObject(parent), m_binary(binary), m_arguments(arguments), m_port(port), m_adminPort(adminPort),
      m_logFile(logFile)
{
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    // A soak stopped by its own timeout must not leave servers behind on the machine.
    m_process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    connect(&m_process, &QProcess::finished, this, [this] {
        if (!m_stopping)
            m_crashed = true;
        Q_EMIT finished();
    });
}

ServerNode::~ServerNode()
{
    if (isRunning()) {
        m_stopping = true;
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

bool ServerNode::start(int timeoutMs)
{
    m_stopping = false;
    m_crashed = false;
    m_terminated.invalidate();
    m_process.setStandardOutputFile(m_logFile, QIODevice::Append);
    QStringList arguments = m_arguments;
    arguments << u"--port"_s << QString::number(m_port) << u"--admin-port"_s << QString::number(m_adminPort);
    m_process.start(m_binary, arguments);
    if (!m_process.waitForStarted(timeoutMs)) {
        m_why = u"could not start %1: %2"_s.arg(m_binary, m_process.errorString());
        return false;
    }
    QElapsedTimer waited;
    waited.start();
    while (waited.elapsed() < timeoutMs) {
        if (m_process.state() == QProcess::NotRunning) {
            m_why = u"exited with %1 while starting (see %2)"_s.arg(m_process.exitCode()).arg(m_logFile);
            return false;
        }
        if (get("/readyz", nullptr, 500) == 200)
            return true;
        QEventLoop loop;
        QTimer::singleShot(50, &loop, &QEventLoop::quit);
        loop.exec();
    }
    m_why = u"not ready within %1 ms (see %2)"_s.arg(timeoutMs).arg(m_logFile);
    return false;
}

void ServerNode::kill()
{
    if (!isRunning())
        return;
    m_stopping = true;
    ::kill(pid_t(m_process.processId()), SIGKILL);
    m_process.waitForFinished(10000);
}

void ServerNode::terminate()
{
    if (!isRunning())
        return;
    m_stopping = true;
    m_terminated.start();
    ::kill(pid_t(m_process.processId()), SIGTERM);
}

int ServerNode::get(const QByteArray& path, QByteArray* body, int timeoutMs) const
{
    QTcpSocket socket;
    socket.connectToHost(u"127.0.0.1"_s, m_adminPort);
    if (!socket.waitForConnected(timeoutMs))
        return 0;
    socket.write("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    QByteArray response;
    while (socket.waitForReadyRead(timeoutMs))
        response += socket.readAll();
    response += socket.readAll();
    const qsizetype headEnd = response.indexOf("\r\n\r\n");
    if (body)
        *body = headEnd < 0 ? QByteArray() : response.mid(headEnd + 4);
    const QList<QByteArray> status = response.left(response.indexOf("\r\n")).split(' ');
    return status.size() > 1 ? status.at(1).toInt() : 0;
}

ServerNode::Sample ServerNode::sample() const
{
    Sample sample;
    const qint64 id = m_process.processId();
    if (id <= 0 || !isRunning())
        return sample;
    QFile status(u"/proc/%1/status"_s.arg(id));
    if (status.open(QIODevice::ReadOnly)) {
        for (const QByteArray& line : status.readAll().split('\n')) {
            if (line.startsWith("VmRSS:"))
                sample.rssBytes = line.mid(6).trimmed().split(' ').first().toLongLong() * 1024;
        }
    }
    sample.descriptors = int(QDir(u"/proc/%1/fd"_s.arg(id))
                                 .entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::System)
                                 .size());
    return sample;
}

} // namespace forgewire
