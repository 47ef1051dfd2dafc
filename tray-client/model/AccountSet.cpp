#include "model/AccountSet.h"

#include "model/TrayController.h"

namespace forgewire {

using namespace Qt::StringLiterals;

AccountSet::AccountSet(QObject* parent) : QObject(parent)
{}

void AccountSet::add(TrayController* controller, const QString& name)
{
    Q_ASSERT(controller);
    m_accounts.append(Account{name, controller});
    connect(&controller->state(), &TrayState::changed, this, &AccountSet::changed);
    connect(controller, &QObject::destroyed, this, [this, controller] { remove(controller); });
    Q_EMIT accountsChanged();
    Q_EMIT changed();
}

void AccountSet::remove(TrayController* controller)
{
    // Called from destroyed() too: the QPointer is null then and the controller's members are gone,
    // so only a live controller is touched.
    bool alive = false;
    const qsizetype removed = m_accounts.removeIf([controller, &alive](const Account& a) {
        if (a.controller == controller && a.controller)
            alive = true;
        return a.controller == controller || a.controller.isNull();
    });
    if (removed == 0)
        return;
    if (alive) {
        disconnect(&controller->state(), nullptr, this, nullptr);
        disconnect(controller, nullptr, this, nullptr);
    }
    Q_EMIT accountsChanged();
    Q_EMIT changed();
}

void AccountSet::setName(TrayController* controller, const QString& name)
{
    for (Account& account : m_accounts) {
        if (account.controller == controller && account.name != name) {
            account.name = name;
            Q_EMIT accountsChanged();
            Q_EMIT changed();
        }
    }
}

qint64 AccountSet::totalUnread() const
{
    qint64 total = 0;
    for (const Account& account : m_accounts) {
        if (account.controller && account.controller->state().hasReceivedState())
            total += account.controller->state().unreadCount();
    }
    return total;
}

TrayState::Status AccountSet::overallStatus() const
{
    if (m_accounts.isEmpty() || !m_accounts.first().controller)
        return TrayState::Status::Offline;
    for (const Account& account : m_accounts) {
        if (account.controller && account.controller->state().status() == TrayState::Status::Connected)
            return TrayState::Status::Connected;
    }
    return m_accounts.first().controller->state().status();
}

QString AccountSet::summaryLine(const QString& name, const TrayState& state)
{
    if (!state.hasReceivedState())
        return tr("%1: %2").arg(name, state.connectionText());
    return tr("%1: %2 unread · %3").arg(name).arg(state.unreadCount()).arg(state.connectionText());
}

QString AccountSet::tooltip() const
{
    if (m_accounts.size() == 1 && m_accounts.first().controller)
        return m_accounts.first().controller->state().tooltip();
    const qint64 total = totalUnread();
    QStringList lines{u"Forgewire"_s, total == 1 ? tr("1 unread notification in total")
                                                 : tr("%1 unread notifications in total").arg(total)};
    for (const Account& account : m_accounts) {
        if (account.controller)
            lines.append(summaryLine(account.name, account.controller->state()));
    }
    return lines.join(u'\n');
}

} // namespace forgewire
