<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de" sourcelanguage="en">
<context>
    <name>BoardState</name>
    <message>
        <source>issue %1</source>
        <translation>Issue %1</translation>
    </message>
    <message>
        <source>Project board %1</source>
        <translation>Projektboard %1</translation>
    </message>
</context>
<context>
    <name>QObject</name>
    <message>
        <source>New account</source>
        <translation>Neues Konto</translation>
    </message>
    <message>
        <source>No server URL set.</source>
        <translation>Keine Server-URL angegeben.</translation>
    </message>
    <message>
        <source>“%1” is not a valid URL.</source>
        <translation>„%1“ ist keine gültige URL.</translation>
    </message>
    <message>
        <source>The server URL must start with ws:// or wss://, e.g. wss://forge.example.org/-/ws.</source>
        <translation>Die Server-URL muss mit ws:// oder wss:// beginnen, z. B. wss://forge.example.org/-/ws.</translation>
    </message>
    <message>
        <source>Put the token in the token field, not in the server URL.</source>
        <translation>Das Token gehört in das Token-Feld, nicht in die Server-URL.</translation>
    </message>
    <message>
        <source>The forge URL must be an http:// or https:// address, e.g. https://codeberg.org.</source>
        <translation>Die Forge-URL muss eine http://- oder https://-Adresse sein, z. B. https://codeberg.org.</translation>
    </message>
    <message>
        <source>“%1” is not a project id.</source>
        <translation>„%1“ ist keine Projekt-ID.</translation>
    </message>
    <message>
        <source>At most %1 accounts are supported.</source>
        <translation>Höchstens %1 Konten werden unterstützt.</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <source>%1: another account already uses this server URL.</source>
        <translation>%1: Ein anderes Konto verwendet diese Server-URL bereits.</translation>
    </message>
    <message>
        <source>Cannot remove %1.</source>
        <translation>%1 kann nicht entfernt werden.</translation>
    </message>
    <message>
        <source>Cannot create %1.</source>
        <translation>%1 kann nicht angelegt werden.</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>%1 kann nicht geschrieben werden: %2</translation>
    </message>
    <message>
        <source>%1: another account already uses this forge directly.</source>
        <translation>%1: Ein anderes Konto nutzt diese Forge bereits direkt.</translation>
    </message>
    <message>
        <source>Connecting to the forge directly needs its URL, e.g. https://codeberg.org.</source>
        <translation>Die direkte Verbindung zur Forge braucht deren URL, z. B. https://codeberg.org.</translation>
    </message>
</context>
<context>
    <name>forgewire::AccountMenuSection</name>
    <message>
        <source>Mark all as read</source>
        <translation>Alle als gelesen markieren</translation>
    </message>
    <message>
        <source>Open notifications</source>
        <translation>Benachrichtigungen öffnen</translation>
    </message>
    <message>
        <source>Start stopwatch…</source>
        <translation>Stoppuhr starten…</translation>
    </message>
    <message>
        <source>Sign in again</source>
        <translation>Erneut anmelden</translation>
    </message>
    <message>
        <source>Reconnect now</source>
        <translation>Jetzt neu verbinden</translation>
    </message>
    <message>
        <source>1 unread notification</source>
        <translation>1 ungelesene Benachrichtigung</translation>
    </message>
    <message>
        <source>%1 unread notifications</source>
        <translation>%1 ungelesene Benachrichtigungen</translation>
    </message>
    <message>
        <source>Open the issue in the browser</source>
        <translation>Das Issue im Browser öffnen</translation>
    </message>
    <message>
        <source>Open issue</source>
        <translation>Issue öffnen</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Anhalten</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Verwerfen</translation>
    </message>
    <message>
        <source>Open in the browser and mark as read</source>
        <translation>Im Browser öffnen und als gelesen markieren</translation>
    </message>
    <message>
        <source>Loading your issues…</source>
        <translation>Deine Issues werden geladen…</translation>
    </message>
    <message>
        <source>No open issues assigned to you</source>
        <translation>Dir sind keine offenen Issues zugewiesen</translation>
    </message>
    <message>
        <source>Boards — %1</source>
        <translation>Boards — %1</translation>
    </message>
