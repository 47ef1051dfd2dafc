#pragma once

#include <QByteArrayList>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

#include "engine/redis/RedisAddress.h"

#include <functional>
#include <optional>

struct redisReply;

namespace forgewire {

class RedisConnection;

// Asks one command of several Redis servers in turn until one gives an answer the caller can use:
// how Redis Sentinel and Redis Cluster clients learn where things are, since any of the servers
// they were given may be down. Each server gets at most the timeout (connecting included); the
// connection to the one that answered is kept, and the next question starts there.
class FirstAnswer : public QObject
{
    Q_OBJECT
public:
    using Server = RedisEndpoint;
    // Empty when `reply` is usable; otherwise why not, and the next server is asked.
    using Check = std::function<QString(const redisReply* reply, const Server& from)>;
    // The server whose reply passed the check, or nullopt with each server's reason.
    using Done = std::function<void(std::optional<Server> answered, const QString& error)>;

    FirstAnswer(const QString& name, QList<Server> servers, int timeoutMs, QObject* parent = nullptr);
    ~FirstAnswer() override;

    void setCredentials(const QByteArray& user, const QByteArray& password);
    // Servers to ask from now on; the current one stays first if it is still listed.
    void setServers(QList<Server> servers);
    const QList<Server>& servers() const { return m_servers; }
    bool isAsking() const { return m_asking; }

    // One question at a time: while one is on its way this returns false and `done` is not called.
    // Otherwise `done` runs exactly once, never from within this call.
    bool ask(const QByteArrayList& command, Check check, Done done);

private:
    void send();
    void open();
    void failed(const QString& reason);
    void finish(std::optional<Server> answered, const QString& error);
    void dropConnection();

    QString m_name;
    QList<Server> m_servers;
    int m_timeoutMs;
    QByteArray m_user;
    QByteArray m_password;
    qsizetype m_current = 0;
    qsizetype m_tried = 0;
    QStringList m_errors;
    bool m_asking = false;
    QByteArrayList m_command;
    Check m_check;
    Done m_done;
    RedisConnection* m_connection = nullptr;
};

} // namespace forgewire
