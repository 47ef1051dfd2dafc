#include "platform/TokenFile.h"

#include "app/TrayLogging.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QStandardPaths>

#include <sys/stat.h>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

// Tokens are short; a larger file is not ours to parse.
constexpr qint64 kMaxFileBytes = 1024 * 1024;

bool load(const QString& path, QJsonObject* tokens, QString* error)
{
    QFile file(path);
    if (!file.exists())
        return true;
    if (!file.open(QIODevice::ReadOnly)) {
        *error = u"cannot read %1: %2"_s.arg(path, file.errorString());
        return false;
    }
    if (file.size() > kMaxFileBytes) {
        *error = u"%1 is larger than %2 bytes"_s.arg(path).arg(kMaxFileBytes);
        return false;
    }
    if (file.permissions() &
        (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteGroup | QFileDevice::WriteOther))
        qCWarning(lcTray).noquote() << path << "can be read by other users; it should be mode 0600";
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        *error = u"%1 is not a JSON object of tokens"_s.arg(path);
        return false;
    }
    *tokens = document.object();
    return true;
}

} // namespace

TokenFile::TokenFile(QString path) : m_path(std::move(path))
{}

QString TokenFile::defaultPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) + u"/forgewire/tokens"_s;
}

QByteArray TokenFile::read(const QString& key, QString* error) const
{
    error->clear();
    QJsonObject tokens;
    if (!load(m_path, &tokens, error))
        return {};
    return tokens.value(key).toString().toUtf8();
}

QString TokenFile::write(const QString& key, const QByteArray& token) const
{
    QJsonObject tokens;
    QString error;
    if (!load(m_path, &tokens, &error))
        return error;
    if (token.isEmpty())
        tokens.remove(key);
    else
        tokens.insert(key, QString::fromUtf8(token));
    const QString directory = QFileInfo(m_path).absolutePath();
    if (!QDir().mkpath(directory))
        return u"cannot create %1"_s.arg(directory);
    QFile::setPermissions(directory,
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly))
        return u"cannot write %1: %2"_s.arg(m_path, file.errorString());
    // Before a byte of a token is in it: the new file is the user's alone from the start.
    if (::fchmod(file.handle(), S_IRUSR | S_IWUSR) != 0) {
        file.cancelWriting();
        return u"cannot make %1 private"_s.arg(m_path);
    }
    file.write(QJsonDocument(tokens).toJson(QJsonDocument::Indented));
    if (!file.commit())
        return u"cannot write %1: %2"_s.arg(m_path, file.errorString());
    return {};
}

} // namespace forgewire
