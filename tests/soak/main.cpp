// forgewire-soak: the soak and chaos bench (tests/soak/README in the main README, Reliability).
// Starts forgewire-server itself; exit 0 when nothing was lost, nothing crashed and nothing grew.

#include "Soak.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>

#include <sys/resource.h>

using namespace forgewire;
using namespace Qt::StringLiterals;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Soak and chaos bench for forgewire-server."_s);
    parser.addHelpOption();
    const QCommandLineOption server(u"server"_s, u"forgewire-server binary (or FORGEWIRE_SERVER_BIN)."_s,
                                    u"path"_s);
    const QCommandLineOption clients(u"clients"_s, u"Clients, one user each (default 2000)."_s, u"n"_s,
                                     u"2000"_s);
    const QCommandLineOption minutes(u"minutes"_s, u"Run length (default 10)."_s, u"min"_s, u"10"_s);
    const QCommandLineOption engine(u"engine"_s,
                                    u"embedded or redis (a redis-server the bench starts and kills)."_s,
                                    u"engine"_s, u"embedded"_s);
    const QCommandLineOption nodes(u"nodes"_s, u"Server nodes (2 needs --engine redis)."_s, u"n"_s, u"1"_s);
    const QCommandLineOption transport(u"transport"_s, u"epoll or qt."_s, u"name"_s, u"epoll"_s);
    const QCommandLineOption churn(u"churn"_s,
                                   u"Share of the clients leaving and returning per minute (default 0.2)."_s,
                                   u"share"_s, u"0.2"_s);
    const QCommandLineOption sampleEvery(u"sample-every"_s, u"Seconds between RSS/fd samples (default 30)."_s,
                                         u"s"_s, u"30"_s);
    const QCommandLineOption noChaos(u"no-chaos"_s, u"Skip the chaos steps."_s);
    const QCommandLineOption shortMode(
        u"short"_s, u"The README test command's mode: 200 clients, 45 s, every chaos step the "
                    u"engine allows, growth reported but not judged."_s);
    const QCommandLineOption outDir(u"out"_s, u"Where results.json goes (default: the current directory)."_s,
                                    u"dir"_s, u"."_s);
    parser.addOptions(
        {server, clients, minutes, engine, nodes, transport, churn, sampleEvery, noChaos, shortMode, outDir});
    parser.process(app);

    // Thousands of sockets: the soft limit up to the hard one.
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);

    Soak::Options options;
    options.serverBinary =
        parser.isSet(server) ? parser.value(server) : qEnvironmentVariable("FORGEWIRE_SERVER_BIN");
    if (options.serverBinary.isEmpty()) {
        qCritical("forgewire-soak: give --server or FORGEWIRE_SERVER_BIN");
        return 2;
    }
    options.clients = parser.value(clients).toInt();
    options.minutes = parser.value(minutes).toDouble();
    options.redis = parser.value(engine) == "redis"_L1;
    options.nodes = std::max(1, parser.value(nodes).toInt());
    options.transport = parser.value(transport);
    options.churnPerMinute = parser.value(churn).toDouble();
    options.sampleEverySec = std::max(1, parser.value(sampleEvery).toInt());
    options.chaos = !parser.isSet(noChaos);
    options.outDir = parser.value(outDir);
    if (options.nodes > 1 && !options.redis) {
        qCritical("forgewire-soak: several nodes need --engine redis");
        return 2;
    }
    if (parser.isSet(shortMode)) {
        options.clients = parser.isSet(clients) ? options.clients : 200;
        options.minutes = parser.isSet(minutes) ? options.minutes : 0.75;
        options.sampleEverySec = parser.isSet(sampleEvery) ? options.sampleEverySec : 3;
        options.boards = 2;
        options.pongDeadlineMs = 2000;
        options.drainTimeoutMs = 3000;
        options.judgeGrowth = false;
    }
    QDir().mkpath(options.outDir);
    Soak soak(options);
    return soak.run();
}
