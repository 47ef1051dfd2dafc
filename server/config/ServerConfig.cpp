#include "config/ServerConfig.h"

#include "config/ServerSettings.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QThread>

namespace forgewire {

using namespace Qt::StringLiterals;

int ServerConfig::effectiveWorkers() const
{
    return workers > 0 ? workers : qMax(1, QThread::idealThreadCount());
}

QString ServerConfig::effectivePublisherSecretFile() const
{
    if (!publisherSecretFile.isEmpty())
        return publisherSecretFile;
    // ":memory:" has no directory (and a leading ':' is a Qt resource path to QFileInfo): use the
    // working directory, which is what a throwaway instance started from a shell expects.
    const QDir dir = statePath.startsWith(u':') ? QDir::current() : QFileInfo(statePath).absoluteDir();
    return dir.filePath(QStringLiteral("publisher-secret"));
}

QString ServerConfig::loadIni(const QString& path)
{
    if (!QFileInfo(path).isReadable())
        return u"cannot read config file '%1'"_s.arg(path);
    QSettings ini(path, QSettings::IniFormat);
    if (ini.status() != QSettings::NoError)
        return u"config file '%1' is not valid INI"_s.arg(path);

    // QSettings reads an unquoted value with a comma as a list, and toString() of a list is empty: a
    // secret like a,b would silently become no secret at all.
    auto read = [&](const QString& key, const QString& name, const ServerSetting& setting, bool trim) {
        const QVariant value = ini.value(key);
        if (value.typeId() == QMetaType::QStringList)
            return u"the value of '%1' contains a comma; put it in double quotes"_s.arg(key);
        return setting.set(*this, name, trim ? value.toString().trimmed() : value.toString());
    };
    QString error;
    for (const ServerSetting& setting : serverSettings()) {
        if (setting.isFreeForm()) {
            const QString section = setting.section();
            ini.beginGroup(section);
            const QStringList keys = ini.childKeys();
            ini.endGroup();
            for (const QString& key : keys) {
                error = read(section + u'/' + key, key, setting, false);
                if (!error.isEmpty())
                    break;
            }
        } else if (ini.contains(setting.iniKey)) {
            error = read(setting.iniKey, setting.iniName(), setting, true);
        }
        if (!error.isEmpty())
            break;
    }
    if (error.isEmpty() && forgePoll.maxMs < forgePoll.minMs)
        error = u"forge poll_max_ms must be >= poll_min_ms"_s;
    return error.isEmpty() ? QString() : u"%1: %2"_s.arg(path, error);
}

ConfigParseResult parseServerArguments(const QStringList& arguments)
{
    // The INI-only settings are listed in the description: QCommandLineParser shows only flags.
    QString iniOnly;
    for (const ServerSetting& setting : serverSettings()) {
        if (setting.flag.isEmpty())
            iniOnly += u"\n  [%1] %2=%3: %4"_s.arg(setting.section(),
                                                   setting.isFreeForm() ? u"<key>"_s : setting.key(),
                                                   setting.valueName, setting.describe());
    }
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"forgewire-server: real-time push for Gitea/Forgejo (PROTOCOL.md v1).\n"
        "Clients connect to ws://LISTEN:PORT/-/ws; forges publish on the admin listener "
        "(POST /api/v1/publish, GET /healthz /readyz /metrics).\n"
        "Flags override the --config INI file, which overrides the built-in defaults.\n"
        "Secrets may also come from FORGEWIRE_JWT_SECRET and FORGEWIRE_PUBLISHER_SECRET.\n"
        "Each flag names its INI key; a value containing a comma must be in double quotes there.\n"
        "INI-only settings (see resources/forgewire.example.ini):"_s +
        iniOnly);
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption config(u"config"_s, u"INI config file (see forgewire.example.ini)."_s,
                                    u"file"_s);
    parser.addOption(config);
    for (const ServerSetting& setting : serverSettings()) {
        if (!setting.flag.isEmpty())
            parser.addOption(QCommandLineOption(
                setting.flag, u"%1 INI: [%2] %3"_s.arg(setting.describe(), setting.section(), setting.key()),
                setting.valueName));
    }

    ConfigParseResult result;
    if (!parser.parse(arguments)) {
        result.error = parser.errorText();
        return result;
    }
    if (parser.isSet(u"help"_s)) {
        result.exitText = parser.helpText();
        return result;
    }
    if (parser.isSet(u"version"_s)) {
        result.exitText = u"forgewire-server " FORGEWIRE_VERSION "\n"_s;
        return result;
    }
    if (!parser.positionalArguments().isEmpty()) {
        result.error = u"unexpected argument '%1'"_s.arg(parser.positionalArguments().first());
        return result;
    }

    ServerConfig cfg;
    QString error;
    if (parser.isSet(config))
        error = cfg.loadIni(parser.value(config));
    const QByteArray envJwt = qgetenv("FORGEWIRE_JWT_SECRET");
    if (!envJwt.isEmpty())
        cfg.jwtSecret = envJwt;
    const QByteArray envPublisher = qgetenv("FORGEWIRE_PUBLISHER_SECRET");
    if (!envPublisher.isEmpty())
        cfg.publisherSecret = envPublisher;

    for (const ServerSetting& setting : serverSettings()) {
        if (error.isEmpty() && !setting.flag.isEmpty() && parser.isSet(setting.flag))
            error = setting.set(cfg, setting.flagName(), parser.value(setting.flag));
    }
    if (!error.isEmpty()) {
        result.error = error;
        return result;
    }
    result.config = cfg;
    return result;
}

QString ServerConfig::validate() const
{
    if (cookieAuth && forgeUrl.isEmpty())
        return u"forge cookie_auth needs forge url: a session cookie is checked with that forge's "
               "/notifications/new"_s;
    if (cookieAuth && allowedOrigins.isEmpty())
        return u"forge cookie_auth needs server allowed_origins (the forge's own origin, e.g. "
               "https://git.example.org): a browser sends the forge's cookie with any site's WebSocket "
               "or EventSource request, so without the Origin check any page could act as its visitor"_s;
    return {};
}

} // namespace forgewire
