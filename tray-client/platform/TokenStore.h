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
    // For a server URL the user changed: the token stored for `from` is stored for `to` and removed
    // from `from`. Nothing to move (same key, no entry) is no error. `error` is set when the token did
    // not arrive under `to`; the entry under `from` is then kept, so nothing is lost.
    void move(const QUrl& from, const QUrl& to, WriteDone done);

    static QString keyFor(const QUrl& server);
};

} // namespace forgewire