</context>
<context>
    <name>forgewire::AccountSet</name>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <source>%1: %2 unread · %3</source>
        <translation>%1: %2 ungelesen · %3</translation>
    </message>
    <message>
        <source>1 unread notification in total</source>
        <translation>Insgesamt 1 ungelesene Benachrichtigung</translation>
    </message>
    <message>
        <source>%1 unread notifications in total</source>
        <translation>Insgesamt %1 ungelesene Benachrichtigungen</translation>
    </message>
</context>
<context>
    <name>forgewire::BoardWatcher</name>
    <message>
        <source>%1 changes</source>
        <translation>%1 Änderungen</translation>
    </message>
    <message>
        <source>… and %1 more</source>
        <translation>… und %1 weitere</translation>
    </message>
    <message>
        <source>Project board %1</source>
        <translation>Projektboard %1</translation>
    </message>
    <message>
        <source>column %1</source>
        <translation>Spalte %1</translation>
    </message>
    <message>
        <source>%1#%2 moved to %3</source>
        <translation>%1#%2 nach %3 verschoben</translation>
    </message>
    <message>
        <source>A card was added to %1</source>
        <translation>Eine Karte wurde zu %1 hinzugefügt</translation>
    </message>
    <message>
        <source>A card was removed from %1</source>
        <translation>Eine Karte wurde aus %1 entfernt</translation>
    </message>
    <message>
        <source>Column “%1” added</source>
        <translation>Spalte „%1“ hinzugefügt</translation>
    </message>
    <message>
        <source>Column “%1” changed</source>
        <translation>Spalte „%1“ geändert</translation>
    </message>
    <message>
        <source>Deleted %1; its cards went to %2</source>
        <translation>%1 gelöscht; die Karten sind jetzt in %2</translation>
    </message>
    <message>
        <source>Columns reordered</source>
        <translation>Spalten umsortiert</translation>
    </message>
    <message>
        <source>Project “%1” closed</source>
        <translation>Projekt „%1“ geschlossen</translation>
    </message>
    <message>
        <source>Project “%1” updated</source>
        <translation>Projekt „%1“ aktualisiert</translation>
    </message>
    <message>
        <source>The project was deleted</source>
        <translation>Das Projekt wurde gelöscht</translation>
    </message>
    <message>
        <source>Board changed (%1)</source>
        <translation>Board geändert (%1)</translation>
    </message>
    <message>
        <source>%1 was added to %2</source>
        <translation>%1 wurde zu %2 hinzugefügt</translation>
    </message>
    <message>
        <source>%1 was removed from %2</source>
        <translation>%1 wurde aus %2 entfernt</translation>
    </message>
    <message>
        <source>%1 “%2”</source>
        <comment>issue reference and title</comment>
        <translation>%1 „%2“</translation>
    </message>
    <message>
        <source>“%1”</source>
        <comment>a column&apos;s title</comment>
        <translation>„%1“</translation>
    </message>
