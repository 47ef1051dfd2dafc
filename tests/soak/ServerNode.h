#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QProcess>
#include <QStringList>

namespace forgewire {

// One forgewire-server process under the soak: started on fixed ports and a state file so a
// restart after `kill -9` or SIGTERM comes back where clients and the publisher expect it, with its
// RSS and open descriptors read from /proc.
class ServerNode : public QObject
{
    Q_OBJECT
public:
    struct Sample
    {
        qint64 rssBytes = -1;
        int descriptors = -1;
    };

    ServerNode(const QString& binary, const QStringList& arguments, quint16 port, quint16 adminPort,
               const QString& logFile, QObject* parent = nullptr);
    ~ServerNode() override;

    // Starts the process and waits until /readyz answers 200; false (with why()) otherwise.
    bool start(int timeoutMs);
    // SIGKILL, then waits for the process to be gone.
    void kill();
    // SIGTERM; the time until the process exits is msSinceTerminate() once finished() fired.
    void terminate();
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    // True while the process runs because we started it and have not stopped it ourselves: an exit
    // then is a crash.
    bool crashed() const { return m_crashed; }
    qint64 pid() const { return m_process.processId(); }
    quint16 port() const { return m_port; }
    quint16 adminPort() const { return m_adminPort; }
    qint64 msSinceTerminate() const { return m_terminated.isValid() ? m_terminated.elapsed() : -1; }
    int exitCode() const { return m_process.exitCode(); }
    const QString& why() const { return m_why; }
    Sample sample() const;
    // A blocking GET on the admin port: the status (0: no answer) and the body.
    int get(const QByteArray& path, QByteArray* body = nullptr, int timeoutMs = 2000) const;

Q_SIGNALS:
    void finished();

private:
    QProcess m_process;
    QString m_binary;
    QStringList m_arguments;
    quint16 m_port;
    quint16 m_adminPort;
    QString m_logFile;
    QString m_why;
    QElapsedTimer m_terminated;
    bool m_stopping = false;
    bool m_crashed = false;
};

} // namespace forgewire
