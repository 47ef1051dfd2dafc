#pragma once

#include <QDBusConnection>
#include <QHash>
#include <QObject>
#include <QUrl>

namespace forgewire {

// Desktop notifications through org.freedesktop.Notifications on the session bus, with an "Open"
// button when there is something to open. Notifications sharing a key replace each other instead of
// piling up.
class DesktopNotifier : public QObject
{
    Q_OBJECT
public:
    static constexpr int kExpireTimeoutMs = 10'000;
    static inline const QString kService = QStringLiteral("org.freedesktop.Notifications");
    static inline const QString kPath = QStringLiteral("/org/freedesktop/Notifications");

    explicit DesktopNotifier(const QDBusConnection& bus = QDBusConnection::sessionBus(),
                             QObject* parent = nullptr);

    // True when a notification server owns the name on the bus.
    bool isAvailable() const;
    // False when there is no notification server; the caller falls back to something else. A call the
    // server then fails is reported through deliveryFailed(). `body` is plain text; it is escaped for
    // servers that read markup in it.
    bool show(const QString& key, const QString& title, const QString& body, const QUrl& openUrl);

Q_SIGNALS:
    void openRequested(const QUrl& url);
    void deliveryFailed(const QString& title, const QString& body, const QUrl& openUrl);

private Q_SLOTS:
    // QDBusConnection::connect only takes slots by signature, hence real slots here.
    void onActionInvoked(uint id, const QString& actionKey);
    void onNotificationClosed(uint id, uint reason);

private:
    QDBusConnection m_bus;
    QHash<QString, uint> m_idsByKey;
    QHash<uint, QUrl> m_urls;
};

} // namespace forgewire