</context>
<context>
    <name>forgewire::BoardWindow</name>
    <message>
        <source>Open in &amp;browser</source>
        <translation>Im &amp;Browser öffnen</translation>
    </message>
    <message>
        <source>This project was deleted. The board no longer updates.</source>
        <translation>Dieses Projekt wurde gelöscht. Das Board wird nicht mehr aktualisiert.</translation>
    </message>
    <message>
        <source>The server refused this board: %1</source>
        <translation>Der Server hat dieses Board abgelehnt: %1</translation>
    </message>
    <message>
        <source>Reconnecting… the board shows what it was and catches up once connected.</source>
        <translation>Verbinde erneut… Das Board zeigt den letzten bekannten Stand und holt die Änderungen nach, sobald die Verbindung steht.</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Verbinde…</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Wird geladen…</translation>
    </message>
    <message>
        <source>The server has no live model of this board; only changes from now on show.</source>
        <translation>Der Server hat kein Live-Modell dieses Boards; nur Änderungen ab jetzt werden angezeigt.</translation>
    </message>
    <message>
        <source>%1 — Forgewire board</source>
        <translation>%1 — Forgewire-Board</translation>
    </message>
    <message>
        <source>Project board %1</source>
        <translation>Projektboard %1</translation>
    </message>
    <message>
        <source>%1 (%2, default)</source>
        <translation>%1 (%2, Standard)</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>Column %1</source>
        <translation>Spalte %1</translation>
    </message>
    <message>
        <source>✓ %1 (closed)</source>
        <translation>✓ %1 (geschlossen)</translation>
    </message>
    <message>
        <source>%1 — Enter opens it</source>
        <translation>%1 — mit der Eingabetaste öffnen</translation>
    </message>
</context>
<context>
    <name>forgewire::BoardsMenu</name>
    <message>
        <source>&amp;Boards</source>
        <translation>&amp;Boards</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>Project board %1</source>
        <translation>Projektboard %1</translation>
    </message>
    <message>
        <source>No boards</source>
        <translation>Keine Boards</translation>
    </message>
    <message>
        <source>Not connected</source>
        <translation>Nicht verbunden</translation>
    </message>
</context>
<context>
    <name>forgewire::DesktopNotifier</name>
    <message>
        <source>Open</source>
        <translation>Öffnen</translation>
    </message>
</context>
<context>
    <name>forgewire::DirectForge</name>
    <message>
        <source>The forge refused the token (HTTP %1). Enter a new one in Settings.</source>
        <translation>Die Forge hat das Token abgelehnt (HTTP %1). Geben Sie in den Einstellungen ein neues ein.</translation>
    </message>
    <message>
        <source>The token lacks the scope %1. Create one with it and enter it in Settings.</source>
        <translation>Dem Token fehlt der Bereich %1. Erstellen Sie eines damit und geben Sie es in den Einstellungen ein.</translation>
    </message>
</context>
<context>
    <name>forgewire::ForgeActions</name>
    <message>
        <source>the token contains a control character (a line break?); not sent to the forge</source>
        <translation>das Token enthält ein Steuerzeichen (einen Zeilenumbruch?); es wurde nicht an die Forge gesendet</translation>
    </message>
    <message>
        <source>cannot reach the forge: %1</source>
        <translation>die Forge ist nicht erreichbar: %1</translation>
    </message>
    <message>
        <source>the forge refused the token</source>
        <translation>die Forge hat das Token abgelehnt</translation>
    </message>
    <message>
        <source>the forge refused the token: it lacks the scope %1</source>
        <translation>die Forge hat das Token abgelehnt: ihm fehlt der Scope %1</translation>
    </message>
    <message>
        <source>no stopwatch is running on that issue</source>
        <translation>auf diesem Issue läuft keine Stoppuhr</translation>
    </message>
    <message>
        <source>the forge answered %1</source>
        <translation>die Forge antwortete mit %1</translation>
    </message>
