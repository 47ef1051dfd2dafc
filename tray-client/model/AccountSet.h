#pragma once

#include "model/TrayState.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>

namespace forgewire {

class TrayController;

// The accounts the tray shows, each a TrayController with its own connection and token, and what the
// one icon makes of them: the badge shows the total unread count, the tooltip the split.
class AccountSet : public QObject
{
    Q_OBJECT
public:
    struct Account
    {
        QString name;
        QPointer<TrayController> controller;
    };

    explicit AccountSet(QObject* parent = nullptr);

    // Not owned; an account whose controller is destroyed leaves the set.
    void add(TrayController* controller, const QString& name);
    void remove(TrayController* controller);
    void setName(TrayController* controller, const QString& name);
    const QList<Account>& accounts() const { return m_accounts; }
    int size() const { return int(m_accounts.size()); }

    // Over the accounts that have received their state.
    qint64 totalUnread() const;
    // Connected when any account is: the icon says something live is there; the tooltip tells which.
    TrayState::Status overallStatus() const;
    // One account: its own tooltip. Several: the total, then a line per account.
    QString tooltip() const;
    // "Codeberg: 3 unread · Connected as alice"
    static QString summaryLine(const QString& name, const TrayState& state);

Q_SIGNALS:
    // A state of some account changed (count, status, stopwatches).
    void changed();
    // Accounts were added, removed or renamed: menus are rebuilt.
    void accountsChanged();

private:
    QList<Account> m_accounts;
};

} // namespace forgewire
