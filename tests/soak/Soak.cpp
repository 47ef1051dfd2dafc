#include "Soak.h"

#include "KernelSockets.h"
#include "Trend.h"
#include "protocol/Jwt.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTextStream>

#include <signal.h>
#include <sys/prctl.h>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

const QString kBroadcastTopic = u"public.soak"_s;
const QString kFloodTopic = u"public.soak-flood"_s;
constexpr int kChurnTickMs = 100;
constexpr int kSettleMs = 2000;
constexpr int kBackTimeoutMs = 90'000;

quint16 freePort()
{
    QTcpServer server;
    server.listen(QHostAddress::LocalHost, 0);
    return server.serverPort();
}

QTextStream& out()
{
    static QTextStream stream(stdout);
    return stream;
}

void say(const QString& line)
{
    out() << QDateTime::currentDateTime().toString(u"HH:mm:ss"_s) << u"  "_s << line << Qt::endl;
}

} // namespace

Soak::Soak(const Options& options, QObject* parent)
    : QObject(parent), m_options(options), m_jwtSecret(QByteArray(32, 'j')),
      m_publisherSecret(QByteArray(32, 'p'))
{
    m_churn.setInterval(kChurnTickMs);
    connect(&m_churn, &QTimer::timeout, this, &Soak::churn);
    m_sampler.setInterval(m_options.sampleEverySec * 1000);
    connect(&m_sampler, &QTimer::timeout, this, &Soak::sample);
}

Soak::~Soak()
{
    m_clients.clear();
    m_nodes.clear();
    killRedis();
}

QByteArray Soak::token(qint64 user) const
{
    JwtClaims claims;
    claims.userId = user;
    claims.login = u"soak%1"_s.arg(user);
    claims.sessionId = u"s%1"_s.arg(user);
    claims.expires = QDateTime::currentDateTimeUtc().addDays(1);
    return Jwt::sign(claims, m_jwtSecret);
}

