#include "model/TrayOptions.h"

#include "common/Logging.h"
#include "model/TraySettings.h"

#include <QCommandLineParser>
#include <QFile>

#include <cstring>

namespace forgewire {

using namespace Qt::StringLiterals;

TrayOptions TrayOptions::parse(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"forgewire-tray: live notification count, stopwatches and project boards from forgewire-server.\n"
        "The token comes from the system keychain (Settings), the file given with --token-file, the "
        "%1 environment variable, or, on a desktop without a keyring, the plain-text token file chosen "
        "in Settings."_s.arg(kTokenVariable));
    const QCommandLineOption help({u"h"_s, u"help"_s}, u"Displays this help."_s);
    const QCommandLineOption version({u"v"_s, u"version"_s}, u"Displays version information."_s);
    const QCommandLineOption headlessOption(u"headless"_s, u"No GUI: print events on standard output."_s);
    const QCommandLineOption formatOption(
        u"format"_s,
        u"Headless output: 'json' (one JSON line per event, default), 'status' (one line like "
        "'3 unread | alice/proj#7 01:23:45', printed again when it changes) or 'board' (the boards "
        "of --watch-board as text, printed again after each change)."_s,
        u"format"_s);
    const QCommandLineOption serverOption(
        u"server"_s, u"forgewire-server URL, e.g. wss://forge.example.org/-/ws."_s, u"url"_s);
    const QCommandLineOption tokenFileOption(u"token-file"_s, u"Read the token from this file."_s, u"file"_s);
    const QCommandLineOption forgeOption(
        u"forge-url"_s,
        u"The forge's base URL (e.g. https://codeberg.org). Without --server (and no server saved) the "
        "tray polls this forge itself with a forge token: no forgewire-server needed."_s,
        u"url"_s);
    const QCommandLineOption boardOption(u"watch-board"_s, u"Watch this project board (repeatable)."_s,
                                         u"id"_s);
    const QCommandLineOption settingsOption(u"settings"_s, u"Open the settings dialog on start."_s);
    const QCommandLineOption logOption(u"log-level"_s, u"debug, info, warning (default) or critical."_s,
                                       u"level"_s);
    parser.addOptions({help, version, headlessOption, formatOption, serverOption, tokenFileOption,
                       forgeOption, boardOption, settingsOption, logOption});

    TrayOptions options;
    options.helpText = parser.helpText();
    if (!parser.parse(arguments)) {
        options.error = parser.errorText();
        return options;
    }
    if (!parser.positionalArguments().isEmpty()) {
        options.error = u"Unexpected argument '%1'."_s.arg(parser.positionalArguments().first());
        return options;
    }
    options.showHelp = parser.isSet(help);
    options.showVersion = parser.isSet(version);
    options.headless = parser.isSet(headlessOption);
    options.openSettings = parser.isSet(settingsOption);
    options.tokenFile = parser.value(tokenFileOption);

    if (parser.isSet(formatOption)) {
        const QString format = parser.value(formatOption);
        if (format == "json"_L1) {
            options.format = Format::Json;
        } else if (format == "status"_L1) {
            options.format = Format::Status;
        } else if (format == "board"_L1) {
            options.format = Format::Board;
        } else {
            options.error = u"Unknown format '%1' (json, status or board)."_s.arg(format);
            return options;
        }
        if (!options.headless) {
            options.error = u"--format needs --headless."_s;
            return options;
        }
    }
    if (parser.isSet(serverOption)) {
        const QUrl url(parser.value(serverOption));
        if (const QString problem = TraySettings::checkServerUrl(url); !problem.isEmpty()) {
            options.error = problem;
            return options;
        }
        options.serverUrl = url;
    }
    if (parser.isSet(forgeOption)) {
        const QUrl url(parser.value(forgeOption));
        if (const QString problem = TraySettings::checkForgeUrl(url); !problem.isEmpty()) {
            options.error = problem;
            return options;
        }
        options.forgeUrl = url;
    }
    if (parser.isSet(boardOption)) {
        QString problem;
        const QList<qint64> boards =
            TraySettings::parseBoardList(parser.values(boardOption).join(u','), &problem);
        if (!problem.isEmpty()) {
            options.error = problem;
            return options;
        }
        options.watchedBoards = boards;
    }
    // The saved boards would do too, but a terminal user names the board to show.
    if (options.format == Format::Board && (!options.watchedBoards || options.watchedBoards->isEmpty())) {
        options.error = u"--format board needs --watch-board ID."_s;
        return options;
    }
    if (parser.isSet(logOption)) {
        options.logLevel = parser.value(logOption);
        static const QStringList levels{u"debug"_s, u"info"_s, u"warning"_s, u"critical"_s};
        if (!levels.contains(options.logLevel)) {
            options.error = u"Unknown log level '%1'."_s.arg(options.logLevel);
            return options;
        }
    }
    return options;
}

std::optional<QByteArray> TrayOptions::tokenOverride(QString* error) const
{
    const QByteArray fromEnvironment = qgetenv(kTokenVariable.toLatin1().constData()).trimmed();
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    if (tokenFile.isEmpty())
        return std::nullopt;
    QFile file(tokenFile);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = u"Cannot read the token file %1: %2"_s.arg(tokenFile, file.errorString());
        return std::nullopt;
    }
    const QByteArray token = file.readAll().trimmed();
    if (token.isEmpty()) {
        *error = u"The token file %1 is empty."_s.arg(tokenFile);
        return std::nullopt;
    }
    return token;
}

bool TrayOptions::needsDisplay(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        for (const char* consoleOnly : {"--headless", "--help", "-h", "--version", "-v"}) {
            if (std::strcmp(argv[i], consoleOnly) == 0)
                return false;
        }
    }
    return true;
}

} // namespace forgewire
