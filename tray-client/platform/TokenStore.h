#pragma once

#include <QByteArray>
#include <QObject>
#include <QUrl>

#include <functional>

namespace forgewire {

// The server token in the system keychain (Secret Service, KWallet, macOS Keychain, Windows
// Credential Store) through QtKeychain, one entry per server URL; or, when the user chose it in
// Settings (for a desktop without a keyring), in the plain-text TokenFile. Never falls back to plain
// text by itself: without a keyring, reads and writes fail with "no keyring found: ...".
class TokenStore : public QObject
{
    Q_OBJECT
public:
    static inline const QString kService = QStringLiteral("forgewire-tray");
    // The QSettings key of the user's choice of the plain-text file.
    static inline const QString kFileStoreSetting = QStringLiteral("tokens/plain_text_file");

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

    // Keeps tokens in `file` from now on (the user chose it), or in the keychain (`file` empty).
    void useFile(const QString& file);
    bool usesFile() const { return !m_file.isEmpty(); }
    // The user's choice as saved in QSettings: the TokenFile path, or empty for the keychain.
    static QString chosenFile();
    static void choose(bool plainTextFile);
    // Why no keyring can answer here (no session bus, or no Secret Service or KWallet on it,
    // registered or activatable); empty when one can, and on platforms with a system keychain.
    static QString keyringProblem();

private:
    // The keychain's error for the user: "no keyring found: ..." when there is none.
    static QString describeKeychainError(const QString& error);

    QString m_file;
};

} // namespace forgewire
