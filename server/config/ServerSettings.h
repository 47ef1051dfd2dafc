#pragma once

#include <QLatin1StringView>
#include <QList>
#include <QString>

#include <functional>

namespace forgewire {

struct ServerConfig;

// One setting of forgewire-server. The table of them (serverSettings()) is the only place a setting
// is named: the INI reader, the command-line flags, `--help` and the tests all walk it, so a key,
// its flag and its range check cannot drift apart.
struct ServerSetting
{
    // Parses `value` into the config. `name` is what an error calls the setting: `--flag` or the INI
    // key; for a free-form section (`section/*`) it is the key itself. Returns an error, or empty.
    using Setter = std::function<QString(ServerConfig& config, const QString& name, const QString& value)>;
    // The value as an INI file or a flag would spell it (a setter given it sets the same value).
    using Getter = std::function<QString(const ServerConfig& config)>;

    // "section/key"; "section/*" is a section whose every key is an entry (`[static_tokens]`).
    QLatin1StringView iniKey;
    // Long option name without the dashes; empty: INI only (free-form sections, tuning rarely set).
    QLatin1StringView flag;
    // What the value looks like, for --help: `ms`, `addr`, ...
    QLatin1StringView valueName;
    // One sentence for --help; the default (from a default-constructed ServerConfig) is appended.
    QString help;
    Setter set;
    Getter get;

    QLatin1StringView section() const;
    QLatin1StringView key() const;
    bool isFreeForm() const;
    // What an INI error calls it: the key, with the section in front for [forge], whose keys
    // alone ("url") say little.
    QString iniName() const;
    QString flagName() const;
    // `help` with the default appended, as --help shows it.
    QString describe() const;
};

// Every setting, in the order the example INI file lists them.
const QList<ServerSetting>& serverSettings();

} // namespace forgewire
