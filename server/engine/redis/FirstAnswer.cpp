#include "engine/redis/FirstAnswer.h"

#include "engine/redis/RedisConnection.h"

#include <QTimer>

#include <utility>

namespace forgewire {

using namespace Qt::StringLiterals;

FirstAnswer::FirstAnswer(const QString& name, QList<Server> servers, int timeoutMs, QObject* parent)
    : QObject(parent), m_name(name), m_servers(std::move(servers)), m_timeoutMs(timeoutMs)
{}

FirstAnswer::~FirstAnswer()
{
    // Before the callbacks go: the connection drops its pending handlers unrun.
    delete m_connection;
}

void FirstAnswer::setCredentials(const QByteArray& user, const QByteArray& password)
{
    m_user = user;
    m_password = password;
}

void FirstAnswer::setServers(QList<Server> servers)
{
    const std::optional<Server> current =
        m_servers.isEmpty() ? std::nullopt : std::optional<Server>(m_servers.at(m_current));
    m_servers = std::move(servers);
    m_current = current ? std::max<qsizetype>(m_servers.indexOf(*current), 0) : 0;
    if (current && !m_servers.contains(*current) && !m_asking)
        dropConnection();
}

bool FirstAnswer::ask(const QByteArrayList& command, Check check, Done done)
{
    if (m_asking)
        return false;
    m_asking = true;
    m_tried = 0;
    m_errors.clear();
    m_command = command;
    m_check = std::move(check);
    m_done = std::move(done);
    if (m_servers.isEmpty()) {
        QTimer::singleShot(0, this, [this] { finish(std::nullopt, u"no server to ask"_s); });
        return true;
    }
    // Never from within ask(): the caller may not be ready for its answer yet.
    QTimer::singleShot(0, this, &FirstAnswer::send);
    return true;
}

void FirstAnswer::send()
{
    if (!m_asking)
        return;
    if (!m_connection || !m_connection->isConnected()) {
        open();
        return;
    }
    const Server server = m_servers.at(m_current);
    const bool sent = m_connection->command(m_command, [this, server](const redisReply* reply) {
        if (!reply)
            return; // the connection reports its own loss (failed())
        const QString why = m_check(reply, server);
        if (!why.isEmpty()) {
            failed(why);
            return;
        }
        finish(server, {});
    });
    if (!sent)
        failed(u"cannot send"_s);
}

void FirstAnswer::open()
{
    dropConnection();
    m_connection = new RedisConnection(m_name, this);
    m_connection->setCredentials(m_user, m_password);
    connect(m_connection, &RedisConnection::connected, this, &FirstAnswer::send);
    connect(m_connection, &RedisConnection::disconnected, this, &FirstAnswer::failed);
    const Server server = m_servers.at(m_current);
    m_connection->open(server.host, server.port, 0, m_timeoutMs);
}

void FirstAnswer::failed(const QString& reason)
{
    m_errors.append(u"%1: %2"_s.arg(m_servers.at(m_current).toString(), reason));
    // The next question goes to the next server, whether or not this one goes on.
    m_current = (m_current + 1) % m_servers.size();
    dropConnection();
    if (!m_asking)
        return;
    if (++m_tried >= m_servers.size()) {
        finish(std::nullopt, m_errors.join(u"; "_s));
        return;
    }
    open();
}

void FirstAnswer::finish(std::optional<Server> answered, const QString& error)
{
    m_asking = false;
    m_check = {};
    const Done done = std::exchange(m_done, {});
    done(answered, error);
}

void FirstAnswer::dropConnection()
{
    if (!m_connection)
        return;
    std::exchange(m_connection, nullptr)->discard();
}

} // namespace forgewire
