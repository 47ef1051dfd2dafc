// forgewire-tray: the tray icon, or with --headless a printer for terminals and status bars.

#include "app/HeadlessRunner.h"
#include "app/Translations.h"
#include "common/Logging.h"
#include "model/TrayOptions.h"
#include "ui/TrayApplication.h"

#include <QApplication>
#include <QFile>

#include <cstdio>
#include <memory>

using namespace forgewire;
using namespace Qt::StringLiterals;

int main(int argc, char** argv)
{
    // The headless printer must run without a display, so the application type is chosen first.
    std::unique_ptr<QCoreApplication> app = TrayOptions::needsDisplay(argc, argv)
                                                ? std::make_unique<QApplication>(argc, argv)
                                                : std::make_unique<QCoreApplication>(argc, argv);
    QCoreApplication::setOrganizationName(u"Forgewire"_s);
    QCoreApplication::setApplicationName(u"forgewire-tray"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(FORGEWIRE_VERSION));

    const TrayOptions options = TrayOptions::parse(QCoreApplication::arguments());
    if (!options.error.isEmpty()) {
        std::fprintf(stderr, "forgewire-tray: %s\nTry --help.\n", qPrintable(options.error));
        return 2;
    }
    if (options.showHelp) {
        std::fputs(qPrintable(options.helpText), stdout);
        return 0;
    }
    if (options.showVersion) {
        std::printf("forgewire-tray %s\n", FORGEWIRE_VERSION);
        return 0;
    }
    applyLogLevel(options.logLevel.isEmpty() ? u"warning"_s : options.logLevel);

    if (options.headless) {
        QFile out;
        out.open(stdout, QIODevice::WriteOnly);
        HeadlessRunner runner(options, &out);
        if (const QString error = runner.start(); !error.isEmpty()) {
            std::fprintf(stderr, "forgewire-tray: %s\n", qPrintable(error));
            return 2;
        }
        return app->exec();
    }

    // Only the GUI is translated: --help, errors and --headless output are read by scripts and stay
    // in English.
    Translations::install(QLocale());
    qApp->setQuitOnLastWindowClosed(false);
    TrayApplication tray(options);
    if (!tray.start())
        return 0;
    return app->exec();
}
