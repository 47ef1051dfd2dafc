#include "engine/redis/SentinelLocator.h"

#include "config/ServerLogging.h"
#include "engine/redis/FirstAnswer.h"
#include "engine/redis/RedisConnection.h"
#include "metrics/PrometheusWriter.h"

#include <QUrl>
#include <QUrlQuery>

#include <hiredis/hiredis.h>

#include <memory>
#include <utility>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

constexpr auto kScheme = "redis-sentinel://";
constexpr auto kSwitchChannel = "+switch-master";
// Highest wait_replicas taken: more replicas than this is a typo, not a deployment.
constexpr int kMaxWaitReplicas = 16;

QString decoded(const QString& part)
{
    return QUrl::fromPercentEncoding(part.toUtf8());
}

QString text(const redisReply* reply)
{
    return reply ? QString::fromUtf8(reply->str, qsizetype(reply->len)) : QString();
}

} // namespace

std::optional<SentinelSettings> SentinelSettings::parseUrl(const QString& url, QString* error)
{
    const auto bad = [&](const QString& why) {
        *error = u"bad Redis Sentinel URL: %1 (expected redis-sentinel://[[user]:password@]host1:port1,"
                 "host2:port2/<master name>[?db=N&sentinel_password=...])"_s.arg(why);
        return std::nullopt;
    };
    if (!url.startsWith(QLatin1StringView(kScheme)))
        return bad(u"it does not start with redis-sentinel://"_s);
    const QString rest = url.mid(qsizetype(qstrlen(kScheme)));
    const qsizetype slash = rest.indexOf(u'/');
    if (slash < 0)
        return bad(u"no master name after the sentinels"_s);
    const QString pathAndQuery = rest.mid(slash + 1);
    QString why;
    const std::optional<RedisServerList> list =
        RedisServerList::parse(rest.left(slash), SentinelSettings::kDefaultSentinelPort, &why);
    if (!list)
        return bad(why.replace(u"server '"_s, u"sentinel '"_s));
    SentinelSettings settings;
    settings.sentinels = list->servers;
    settings.user = list->user;
    settings.password = list->password;
    if (settings.sentinels.size() > kMaxSentinels)
        return bad(u"more than %1 sentinels"_s.arg(kMaxSentinels));
    const qsizetype question = pathAndQuery.indexOf(u'?');
    settings.masterName = decoded(question < 0 ? pathAndQuery : pathAndQuery.left(question));
    if (settings.masterName.isEmpty() || settings.masterName.contains(u'/') ||
        settings.masterName.contains(u' '))
        return bad(u"the master name is empty or holds '/' or a space"_s);
    const QUrlQuery query(question < 0 ? QString() : pathAndQuery.mid(question + 1));
    for (const auto& [key, value] : query.queryItems(QUrl::FullyDecoded)) {
        bool ok = true;
        if (key == "db"_L1) {
            settings.db = value.toInt(&ok);
            ok = ok && settings.db >= 0;
        } else if (key == "wait_replicas"_L1) {
            settings.waitReplicas = value.toInt(&ok);
            ok = ok && settings.waitReplicas >= 0 && settings.waitReplicas <= kMaxWaitReplicas;
        } else if (key == "sentinel_user"_L1) {
            settings.sentinelUser = value;
        } else if (key == "sentinel_password"_L1) {
            settings.sentinelPassword = value;
        } else {
            return bad(u"unknown parameter '%1' (db, wait_replicas, sentinel_user, sentinel_password)"_s.arg(
                key.left(100)));
        }
        if (!ok)
            return bad(u"%1 must be a whole number%2"_s.arg(
                key, key == "wait_replicas"_L1 ? u" from 0 to %1"_s.arg(kMaxWaitReplicas) : QString()));
    }
    if (!settings.sentinelUser.isEmpty() && settings.sentinelPassword.isEmpty())
        return bad(u"sentinel_user without sentinel_password"_s);
    return settings;
}

SentinelLocator::SentinelLocator(SentinelSettings settings, QObject* parent)
    : QObject(parent), m_settings(std::move(settings)),
      m_asker(new FirstAnswer(u"sentinel"_s, m_settings.sentinels, kSentinelTimeoutMs, this))
{
    m_asker->setCredentials(m_settings.sentinelUser.toUtf8(), m_settings.sentinelPassword.toUtf8());
    m_recheckTimer.setInterval(kRecheckIntervalMs);
    connect(&m_recheckTimer, &QTimer::timeout, this,
            [this] { locate([](std::optional<Endpoint>, const QString&) {}); });
    m_watchRetryTimer.setSingleShot(true);
    connect(&m_watchRetryTimer, &QTimer::timeout, this, &SentinelLocator::openWatch);
}

SentinelLocator::~SentinelLocator()
{
    // Before the lists go: the connections drop their pending handlers unrun.
    delete m_asker;
    delete m_watch;
}

RedisConnection* SentinelLocator::newConnection(const QString& name)
{
    auto* connection = new RedisConnection(name, this);
    connection->setCredentials(m_settings.sentinelUser.toUtf8(), m_settings.sentinelPassword.toUtf8());
    return connection;
}

