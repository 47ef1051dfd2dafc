#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <optional>

namespace forgewire {

// forgewire-tray's command line. Settings the user saved are the defaults; flags override them for
// this run only.
struct TrayOptions
{
    enum class Format
    {
        Json,   // one JSON object per received message
        Status, // one status line, printed again whenever it changes
        Board   // the watched boards as text, printed again after each change
    };

    // The environment variable a token can come from (the command line would show it in `ps`).
    static inline const QString kTokenVariable = QStringLiteral("FORGEWIRE_TOKEN");

    bool headless = false;
    Format format = Format::Json;
    std::optional<QUrl> serverUrl;
    std::optional<QUrl> forgeUrl;
    std::optional<QList<qint64>> watchedBoards;
    QString tokenFile;
    QString logLevel;
    bool openSettings = false;

    bool showHelp = false;
    bool showVersion = false;
    QString helpText;
    QString error; // non-empty: print it with the help hint and exit with 2

    static TrayOptions parse(const QStringList& arguments);
    // The token from FORGEWIRE_TOKEN or --token-file, which win over the keychain; empty when neither
    // is given. `error` is set when the file cannot be read.
    std::optional<QByteArray> tokenOverride(QString* error) const;
    // Checked before the application object exists: only the tray itself needs a display; --headless,
    // --help and --version must work without one.
    static bool needsDisplay(int argc, char** argv);
};

} // namespace forgewire