bool Soak::waitUntil(const std::function<bool()>& done, int timeoutMs)
{
    QElapsedTimer waited;
    waited.start();
    while (!done()) {
        if (waited.elapsed() > timeoutMs)
            return false;
        QEventLoop loop;
        QTimer::singleShot(20, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

void Soak::runUntil(double fraction)
{
    const qint64 end = qint64(fraction * m_options.minutes * 60'000);
    waitUntil(
        [this, end] {
            for (size_t i = 0; i < m_nodes.size(); ++i) {
                if (node(int(i))->crashed()) {
                    ++m_crashes;
                    say(u"node %1 crashed (exit %2): restarting"_s.arg(i).arg(node(int(i))->exitCode()));
                    node(int(i))->start(30'000);
                }
            }
            return m_clock.elapsed() >= end;
        },
        std::numeric_limits<int>::max());
}

bool Soak::startRedis(QString* why)
{
    if (!m_redisPort)
        m_redisPort = freePort();
    // Every write on disk before Redis answers it, so a Redis restart is not a loss by design.
    m_redis.setProcessChannelMode(QProcess::MergedChannels);
    m_redis.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    m_redis.setStandardOutputFile(m_dir.filePath(u"redis.log"_s), QIODevice::Append);
    m_redis.start(m_options.redisBinary, {u"--port"_s, QString::number(m_redisPort), u"--bind"_s,
                                          u"127.0.0.1"_s, u"--dir"_s, m_dir.path(), u"--appendonly"_s,
                                          u"yes"_s, u"--appendfsync"_s, u"always"_s, u"--save"_s, u""_s});
    if (!m_redis.waitForStarted(5000)) {
        *why = u"could not start %1: %2"_s.arg(m_options.redisBinary, m_redis.errorString());
        return false;
    }
    QTcpSocket probe;
    const bool up = waitUntil(
        [&] {
            probe.abort();
            probe.connectToHost(QHostAddress::LocalHost, m_redisPort);
            return probe.waitForConnected(100);
        },
        10'000);
    if (!up)
        *why = u"redis-server did not listen on %1"_s.arg(m_redisPort);
    return up;
}

void Soak::killRedis()
{
    if (m_redis.state() == QProcess::NotRunning)
        return;
    ::kill(pid_t(m_redis.processId()), SIGKILL);
    m_redis.waitForFinished(5000);
}

bool Soak::startAll(QString* why)
{
    if (!m_dir.isValid()) {
        *why = u"no temporary directory"_s;
        return false;
    }
    if (m_options.redis && !startRedis(why))
        return false;
    QList<QUrl> urls;
    QList<QUrl> admins;
    for (int i = 0; i < m_options.nodes; ++i) {
        const quint16 port = freePort();
        const quint16 admin = freePort();
        QStringList arguments{u"--listen"_s,
                              u"127.0.0.1"_s,
                              u"--admin-listen"_s,
                              u"127.0.0.1"_s,
                              u"--transport"_s,
                              m_options.transport,
                              u"--jwt-secret"_s,
                              QString::fromLatin1(m_jwtSecret),
                              u"--publisher-secret"_s,
                              QString::fromLatin1(m_publisherSecret),
                              u"--max-connections"_s,
                              u"20000"_s,
                              u"--max-connections-per-address"_s,
                              u"20000"_s,
                              u"--pong-deadline"_s,
                              QString::number(m_options.pongDeadlineMs),
                              u"--drain-timeout"_s,
                              QString::number(m_options.drainTimeoutMs),
                              u"--log-level"_s,
                              u"warning"_s};
        if (m_options.redis)
            arguments << u"--engine"_s << u"redis://127.0.0.1:%1/0"_s.arg(m_redisPort) << u"--state"_s
                      << u":memory:"_s;
        else
            arguments << u"--state"_s << m_dir.filePath(u"state-%1.sqlite"_s.arg(i));
        m_nodes.push_back(std::make_unique<ServerNode>(m_options.serverBinary, arguments, port, admin,
                                                       m_dir.filePath(u"node-%1.log"_s.arg(i))));
        if (!m_nodes.back()->start(30'000)) {
            *why = u"node %1: %2"_s.arg(i).arg(m_nodes.back()->why());
            return false;
        }
        urls.append(QUrl(u"ws://127.0.0.1:%1/-/ws"_s.arg(port)));
        admins.append(QUrl(u"http://127.0.0.1:%1"_s.arg(admin)));
    }
    for (int b = 1; b <= m_options.boards; ++b)
        m_boards.append(b);
    Publisher::Config config;
    config.admins = admins;
    config.secret = m_publisherSecret;
    config.users = m_options.clients;
    config.boards = m_boards;
    config.broadcastTopic = kBroadcastTopic;
    config.floodTopic = kFloodTopic;
    m_publisher = std::make_unique<Publisher>(config);
    if (!m_publisher->seed(why))
        return false;

    const int onBoards = int(m_options.clients * m_options.boardClients);
    for (int i = 0; i < m_options.clients; ++i) {
        const qint64 user = i + 1;
        const qint64 board = i < onBoards && !m_boards.isEmpty() ? m_boards.at(i % m_boards.size()) : 0;
        m_clients.push_back(std::make_unique<SoakClient>(user, token(user), urls, board, kBroadcastTopic));
    }
    // Connect at a steady pace, as a fleet starting up would, not all in one burst.
    for (size_t i = 0; i < m_clients.size(); ++i) {
        m_clients[i]->open();
        if (i % 100 == 99)
            waitUntil([] { return false; }, 100);
    }
    if (!allReady(kBackTimeoutMs)) {
        *why = u"only %1 of %2 clients signed in"_s.arg(readyClients()).arg(m_clients.size());
        return false;
    }
    return true;
}

int Soak::readyClients() const
{
    return int(
        std::count_if(m_clients.cbegin(), m_clients.cend(), [](const auto& c) { return c->isReady(); }));
}

bool Soak::allReady(int timeoutMs)
{
    return waitUntil(
        [this] {
            return std::all_of(m_clients.cbegin(), m_clients.cend(),
                               [](const auto& c) { return c->hasLeft() || c->isReady(); });
        },
        timeoutMs);
}

void Soak::churn()
{
    if (!m_churning)
        return;
    // Leaves per tick, the fraction carried over.
    m_churnOwed += double(m_clients.size()) * m_options.churnPerMinute * kChurnTickMs / 60'000.0;
    for (; m_churnOwed >= 1; m_churnOwed -= 1) {
        SoakClient* client = m_clients[QRandomGenerator::global()->bounded(int(m_clients.size()))].get();
        if (!client->isReady())
            continue;
        client->leave();
        QTimer::singleShot(200 + QRandomGenerator::global()->bounded(1800), client, [this, client] {
            if (m_churning)
                client->open();
        });
    }
}

qint64 Soak::metric(int index, const QByteArray& name)
{
    QByteArray body;
    if (node(index)->get("/metrics", &body) != 200)
        return -1;
    for (const QByteArray& line : body.split('\n')) {
        if (line.startsWith(name + ' '))
            return line.mid(name.size() + 1).trimmed().toLongLong();
    }
    return -1;
}

void Soak::sample()
{
    const Publisher::Counts& counts = m_publisher->counts();
    for (size_t i = 0; i < m_nodes.size(); ++i) {
        const ServerNode::Sample s = node(int(i))->sample();
        m_samples.append(QJsonObject{{u"t"_s, double(m_clock.elapsed()) / 1000.0},
                                     {u"node"_s, int(i)},
                                     {u"rss_bytes"_s, s.rssBytes},
                                     {u"fds"_s, s.descriptors},
                                     {u"clients_ready"_s, readyClients()},
                                     {u"acked"_s, counts.acked},
                                     {u"refused"_s, counts.refused},
                                     {u"unanswered"_s, counts.unanswered}});
        say(u"t=%1s node %2: rss %3 MiB, %4 fds, %5 clients ready, %6 publishes acknowledged"_s
                .arg(m_clock.elapsed() / 1000)
                .arg(i)
                .arg(double(s.rssBytes) / 1048576.0, 0, 'f', 1)
                .arg(s.descriptors)
                .arg(readyClients())
                .arg(counts.acked));
    }
}

Soak::Step Soak::verify(const QString& name)
{
    Step step;
    step.name = name;
    const bool wasChurning = m_churning;
    m_churning = false;
    m_publisher->pause();
    if (!waitUntil([this] { return m_publisher->drained(); }, 30'000))
        step.problems.append(u"publish requests still unanswered after 30 s"_s);
    say(u"checking: %1 clients ready, bringing back the rest"_s.arg(readyClients()));
    for (const auto& client : m_clients) {
        if (client->hasLeft())
            client->open();
    }
    QElapsedTimer back;
    back.start();
    if (!allReady(kBackTimeoutMs))
        step.problems.append(
            u"%1 of %2 clients not back within %3 s"_s.arg(m_clients.size() - size_t(readyClients()))
                .arg(m_clients.size())
                .arg(kBackTimeoutMs / 1000));
    step.figures.insert(u"clients_back_ms"_s, back.elapsed());
    waitUntil([] { return false; }, kSettleMs); // what is in flight to clients arrives
    QHash<qint64, qint64> seqs;
    for (qint64 board : std::as_const(m_boards))
        seqs.insert(board, m_publisher->boardSeq(board));
    int wrong = 0;
    for (const auto& client : m_clients) {
        const SoakClient::Seen& seen = client->seen();
        QStringList off;
        const Ledger count = m_publisher->count(client->userId());
        if (!count.accepts(seen.count))
            off.append(u"count %1, acknowledged %2"_s.arg(seen.count).arg(count.expected()));
        const Ledger stopwatch = m_publisher->stopwatch(client->userId());
        if (!stopwatch.accepts(seen.stopwatch))
            off.append(u"stopwatch #%1, acknowledged #%2"_s.arg(seen.stopwatch).arg(stopwatch.expected()));
        if (!m_publisher->tick().accepts(seen.tick))
            off.append(u"broadcast %1, acknowledged %2"_s.arg(seen.tick).arg(m_publisher->tick().expected()));
        if (client->board() > 0 && (seen.boardGap || seen.boardSeq != seqs.value(client->board())))
            off.append(u"board %1 at seq %2%3, model at %4"_s.arg(client->board())
                           .arg(seen.boardSeq)
                           .arg(seen.boardGap ? u" (gap unresolved)"_s : QString())
                           .arg(seqs.value(client->board())));
        if (!off.isEmpty()) {
            ++wrong;
            if (step.problems.size() < 10)
                step.problems.append(u"user %1: %2"_s.arg(client->userId()).arg(off.join(u"; "_s)));
        }
    }
    step.figures.insert(u"clients_checked"_s, int(m_clients.size()));
    step.figures.insert(u"clients_wrong"_s, wrong);
    if (wrong > 10)
        step.problems.append(u"... %1 clients wrong in all"_s.arg(wrong));
    step.ok = step.problems.isEmpty();
    m_churning = wasChurning;
    return step;
}

void Soak::resume()
{
    m_publisher->start();
    m_churning = true;
}

Soak::Step Soak::killNine()
{
    m_churning = false;
    ServerNode* victim = node(0);
    say(u"chaos: kill -9 of node 0 (pid %1) under load"_s.arg(victim->pid()));
    victim->kill();
    QElapsedTimer restart;
    restart.start();
    Step step;
    if (!victim->start(30'000)) {
        step.name = u"kill -9"_s;
        step.ok = false;
        step.problems.append(victim->why());
        return step;
    }
    const qint64 restartMs = restart.elapsed();
    step = verify(u"kill -9, restart, every acknowledged retained value back"_s);
    step.figures.insert(u"restart_ms"_s, restartMs);
    resume();
    return step;
}

Soak::Step Soak::terminateUnderLoad()
{
    m_churning = false;
    ServerNode* victim = node(0);
    QList<std::pair<SoakClient*, int>> connected;
    for (const auto& client : m_clients) {
        if (client->isReady() && client->node() == 0)
            connected.append({client.get(), client->closesWith(1001)});
    }
    say(u"chaos: SIGTERM to node 0 under load, %1 clients on it"_s.arg(connected.size()));
    victim->terminate();
    const bool exited =
        waitUntil([victim] { return !victim->isRunning(); }, m_options.drainTimeoutMs + 10'000);
    const qint64 exitMs = victim->msSinceTerminate();
    const int exitCode = victim->exitCode();
    int goingAway = 0;
    for (const auto& [client, before] : std::as_const(connected))
        goingAway += client->closesWith(1001) > before ? 1 : 0;
    Step step;
    QStringList problems;
    if (!exited)
        problems.append(u"still running %1 ms after SIGTERM"_s.arg(m_options.drainTimeoutMs + 10'000));
    else if (exitMs > m_options.drainTimeoutMs + 1000)
        problems.append(
            u"exited %1 ms after SIGTERM, drain timeout %2 ms"_s.arg(exitMs).arg(m_options.drainTimeoutMs));
    if (exited && exitCode != 0)
        problems.append(u"exit code %1"_s.arg(exitCode));
    if (goingAway != connected.size())
        problems.append(u"%1 of %2 clients got 1001"_s.arg(goingAway).arg(connected.size()));
    if (!victim->start(30'000))
        problems.append(victim->why());
    step = verify(u"SIGTERM: 1001 to every client, exit within the drain timeout, clients back"_s);
    step.problems = problems + step.problems;
    step.ok = step.problems.isEmpty();
    step.figures.insert(u"exit_ms"_s, exitMs);
    step.figures.insert(u"clients_on_node"_s, int(connected.size()));
    step.figures.insert(u"clients_got_1001"_s, goingAway);
    resume();
    return step;
}

Soak::Step Soak::killRedisStep()
{
    m_churning = false;
    QList<int> closeCounts;
    for (const auto& client : m_clients)
        closeCounts.append(client->reconnects());
    say(u"chaos: kill -9 of redis-server under load"_s);
    killRedis();
    // Answers to writes Redis took just before it died may still be on their way.
    waitUntil([] { return false; }, 200);
    const qint64 refusedBefore = m_publisher->counts().refused;
    const qint64 ackedBefore = m_publisher->counts().acked;
    QStringList problems;
    waitUntil([] { return false; }, 3000);
    const qint64 refusedDuring = m_publisher->counts().refused - refusedBefore;
    const qint64 ackedDuring = m_publisher->counts().acked - ackedBefore;
    const int readyz = node(0)->get("/readyz");
    if (readyz != 503)
        problems.append(u"/readyz answered %1 without Redis"_s.arg(readyz));
    if (ackedDuring > 0)
        problems.append(u"%1 publishes acknowledged while Redis was down"_s.arg(ackedDuring));
    QString why;
    if (!startRedis(&why))
        problems.append(why);
    QElapsedTimer back;
    back.start();
    if (!waitUntil(
            [this] {
                for (size_t i = 0; i < m_nodes.size(); ++i) {
                    if (node(int(i))->get("/readyz") != 200)
                        return false;
                }
                return true;
            },
            30'000))
        problems.append(u"nodes not ready 30 s after Redis came back"_s);
    const qint64 readyMs = back.elapsed();
    const qint64 ackedAfter = m_publisher->counts().acked;
    if (!waitUntil([&] { return m_publisher->counts().acked > ackedAfter + 10; }, 10'000))
        problems.append(u"publishing did not resume"_s);
    int reconnected = 0;
    for (size_t i = 0; i < m_clients.size(); ++i)
        reconnected += m_clients[i]->reconnects() > closeCounts.at(qsizetype(i)) ? 1 : 0;
    if (reconnected > 0)
        problems.append(u"%1 clients were disconnected"_s.arg(reconnected));
    Step step = verify(u"Redis killed and restarted: 503s meanwhile, no client closed, flow resumes"_s);
    step.problems = problems + step.problems;
    step.ok = step.problems.isEmpty();
    step.figures.insert(u"publishes_refused_while_down"_s, refusedDuring);
    step.figures.insert(u"ready_after_restart_ms"_s, readyMs);
    step.figures.insert(u"clients_disconnected"_s, reconnected);
    resume();
    return step;
}

Soak::Step Soak::killNodeStep()
{
    m_churning = false;
    ServerNode* victim = node(1);
    int onIt = 0;
    for (const auto& client : m_clients)
        onIt += client->isReady() && client->node() == 1 ? 1 : 0;
    say(u"chaos: kill -9 of node 1 (%1 clients on it); they move to node 0"_s.arg(onIt));
    victim->kill();
    Step step = verify(u"a node killed: its clients on the other node, nothing lost"_s);
    int moved = 0;
    for (const auto& client : m_clients)
        moved += client->isReady() && client->node() == 0 ? 1 : 0;
    step.figures.insert(u"clients_on_killed_node"_s, onIt);
    step.figures.insert(u"clients_on_node_0_after"_s, moved);
    if (!victim->start(30'000)) {
        step.problems.append(victim->why());
        step.ok = false;
    }
    resume();
    return step;
}

Soak::Step Soak::slowReaderStep()
{
    Step step;
    step.name = u"slow readers closed with 4008, nothing left in the kernel"_s;
    const qint64 before = metric(0, "forgewire_slow_consumer_disconnects_total");
    QByteArrayList tokens;
    for (int i = 0; i < m_options.slowReaders; ++i)
        tokens.append(token(m_options.clients + 1 + i));
    SlowReaders readers;
    if (!readers.open(node(0)->port(), tokens, kFloodTopic)) {
        step.ok = false;
        step.problems.append(u"could not connect the slow readers"_s);
        return step;
    }
    say(u"%1 slow readers on the flood topic"_s.arg(readers.size()));
    m_publisher->setFlooding(true);
    QElapsedTimer cut;
    cut.start();
    qint64 peakRss = 0;
    const bool allCut = waitUntil(
        [&] {
            peakRss = std::max(peakRss, node(0)->sample().rssBytes);
            return metric(0, "forgewire_slow_consumer_disconnects_total") >= before + m_options.slowReaders;
        },
        120'000);
    m_publisher->setFlooding(false);
    if (!allCut)
        step.problems.append(u"%1 of %2 slow readers cut within 120 s"_s
                                 .arg(metric(0, "forgewire_slow_consumer_disconnects_total") - before)
                                 .arg(m_options.slowReaders));
    step.figures.insert(u"cut_after_ms"_s, cut.elapsed());
    step.figures.insert(u"peak_rss_bytes"_s, peakRss);
    // After the pong deadline the server has let go of them entirely: reset, not FIN-WAIT-1.
    test::KernelHold hold;
    const bool released = waitUntil(
        [&] {
            hold = test::kernelHold(node(0)->port());
            return hold.finWait1 == 0 && hold.sendQueueBytes == 0;
        },
        m_options.pongDeadlineMs + 5000);
    if (!released)
        step.problems.append(
            u"%1 sockets in FIN-WAIT-1 holding %2 bytes after the pong deadline"_s.arg(hold.finWait1)
                .arg(hold.sendQueueBytes));
    step.figures.insert(u"kernel_bytes_held_after"_s, hold.sendQueueBytes);
    readers.closeAll();
    step.ok = step.problems.isEmpty();
    return step;
}

void Soak::finish(Step step)
{
    say(u"%1: %2"_s.arg(step.ok ? u"PASS"_s : u"FAIL"_s, step.name));
    for (const QString& problem : std::as_const(step.problems))
        say(u"    "_s + problem);
    m_steps.append(step);
}

int Soak::run()
{
    QString why;
    say(u"starting %1 node(s) (%2, %3), %4 clients"_s.arg(m_options.nodes)
            .arg(m_options.transport)
            .arg(m_options.redis ? u"redis"_s : u"embedded"_s)
            .arg(m_options.clients));
    if (!startAll(&why)) {
        say(u"FAIL: setting up: "_s + why);
        return 2;
    }
    say(u"%1 clients signed in; publishing and churning for %2 min"_s.arg(readyClients())
            .arg(m_options.minutes));
    m_clock.start();
    resume();
    m_churn.start();
    m_sampler.start();
    sample();
    runUntil(0.08);
    if (m_options.slowReaders > 0)
        finish(slowReaderStep());
    if (m_options.chaos) {
        runUntil(0.15);
        finish(killNine());
        runUntil(0.25);
        finish(terminateUnderLoad());
        if (m_options.redis) {
            runUntil(0.33);
            finish(killRedisStep());
        }
        if (m_options.nodes > 1) {
            runUntil(0.40);
            finish(killNodeStep());
        }
    }
    runUntil(1.0);
    sample();
    m_sampler.stop();
    m_churn.stop();
    finish(verify(u"end of run: every acknowledged value where it belongs"_s));
    return report();
}

int Soak::report()
{
    const double seconds = m_options.minutes * 60;
    QList<QPointF> rss, fds;
    QJsonObject first, last;
    for (const QJsonValue& value : std::as_const(m_samples)) {
        const QJsonObject s = value.toObject();
        if (s.value("node"_L1).toInt() != 0)
            continue;
        if (first.isEmpty())
            first = s;
        last = s;
        if (s.value("t"_L1).toDouble() >= seconds / 2) {
            rss.append({s.value("t"_L1).toDouble() / 3600.0, s.value("rss_bytes"_L1).toDouble() / 1048576.0});
            fds.append({s.value("t"_L1).toDouble() / 3600.0, s.value("fds"_L1).toDouble()});
        }
    }
    const Trend rssTrend = Trend::fit(rss);
    const Trend fdTrend = Trend::fit(fds);
    const bool rssGrows = m_options.judgeGrowth && rssTrend.lowerBound() > m_options.rssLimitMiBPerHour;
    const bool fdsGrow = m_options.judgeGrowth && fdTrend.lowerBound() > m_options.descriptorLimitPerHour;

    out() << Qt::endl
          << u"| t (s) | node | RSS (MiB) | fds | clients ready | publishes acked |"_s << Qt::endl
          << u"|---:|---:|---:|---:|---:|---:|"_s << Qt::endl;
    for (const QJsonValue& value : std::as_const(m_samples)) {
        const QJsonObject s = value.toObject();
        out() << u"| %1 | %2 | %3 | %4 | %5 | %6 |"_s.arg(s.value("t"_L1).toDouble(), 0, 'f', 0)
                     .arg(s.value("node"_L1).toInt())
                     .arg(s.value("rss_bytes"_L1).toDouble() / 1048576.0, 0, 'f', 1)
                     .arg(s.value("fds"_L1).toInt())
                     .arg(s.value("clients_ready"_L1).toInt())
                     .arg(s.value("acked"_L1).toInteger())
              << Qt::endl;
    }
    out()
        << Qt::endl
        << u"growth over the second half (node 0, %1 samples): RSS %2 ± %3 MiB/h (limit %4), fds %5 ± %6 /h (limit %7)%8"_s
               .arg(rssTrend.points)
               .arg(rssTrend.slope, 0, 'f', 1)
               .arg(rssTrend.standardError, 0, 'f', 1)
               .arg(m_options.rssLimitMiBPerHour)
               .arg(fdTrend.slope, 0, 'f', 1)
               .arg(fdTrend.standardError, 0, 'f', 1)
               .arg(m_options.descriptorLimitPerHour)
               .arg(m_options.judgeGrowth ? QString() : u" (not judged in the short mode)"_s)
        << Qt::endl;
    const Publisher::Counts& counts = m_publisher->counts();
    out()
        << u"publishes: %1 acknowledged, %2 refused (%3), %4 unanswered; board conflicts re-snapshotted: %5"_s
               .arg(counts.acked)
               .arg(counts.refused)
               .arg([&counts] {
                   QStringList parts;
                   for (auto it = counts.statuses.cbegin(); it != counts.statuses.cend(); ++it) {
                       if (it.key() / 100 != 2 && it.key() != 0)
                           parts.append(u"%1: %2"_s.arg(it.key()).arg(it.value()));
                   }
                   return parts.join(u", "_s);
               }())
               .arg(counts.unanswered)
               .arg(counts.conflicts)
        << Qt::endl;
    qint64 messages = 0;
    int reconnects = 0;
    for (const auto& client : m_clients) {
        messages += client->messages();
        reconnects += client->reconnects();
    }
    out() << u"clients: %1 messages received, %2 reconnects; crashes: %3"_s.arg(messages)
                 .arg(reconnects)
                 .arg(m_crashes)
          << Qt::endl;

    bool ok = m_crashes == 0 && !rssGrows && !fdsGrow;
    QJsonArray steps;
    out() << Qt::endl << u"| step | result | figures |"_s << Qt::endl << u"|---|---|---|"_s << Qt::endl;
    for (const Step& step : std::as_const(m_steps)) {
        ok = ok && step.ok;
        QStringList figures;
        for (auto it = step.figures.constBegin(); it != step.figures.constEnd(); ++it)
            figures.append(u"%1 %2"_s.arg(it.key(), it.value().toVariant().toString()));
        out() << u"| %1 | %2 | %3 |"_s.arg(step.name, step.ok ? u"pass"_s : u"FAIL"_s, figures.join(u", "_s))
              << Qt::endl;
        steps.append(QJsonObject{{u"name"_s, step.name},
                                 {u"ok"_s, step.ok},
                                 {u"figures"_s, step.figures},
                                 {u"problems"_s, QJsonArray::fromStringList(step.problems)}});
    }
    const QJsonObject results{
        {u"options"_s, QJsonObject{{u"clients"_s, m_options.clients},
                                   {u"minutes"_s, m_options.minutes},
                                   {u"nodes"_s, m_options.nodes},
                                   {u"engine"_s, m_options.redis ? u"redis"_s : u"embedded"_s},
                                   {u"transport"_s, m_options.transport},
                                   {u"churn_per_minute"_s, m_options.churnPerMinute},
                                   {u"slow_readers"_s, m_options.slowReaders}}},
        {u"samples"_s, m_samples},
        {u"growth"_s, QJsonObject{{u"rss_mib_per_hour"_s, rssTrend.slope},
                                  {u"rss_standard_error"_s, rssTrend.standardError},
                                  {u"rss_limit"_s, m_options.rssLimitMiBPerHour},
                                  {u"fds_per_hour"_s, fdTrend.slope},
                                  {u"fds_standard_error"_s, fdTrend.standardError},
                                  {u"fds_limit"_s, m_options.descriptorLimitPerHour},
                                  {u"judged"_s, m_options.judgeGrowth}}},
        {u"publishes"_s, QJsonObject{{u"acked"_s, counts.acked},
                                     {u"refused"_s, counts.refused},
                                     {u"unanswered"_s, counts.unanswered}}},
        {u"client_messages"_s, messages},
        {u"reconnects"_s, reconnects},
        {u"crashes"_s, m_crashes},
        {u"steps"_s, steps},
        {u"ok"_s, ok}};
    QFile file(QDir(m_options.outDir).filePath(u"results.json"_s));
    if (file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        file.write(QJsonDocument(results).toJson());
    out() << Qt::endl
          << (ok ? u"soak: clean"_s : u"soak: FAILED"_s) << u" (results in %1)"_s.arg(file.fileName())
          << Qt::endl;
    return ok ? 0 : 1;
}

} // namespace forgewire