void SentinelLocator::start()
{
    m_recheckTimer.start();
    openWatch();
}

void SentinelLocator::locate(Answer answer)
{
    if (m_waiting.size() >= kMaxWaitingQuestions) {
        answer(std::nullopt, u"too many questions to the sentinels waiting"_s);
        return;
    }
    m_waiting.append(std::move(answer));
    if (m_asker->isAsking())
        return; // the question on its way answers this one too
    auto primary = std::make_shared<Endpoint>();
    const auto check = [this, primary](const redisReply* reply, const Endpoint&) -> QString {
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
            reply->element[0]->type != REDIS_REPLY_STRING || reply->element[1]->type != REDIS_REPLY_STRING) {
            // A sentinel that does not monitor this master (nil) or refuses (error): ask the next.
            return reply->type == REDIS_REPLY_ERROR
                       ? text(reply)
                       : u"does not know master '%1'"_s.arg(m_settings.masterName);
        }
        bool ok = false;
        const uint port = QByteArray(reply->element[1]->str, qsizetype(reply->element[1]->len)).toUInt(&ok);
        *primary = {text(reply->element[0]), quint16(port)};
        return !ok || port == 0 || port > 65535 || primary->host.isEmpty() ? u"named no usable address"_s
                                                                           : QString();
    };
    m_asker->ask({"SENTINEL", "get-master-addr-by-name", m_settings.masterName.toUtf8()}, check,
                 [this, primary](std::optional<Endpoint> answered, const QString& error) {
                     if (!answered) {
                         answerAll(std::nullopt, u"no sentinel answered (%1)"_s.arg(error));
                         return;
                     }
                     noteAnswer(*primary);
                     answerAll(*primary, {});
                 });
}

void SentinelLocator::answerAll(std::optional<Endpoint> primary, const QString& error)
{
    const QList<Answer> waiting = std::exchange(m_waiting, {});
    for (const Answer& answer : waiting)
        answer(primary, error);
}

void SentinelLocator::noteAnswer(const Endpoint& primary)
{
    const std::optional<Endpoint> before = std::exchange(m_lastKnown, primary);
    if (!before || *before == primary)
        return;
    ++m_switches;
    qCInfo(lcRedis).noquote() << "sentinels name" << primary.toString() << "as primary of"
                              << m_settings.masterName << "(was" << before->toString() + u')';
    Q_EMIT primaryChanged(primary.host, primary.port);
}

void SentinelLocator::openWatch()
{
    if (m_watch)
        m_watch->discard();
    m_watch = newConnection(u"sentinel watch"_s);
    connect(m_watch, &RedisConnection::connected, this, [this] {
        if (!m_watch->subscribe(kSwitchChannel))
            m_watch->close();
    });
    connect(m_watch, &RedisConnection::subscribed, this, [this] {
        m_watchFailures = 0;
        // A switch announced while no sentinel was watched is found by asking now.
        locate([](std::optional<Endpoint>, const QString&) {});
    });
    connect(m_watch, &RedisConnection::message, this, &SentinelLocator::onAnnouncement);
    connect(m_watch, &RedisConnection::disconnected, this, [this](const QString& reason) {
        qCDebug(lcRedis).noquote() << "sentinel watch on" << m_settings.sentinels.at(m_watchIndex).toString()
                                   << "lost:" << logSafe(reason);
        m_watchIndex = (m_watchIndex + 1) % m_settings.sentinels.size();
        // Straight to the next sentinel, but once all failed wait before going round again.
        const bool roundFailed = ++m_watchFailures % m_settings.sentinels.size() == 0;
        m_watchRetryTimer.start(roundFailed ? kWatchRetryMs : 0);
    });
    const Endpoint sentinel = m_settings.sentinels.at(m_watchIndex);
    m_watch->open(sentinel.host, sentinel.port, 0, kSentinelTimeoutMs);
}

void SentinelLocator::onAnnouncement(const QByteArray& channel, const QByteArray& payload)
{
    // "<master name> <old ip> <old port> <new ip> <new port>"
    const QByteArrayList fields = payload.split(' ');
    if (channel != kSwitchChannel || fields.size() != 5 || fields.at(0) != m_settings.masterName.toUtf8())
        return;
    bool ok = false;
    const uint port = fields.at(4).toUInt(&ok);
    if (!ok || port == 0 || port > 65535 || fields.at(3).isEmpty())
        return;
    noteAnswer({QString::fromUtf8(fields.at(3)), quint16(port)});
}

void SentinelLocator::writeMetrics(PrometheusWriter& out, const QString& inUse) const
{
    out.counter("forgewire_redis_failovers_total",
                "Times the sentinels named another primary (announced or found by asking).", m_switches);
    out.family(
        "forgewire_redis_primary", PrometheusWriter::Type::Gauge,
        "1 with the address (host:port) of the primary in use; 0 with an empty one while there is none.");
    const QByteArray address = inUse.toUtf8();
    out.sample({{"address", address}}, inUse.isEmpty() ? 0 : 1);
}

} // namespace forgewire
