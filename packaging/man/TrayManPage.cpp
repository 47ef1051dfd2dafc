// Writes forgewire-tray(1) to standard output; OPTIONS is the tray's own --help.

#include "ManPage.h"
#include "model/TrayOptions.h"

#include <QCoreApplication>

#include <cstdio>

using namespace forgewire;
using namespace Qt::StringLiterals;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"forgewire-tray"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(FORGEWIRE_VERSION));

    const TrayOptions options = TrayOptions::parse({u"forgewire-tray"_s});
    if (options.helpText.isEmpty()) {
        std::fputs("forgewire-tray --help printed nothing\n", stderr);
        return 1;
    }

    ManPage page(u"forgewire-tray"_s, 1, QStringLiteral(FORGEWIRE_VERSION),
                 u"tray icon for live Gitea and Forgejo notifications"_s);
    page.synopsis(ManPage::bold(u"forgewire-tray"_s) + u" ["_s + ManPage::italic(u"option"_s) +
                  u" ...]\n.br\n"_s + ManPage::bold(u"forgewire-tray --headless"_s) + u" ["_s +
                  ManPage::option(u"--format"_s, u"json|status"_s) + u"] ["_s + ManPage::italic(u"option"_s) +
                  u" ...]"_s);

    page.section(u"Description"_s);
    page.paragraph(
        u"forgewire-tray subscribes to a forgewire-server the way the forge's own web UI does and "
        "shows the unread-notification count as a badge on its tray icon, the running stopwatches "
        "in its menu and project board events as desktop notifications. The icon turns amber while "
        "it reconnects, with backoff, and the retained state arrives again after a reconnect."_s);
    page.paragraph(
        u"With --headless it needs no display and prints every event on standard output: one JSON "
        "object per line, or with --format status one status line printed again whenever it changes "
        "(for status bars such as i3blocks, waybar or tmux)."_s);
    page.paragraph(
        u"Settings saved in the Settings dialog are the defaults; flags override them for one run."_s);

    page.section(u"Options"_s);
    page.optionsFromHelp(options.helpText);

    page.section(u"Environment"_s);
    page.item(ManPage::bold(TrayOptions::kTokenVariable),
              u"The token to sign in with; it wins over the keychain. Preferred over a flag, which ps would "
              "show."_s);
    page.item(ManPage::bold(u"QT_LOGGING_RULES"_s), u"Fine-grained logging, e.g. forgewire.*.debug=true."_s);

    page.section(u"Files"_s);
    page.item(ManPage::italic(u"~/.config/Forgewire/forgewire-tray.conf"_s),
              u"Settings saved by the Settings dialog; the token itself is kept in the system keychain."_s);
    page.item(ManPage::italic(u"~/.config/autostart/forgewire-tray.desktop"_s),
              u"Written when \"Start Forgewire when I log in\" is ticked in the Settings dialog, removed "
              u"when it is "
              "unticked."_s);

    page.section(u"See also"_s);
    page.paragraph(u"forgewire-server(1)"_s);

    return page.write(QCoreApplication::arguments());
}