</context>
<context>
    <name>forgewire::SettingsDialog</name>
    <message>
        <source>Forget the stored token</source>
        <translation>Gespeichertes Token vergessen</translation>
    </message>
    <message>
        <source>Notify me about changes on these boards</source>
        <translation>Bei Änderungen auf diesen Boards benachrichtigen</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>Hinzufügen</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Entfernen</translation>
    </message>
    <message>
        <source>Do not disturb now</source>
        <translation>Jetzt nicht stören</translation>
    </message>
    <message>
        <source>Quiet every day from</source>
        <translation>Täglich Ruhe von</translation>
    </message>
    <message>
        <source>Changes on watched boards</source>
        <translation>Änderungen auf beobachteten Boards</translation>
    </message>
    <message>
        <source>New notifications</source>
        <translation>Neue Benachrichtigungen</translation>
    </message>
    <message>
        <source>Stopwatch reminders</source>
        <translation>Stoppuhr-Erinnerungen</translation>
    </message>
    <message>
        <source>Start Forgewire when I log in</source>
        <translation>Forgewire bei der Anmeldung starten</translation>
    </message>
    <message>
        <source>Forgewire Settings</source>
        <translation>Forgewire-Einstellungen</translation>
    </message>
    <message>
        <source>Project ids, e.g. 42, 57</source>
        <translation>Projekt-IDs, z. B. 42, 57</translation>
    </message>
    <message>
        <source>Shown in the menu, e.g. Codeberg</source>
        <translation>Wird im Menü angezeigt, z. B. Codeberg</translation>
    </message>
    <message>
        <source>Server URL:</source>
        <translation>Server-URL:</translation>
    </message>
    <message>
        <source>Token:</source>
        <translation>Token:</translation>
    </message>
    <message>
        <source>Forge URL:</source>
        <translation>Forge-URL:</translation>
    </message>
    <message>
        <source>Watched boards:</source>
        <translation>Beobachtete Boards:</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Name:</translation>
    </message>
    <message>
        <source>to</source>
        <translation>bis</translation>
    </message>
    <message>
        <source>Desktop notifications for:</source>
        <translation>Desktop-Benachrichtigungen für:</translation>
    </message>
    <message>
        <source>Accounts</source>
        <translation>Konten</translation>
    </message>
    <message>
        <source>Notifications</source>
        <translation>Benachrichtigungen</translation>
    </message>
    <message>
        <source>Stored in the keychain; type to replace</source>
        <translation>Im Schlüsselbund gespeichert; zum Ersetzen eintippen</translation>
    </message>
    <message>
        <source>Forge token, JWT or static token</source>
        <translation>Forge-Token, JWT oder statisches Token</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <source>No keyring found: %1. Without one a token cannot be kept safely: it is used until Forgewire quits, unless you keep it in a plain-text file.</source>
        <translation>Kein Schlüsselbund gefunden: %1. Ohne ihn lässt sich ein Token nicht sicher aufbewahren: Es gilt, bis Forgewire beendet wird, außer Sie bewahren es in einer Klartextdatei auf.</translation>
    </message>
    <message>
        <source>Tokens are kept in a plain-text file.</source>
        <translation>Tokens werden in einer Klartextdatei aufbewahrt.</translation>
    </message>
    <message>
        <source>Keep tokens in a plain-text file (%1, readable by you only; anyone with your account&apos;s files can read them)</source>
        <translation>Tokens in einer Klartextdatei aufbewahren (%1, nur für Sie lesbar; wer die Dateien Ihres Kontos lesen kann, kann sie lesen)</translation>
    </message>
    <message>
        <source>Forgewire server</source>
        <translation>Forgewire-Server</translation>
    </message>
    <message>
        <source>Forge directly (no server: the tray polls the forge with a forge token)</source>
        <translation>Forge direkt (ohne Server: das Symbol fragt die Forge mit einem Forge-Token ab)</translation>
    </message>
    <message>
        <source>Connect to:</source>
        <translation>Verbinden mit:</translation>
    </message>
</context>
<context>
    <name>forgewire::TrayApplication</name>
    <message>
        <source>Forgewire</source>
        <translation>Forgewire</translation>
    </message>
    <message>
        <source>The token could not be stored in the keychain for the new server URL (%1). It is used for this session only.</source>
        <translation>Das Token konnte nicht für die neue Server-URL im Schlüsselbund gespeichert werden (%1). Es gilt nur für diese Sitzung.</translation>
    </message>
    <message>
        <source>The token could not be stored in the keychain (%1). It is used for this session only.</source>
        <translation>Das Token konnte nicht im Schlüsselbund gespeichert werden (%1). Es gilt nur für diese Sitzung.</translation>
    </message>
    <message>
        <source>The token could not be stored (%1). It is used for this session only.</source>
        <translation>Das Token konnte nicht gespeichert werden (%1). Es gilt nur für diese Sitzung.</translation>
    </message>
