#pragma once

#include <QByteArray>
#include <QObject>
#include <QUrl>

#include <functional>

namespace forgewire {

// The server token in the system keychain (Secret Service, KWallet, macOS Keychain, Windows
// Credential Store) through QtKeychain, one entry per server URL. Never falls back to plain text.
class TokenStore : public QObject
{
    Q_OBJECT
public:
    static inline const QString kService = QStringLiteral("forgewire-tray");

    // `error` is empty on success; a missing entry reads as an empty token without error.
    using ReadDone = std::function<void(const QByteArray& token, const QString& error)>;
    using WriteDone = std::function<void(const QString& error)>;

    explicit TokenStore(QObject* parent = nullptr);

    void read(const QUrl& server, ReadDone done);
    // An empty token deletes the entry.
    void write(const QUrl& server, const QByteArray& token, WriteDone done);

    static QString keyFor(const QUrl& server);
};

} // namespace forgewire
