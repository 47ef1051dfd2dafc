#include "SignalWatcher.h"
#include "common/Logging.h"
#include "config/ServerConfig.h"
#include "config/ServerLogging.h"
#include "daemon/Server.h"

#include <QCoreApplication>

#include <cstdio>

int main(int argc, char* argv[])
{
    using namespace Qt::StringLiterals;
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"forgewire-server"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(FORGEWIRE_VERSION));

    const forgewire::ConfigParseResult parsed = forgewire::parseServerArguments(app.arguments());
    if (!parsed.exitText.isEmpty()) {
        std::fputs(qPrintable(parsed.exitText), stdout);
        return 0;
    }
    if (!parsed.config) {
        std::fprintf(stderr, "forgewire-server: %s\nTry --help.\n", qPrintable(parsed.error));
        return 2;
    }
    forgewire::applyLogLevel(parsed.config->logLevel);

    forgewire::Server server(*parsed.config);
    QString error;
    if (!server.start(&error)) {
        std::fprintf(stderr, "forgewire-server: %s\n", qPrintable(error));
        return 1;
    }
    forgewire::SignalWatcher signals;
    QObject::connect(&signals, &forgewire::SignalWatcher::terminationRequested, &server,
                     [&server](int signal) {
                         qCInfo(forgewire::lcServer) << "signal" << signal << "received";
                         server.drain();
                     });
    QObject::connect(&server, &forgewire::Server::drained, &app, &QCoreApplication::quit);
    return app.exec();
}
