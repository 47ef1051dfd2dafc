#include "LoadGenerator.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <sys/resource.h>

using namespace forgewire;

namespace {

void raiseFdLimit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

} // namespace

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Forgewire load generator: broadcast, unicast, latency, idle, connect-storm and restart scenarios "
        "against any server "
        "speaking the Forgewire protocol subset (hello, user topics, public topics, publish API)."));
    parser.addHelpOption();
    auto option = [&](const char* name, const char* help, const char* value) {
        QCommandLineOption o(QString::fromLatin1(name), QString::fromLatin1(help),
                             QString::fromLatin1(value));
        parser.addOption(o);
        return o;
    };
    const auto scenario =
        option("scenario", "broadcast | unicast | latency | idle | storm | restart", "name");
    const auto port = option("port", "WebSocket port", "port");
    const auto adminPort = option("admin-port", "Publish API port", "port");
    const auto path = option("path", "WebSocket path (default /-/ws)", "path");
    const auto jwtSecret = option("jwt-secret", "HS256 secret of the server", "secret");
    const auto publisherSecret = option("publisher-secret", "Bearer secret of the publish API", "secret");
    const auto connections = option("connections", "Client connections", "n");
    const auto duration = option("duration-ms", "Measured phase length (broadcast, unicast)", "ms");
    const auto pid = option("pid", "Server process id (RSS and CPU time are read from /proc)", "pid");
    const auto rate = option("rate", "latency: broadcasts per second (default 20)", "n");
    const auto batch = option("batch", "Unicast publications per POST (default 200)", "n");
    const auto window = option("window", "Publications/batches in flight (default 4)", "n");
    parser.process(app);

    raiseFdLimit();
    BenchOptions options;
    options.scenario = parser.value(scenario).toStdString();
    options.wsPort = parser.value(port).toUShort();
    options.adminPort = parser.value(adminPort).toUShort();
    if (parser.isSet(path))
        options.wsPath = parser.value(path).toStdString();
    options.jwtSecret = parser.value(jwtSecret).toUtf8();
    options.publisherSecret = parser.value(publisherSecret).toStdString();
    options.connections = parser.value(connections).toInt();
    if (parser.isSet(duration))
        options.durationMs = parser.value(duration).toInt();
    options.serverPid = parser.value(pid).toInt();
    if (parser.isSet(batch))
        options.batch = parser.value(batch).toInt();
    if (parser.isSet(rate))
        options.rate = parser.value(rate).toInt();
    if (parser.isSet(window))
        options.window = parser.value(window).toInt();
    if (options.scenario.empty() || options.wsPort == 0 || options.adminPort == 0 ||
        options.connections <= 0) {
        parser.showHelp(2);
    }
    LoadGenerator generator(std::move(options));
    return generator.run() ? 0 : 1;
}
