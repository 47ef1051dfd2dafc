#include "ui/TrayIcon.h"

#include "app/TrayLogging.h"
#include "model/AccountSet.h"
#include "model/TrayController.h"
#include "ui/AccountMenuSection.h"

#include <QDesktopServices>

namespace forgewire {

using namespace Qt::StringLiterals;

TrayIcon::TrayIcon(AccountSet* accounts, const QDBusConnection& bus, QObject* parent)
    : QObject(parent), m_accounts(accounts), m_notifier(bus), m_gate(m_notifier)
{
    m_sectionsEnd = m_menu.addSeparator();
    m_sectionsEnd->setVisible(false); // each section ends with its own separator
    m_doNotDisturb = m_menu.addAction(tr("Do not disturb"));
    m_doNotDisturb->setCheckable(true);
    m_doNotDisturb->setToolTip(tr("No desktop notifications; the badge still updates"));
    connect(m_doNotDisturb, &QAction::toggled, this, [this](bool on) {
        DoNotDisturb rules = m_gate.rules();
        if (rules.enabled == on)
            return;
        rules.enabled = on;
        m_gate.setRules(rules);
        Q_EMIT doNotDisturbChanged(rules);
    });
    connect(&m_gate, &NotificationGate::rulesChanged, this, [this] {
        m_doNotDisturb->setChecked(m_gate.rules().enabled);
        refreshTexts();
    });
    m_menu.addAction(tr("Settings…"), this, &TrayIcon::settingsRequested);
    m_menu.addAction(tr("Quit"), this, &TrayIcon::quitRequested);
    m_tray.setContextMenu(&m_menu);

    connect(&m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
        // Most XEmbed trays only send clicks; a left click shows the menu too.
        if (reason == QSystemTrayIcon::Trigger)
            m_menu.popup(QCursor::pos());
    });
    connect(&m_tray, &QSystemTrayIcon::messageClicked, this, [this] { open(m_balloonUrl); });
    connect(&m_notifier, &DesktopNotifier::openRequested, this, &TrayIcon::open);
    connect(&m_notifier, &DesktopNotifier::deliveryFailed, this, &TrayIcon::showBalloon);

    connect(m_accounts, &AccountSet::changed, this, [this] {
        refreshIcon();
        refreshTexts();
    });
    connect(m_accounts, &AccountSet::accountsChanged, this, &TrayIcon::rebuildSections);
    rebuildSections();
}

TrayIcon::~TrayIcon() = default;

void TrayIcon::rebuildSections()
{
    m_sections.clear();
    const bool several = m_accounts->size() > 1;
    for (const AccountSet::Account& account : m_accounts->accounts()) {
        if (!account.controller)
            continue;
        auto section = std::make_unique<AccountMenuSection>(
            account.controller, several ? account.name : QString(), &m_menu, m_sectionsEnd);
        connect(section.get(), &AccountMenuSection::openRequested, this, &TrayIcon::open);
        m_sections.push_back(std::move(section));
        watch(account.controller);
    }
    refreshIcon();
    refreshTexts();
}

void TrayIcon::watch(TrayController* controller)
{
    if (m_watched.contains(controller))
        return;
    m_watched.append(controller);
    connect(controller, &QObject::destroyed, this, [this, controller] { m_watched.removeAll(controller); });
    connect(controller, &TrayController::boardNotification, this, &TrayIcon::notify);
    connect(controller, &TrayController::configChanged, this, &TrayIcon::refreshTexts);
    connect(controller, &TrayController::actionFailed, this,
            [this](const QString& title, const QString& message) {
                show(DoNotDisturb::Kind::ActionFailure, u"forge-action"_s, title, message, {});
            });
    connect(controller, &TrayController::stopwatchReminder, this,
            [this, controller](const QString& title, const QString& body, const QUrl& url) {
                show(DoNotDisturb::Kind::StopwatchReminder, u"stopwatch-%1"_s.arg(quintptr(controller)),
                     title, body, url);
            });
    connect(controller, &TrayController::notificationsArrived, this,
            [this, controller](const QList<ForgeNotification>& fresh) {
                if (fresh.isEmpty())
                    return;
                const ForgeNotification& first = fresh.first();
                const QString title =
                    fresh.size() == 1 ? first.repo : tr("%n new notifications", nullptr, int(fresh.size()));
                QStringList lines;
                for (const ForgeNotification& n : fresh)
                    lines.append(fresh.size() == 1 ? n.title : u"• %1: %2"_s.arg(n.repo, n.title));
                const QUrl url = fresh.size() == 1 ? first.htmlUrl : controller->notificationsUrl();
                show(DoNotDisturb::Kind::NewNotification, u"notifications-%1"_s.arg(quintptr(controller)),
                     title, lines.join(u'\n'), url);
            });
}

void TrayIcon::refreshIcon()
{
    const TrayIconPainter::Look look = TrayIconPainter::lookFor(m_accounts->overallStatus());
    const QString badge = TrayState::badgeText(m_accounts->totalUnread());
    if (m_iconSet && look == m_look && badge == m_badge)
        return;
    m_look = look;
    m_badge = badge;
    m_iconSet = true;
    m_tray.setIcon(TrayIconPainter::icon(look, badge));
}

void TrayIcon::refreshTexts()
{
    QString tooltip = m_accounts->tooltip();
    for (const AccountSet::Account& account : m_accounts->accounts()) {
        const QString warning = account.controller ? account.controller->cleartextTokenWarning() : QString();
        if (!warning.isEmpty())
            tooltip += u"\n\u26a0 "_s + warning;
    }
    if (m_gate.isQuietNow())
        tooltip += u"\n"_s + tr("Do not disturb");
    m_tray.setToolTip(tooltip);
}

QString TrayIcon::headerText() const
{
    return m_sections.empty() ? QString() : m_sections.front()->headerText();
}

QStringList TrayIcon::stopwatchTexts() const
{
    QStringList texts;
    for (const auto& section : m_sections)
        texts += section->stopwatchTexts();
    return texts;
}

QStringList TrayIcon::notificationTexts() const
{
    QStringList texts;
    for (const auto& section : m_sections)
        texts += section->notificationTexts();
    return texts;
}

void TrayIcon::notify(const BoardNotification& n)
{
    show(DoNotDisturb::Kind::BoardEvent, u"board-%1"_s.arg(n.projectId), n.title, n.body, n.url);
}

void TrayIcon::show(DoNotDisturb::Kind kind, const QString& key, const QString& title, const QString& body,
                    const QUrl& url)
{
    if (m_gate.show(kind, key, title, body, url) == NotificationGate::Result::Unavailable)
        showBalloon(title, body, url);
}

void TrayIcon::showBalloon(const QString& title, const QString& body, const QUrl& url)
{
    m_balloonUrl = url;
    m_tray.showMessage(title, body, QSystemTrayIcon::Information, kBalloonTimeoutMs);
}

void TrayIcon::open(const QUrl& url)
{
    if (url.isValid() && !url.isEmpty() && !QDesktopServices::openUrl(url))
        qCWarning(lcTray) << "could not open" << url.toString();
}

} // namespace forgewire
