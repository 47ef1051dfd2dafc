// Writes forgewire-server(1) to standard output. OPTIONS is the server's own --help, CONFIGURATION
// FILE walks ServerSettings: the table that also drives the INI reader and the flags, so the page
// lists every setting with the default the binary really has.

#include "ManPage.h"
#include "config/ServerConfig.h"
#include "config/ServerSettings.h"

#include <QCoreApplication>

#include <cstdio>

using namespace forgewire;
using namespace Qt::StringLiterals;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"forgewire-server"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(FORGEWIRE_VERSION));

    const ConfigParseResult help = parseServerArguments({u"forgewire-server"_s, u"--help"_s});
    if (help.exitText.isEmpty()) {
        std::fputs("forgewire-server --help printed nothing\n", stderr);
        return 1;
    }

    ManPage page(u"forgewire-server"_s, 1, QStringLiteral(FORGEWIRE_VERSION),
                 u"real-time push server for Gitea and Forgejo"_s);
    page.synopsis(ManPage::bold(u"forgewire-server"_s) + u" ["_s + ManPage::option(u"--config"_s, u"file"_s) +
                  u"] ["_s + ManPage::italic(u"option"_s) + u" ...]"_s);

    page.section(u"Description"_s);
    page.paragraph(
        u"forgewire-server delivers the live unread-notification count, running issue stopwatches, "
        "logout propagation and project board events of a Gitea or Forgejo forge to WebSocket "
        "clients (the browser, forgewire-tray). Clients connect to ws://LISTEN:PORT/-/ws; the forge "
        "publishes on the admin listener (POST /api/v1/publish), which also answers GET /healthz, "
        "/readyz and /metrics."_s);
    page.paragraph(u"In bridge mode (forge url set) the server polls the forge's REST API for every user "
                   "connected with a forge token instead, so an unmodified forge or Codeberg works too. With "
                   "engine=redis://host:port/db several nodes behind one Redis behave as one."_s);
    page.paragraph(
        u"Settings come from the built-in defaults, overridden by the INI file given with --config, "
        "overridden by the environment (secrets only), overridden by flags."_s);

    page.section(u"Options"_s);
    page.optionsFromHelp(help.exitText);

    page.section(u"Configuration file"_s);
    page.paragraph(
        u"An INI file; every key is optional. A value containing a comma must be in double quotes. "
        "Each setting below names its flag where it has one; the rest can only be set in the file."_s);
    QLatin1StringView currentSection;
    for (const ServerSetting& setting : serverSettings()) {
        if (setting.section() != currentSection) {
            currentSection = setting.section();
            page.subsection(u"[%1]"_s.arg(currentSection));
        }
        const QString key = setting.isFreeForm() ? u"<key>"_s : QString(setting.key());
        QString text = setting.describe();
        if (!setting.flag.isEmpty())
            text += u" Flag: "_s + setting.flagName() + u'.';
        page.item(ManPage::bold(key) + u" = "_s + ManPage::italic(setting.valueName), text);
    }

    page.section(u"Environment"_s);
    page.item(ManPage::bold(u"FORGEWIRE_JWT_SECRET"_s),
              u"The HS256 secret for client JWTs; overrides jwt_secret in the file."_s);
    page.item(ManPage::bold(u"FORGEWIRE_PUBLISHER_SECRET"_s),
              u"The bearer secret of the publish API; overrides publisher_secret in the file."_s);
    page.item(
        ManPage::bold(u"QT_LOGGING_RULES"_s),
        u"Fine-grained logging, e.g. forgewire.ws.debug=true. Categories: forgewire.server, forgewire.ws, "
        "forgewire.http, forgewire.broker, forgewire.state, forgewire.redis, forgewire.forge."_s);

    page.section(u"Signals"_s);
    page.paragraph(
        u"SIGTERM and SIGINT drain the node: /readyz turns 503, every client is closed with 1001 so it "
        "reconnects (to another node) with backoff, and the process exits after drain_timeout_ms."_s);

    page.section(u"Exit status"_s);
    page.item(ManPage::bold(u"0"_s), u"Drained after a signal, or --help / --version."_s);
    page.item(ManPage::bold(u"1"_s),
              u"The server could not start (a port in use, the state file unwritable)."_s);
    page.item(ManPage::bold(u"2"_s), u"A bad flag or configuration value; the message names it."_s);

    page.section(u"Files"_s);
    page.item(
        ManPage::italic(u"/etc/forgewire/forgewire.ini"_s),
        u"The configuration the packaged systemd unit starts the server with (mode 0640, root:forgewire; "
        "its secrets are generated when the package is first installed)."_s);
    page.item(ManPage::italic(u"/var/lib/forgewire/"_s),
              u"State of the packaged service: the SQLite state file, and a generated publisher secret when "
              "none is configured."_s);
    page.item(ManPage::italic(u"/usr/share/forgewire/forgewire.example.ini"_s),
              u"Every setting with its default and a comment."_s);
    page.item(ManPage::italic(u"forgewire-server.service"_s),
              u"The hardened systemd unit: systemctl enable --now forgewire-server."_s);

    page.section(u"See also"_s);
    page.paragraph(u"forgewire-tray(1), systemctl(1), redis-server(1)"_s);

    return page.write(QCoreApplication::arguments());
}