</context>
<context>
    <name>forgewire::TrayController</name>
    <message>
        <source>Could not mark the notification read</source>
        <translation>Die Benachrichtigung konnte nicht als gelesen markiert werden</translation>
    </message>
    <message>
        <source>Your token is sent unencrypted to %1; anyone on the network can read and reuse it. Use wss:// and https://.</source>
        <translation>Dein Token wird unverschlüsselt an %1 gesendet; jeder im Netzwerk kann es mitlesen und verwenden. Verwende wss:// und https://.</translation>
    </message>
    <message>
        <source> and </source>
        <translation> und </translation>
    </message>
    <message>
        <source>Could not stop the stopwatch</source>
        <translation>Die Stoppuhr konnte nicht angehalten werden</translation>
    </message>
    <message>
        <source>Could not cancel the stopwatch</source>
        <translation>Die Stoppuhr konnte nicht verworfen werden</translation>
    </message>
    <message>
        <source>Forge actions need the forge URL and a forge access token.</source>
        <translation>Forge-Aktionen brauchen die Forge-URL und ein Forge-Zugriffstoken.</translation>
    </message>
    <message>
        <source>Could not mark notifications read</source>
        <translation>Die Benachrichtigungen konnten nicht als gelesen markiert werden</translation>
    </message>
    <message>
        <source>Could not start the stopwatch</source>
        <translation>Die Stoppuhr konnte nicht gestartet werden</translation>
    </message>
    <message>
        <source>Could not list your issues</source>
        <translation>Deine Issues konnten nicht abgerufen werden</translation>
    </message>
    <message>
        <source>Still running: %1</source>
        <translation>Läuft noch: %1</translation>
    </message>
    <message>
        <source>%1 has been running for %2</source>
        <translation>%1 läuft seit %2</translation>
    </message>
</context>
<context>
    <name>forgewire::TrayIcon</name>
    <message>
        <source>Do not disturb</source>
        <translation>Nicht stören</translation>
    </message>
    <message>
        <source>No desktop notifications; the badge still updates</source>
        <translation>Keine Desktop-Benachrichtigungen; das Badge wird weiter aktualisiert</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>Einstellungen…</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Beenden</translation>
    </message>
    <message numerus="yes">
        <source>%n new notifications</source>
        <translation>
            <numerusform>%n neue Benachrichtigung</numerusform>
            <numerusform>%n neue Benachrichtigungen</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>forgewire::TrayState</name>
    <message>
        <source>Offline</source>
        <translation>Offline</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Verbinde…</translation>
    </message>
    <message>
        <source>Connected as %1</source>
        <translation>Verbunden als %1</translation>
    </message>
    <message>
        <source>Connected (anonymous)</source>
        <translation>Verbunden (anonym)</translation>
    </message>
    <message>
        <source>Reconnecting in %1 s</source>
        <translation>Neuer Verbindungsversuch in %1 s</translation>
    </message>
    <message>
        <source>Reconnecting in %1 ms</source>
        <translation>Neuer Verbindungsversuch in %1 ms</translation>
    </message>
    <message>
        <source>Reconnecting…</source>
        <translation>Verbinde erneut…</translation>
    </message>
    <message>
        <source>Token refused — check Settings</source>
        <translation>Token abgelehnt – bitte die Einstellungen prüfen</translation>
    </message>
    <message>
        <source>Signed out</source>
        <translation>Abgemeldet</translation>
    </message>
    <message>
        <source>1 unread notification</source>
        <translation>1 ungelesene Benachrichtigung</translation>
    </message>
    <message>
        <source>%1 unread notifications</source>
        <translation>%1 ungelesene Benachrichtigungen</translation>
    </message>
</context>
</TS>
