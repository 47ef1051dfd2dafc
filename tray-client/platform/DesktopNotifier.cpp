#include "platform/DesktopNotifier.h"

#include "app/TrayLogging.h"

#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

const QString kInterface = u"org.freedesktop.Notifications"_s;
// The spec's name for the action a click on the notification body triggers. Most servers do not show it
// as a button, and nothing tells the user the body is clickable; "open" is the visible button.
const QString kDefaultAction = u"default"_s;
const QString kOpenAction = u"open"_s;

// Servers with the "body-markup" capability (nearly all of them) parse the body as XML-like markup: a
// board or issue title such as "Fix <b> & co" would lose text or the whole body with it. Quotes only
// matter inside attributes, so they stay as they are.
QString escapeBodyMarkup(const QString& body)
{
    QString escaped;
    escaped.reserve(body.size());
    for (const QChar c : body) {
        if (c == u'&')
            escaped += u"&amp;"_s;
        else if (c == u'<')
            escaped += u"&lt;"_s;
        else if (c == u'>')
            escaped += u"&gt;"_s;
        else
            escaped += c;
    }
    return escaped;
}

} // namespace

DesktopNotifier::DesktopNotifier(const QDBusConnection& bus, QObject* parent) : QObject(parent), m_bus(bus)
{
    m_bus.connect(kService, kPath, kInterface, u"ActionInvoked"_s, this,
                  SLOT(onActionInvoked(uint, QString)));
    m_bus.connect(kService, kPath, kInterface, u"NotificationClosed"_s, this,
                  SLOT(onNotificationClosed(uint, uint)));
}

bool DesktopNotifier::isAvailable() const
{
    return m_bus.isConnected() && m_bus.interface() && m_bus.interface()->isServiceRegistered(kService);
}

bool DesktopNotifier::show(const QString& key, const QString& title, const QString& body, const QUrl& openUrl)
{
    if (!isAvailable())
        return false;
    QStringList actions;
    if (openUrl.isValid() && !openUrl.isEmpty()) {
        const QString label = tr("Open");
        actions << kDefaultAction << label << kOpenAction << label;
    }
    const QVariantMap hints{{u"desktop-entry"_s, u"forgewire-tray"_s}, {u"category"_s, u"im.received"_s}};

    QDBusMessage call = QDBusMessage::createMethodCall(kService, kPath, kInterface, u"Notify"_s);
    call << u"Forgewire"_s << m_idsByKey.value(key, 0u) << u"forgewire-tray"_s << title
         << escapeBodyMarkup(body) << actions << hints << kExpireTimeoutMs;
    auto* watcher = new QDBusPendingCallWatcher(m_bus.asyncCall(call), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this, watcher, key, title, body, openUrl] {
        watcher->deleteLater();
        const QDBusPendingReply<uint> reply = *watcher;
        if (reply.isError()) {
            qCWarning(lcTray) << "notification server failed:" << reply.error().message();
            Q_EMIT deliveryFailed(title, body, openUrl);
            return;
        }
        const uint id = reply.value();
        m_idsByKey.insert(key, id);
        if (openUrl.isValid() && !openUrl.isEmpty())
            m_urls.insert(id, openUrl);
        else
            m_urls.remove(id);
    });
    return true;
}

void DesktopNotifier::onActionInvoked(uint id, const QString& actionKey)
{
    // The signal is broadcast to every client; ids of other applications are not in our table.
    const auto it = m_urls.constFind(id);
    if (it == m_urls.cend() || (actionKey != kDefaultAction && actionKey != kOpenAction))
        return;
    Q_EMIT openRequested(it.value());
}

void DesktopNotifier::onNotificationClosed(uint id, uint reason)
{
    Q_UNUSED(reason)
    m_urls.remove(id);
    for (auto it = m_idsByKey.begin(); it != m_idsByKey.end();) {
        if (it.value() == id)
            it = m_idsByKey.erase(it);
        else
            ++it;
    }
}

} // namespace forgewire
