#pragma once

#include <QByteArray>
#include <QString>

namespace forgewire {

// The plain-text token store for desktops without a keyring, chosen by the user in Settings (never
// taken silently): `$XDG_CONFIG_HOME/forgewire/tokens`, a JSON object of server key (TokenStore::keyFor)
// to token, mode 0600 in a directory of mode 0700, replaced as a whole on each write (written beside
// it and renamed over it) so that a crash never leaves half a file.
class TokenFile
{
public:
    explicit TokenFile(QString path = defaultPath());

    static QString defaultPath();
    const QString& path() const { return m_path; }

    // The token stored under `key` (empty without one, or without the file); `error` says why the
    // file could not be read.
    QByteArray read(const QString& key, QString* error) const;
    // Stores `token` under `key`; an empty token removes the entry. Returns the error, or empty.
    QString write(const QString& key, const QByteArray& token) const;

private:
    QString m_path;
};

} // namespace forgewire
