// The forgewire-server configuration: the INI file (ServerConfig::loadIni, read through
// parseServerArguments as --config does) and the command-line flags over it.
//
// Input: flags separated by '\n', then a NUL byte, then the INI text. --config is always the
// harness's own temporary file, never a path from the input (no reading of arbitrary files).
//
// Invariant: an accepted configuration holds values in the ranges the server relies on.

#include "FuzzSupport.h"
#include "config/ServerConfig.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

using namespace forgewire;

namespace {

QTemporaryDir* tempDir = nullptr;
quint64 iteration = 0;

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    fuzz::silenceQtLogging();
    qunsetenv("FORGEWIRE_JWT_SECRET");
    qunsetenv("FORGEWIRE_PUBLISHER_SECRET");
    tempDir = new QTemporaryDir(QDir::tempPath() + QStringLiteral("/forgewire-config-fuzz-XXXXXX"));
    return tempDir->isValid() ? 0 : 1;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char*>(data), qsizetype(size));
    const qsizetype split = input.indexOf('\0');
    const QByteArray flags = split < 0 ? QByteArray() : input.left(split);
    const QByteArray ini = split < 0 ? input : input.mid(split + 1);

    // A new name each time: QSettings caches parsed files by path and modification time.
    const QString path = tempDir->filePath(QString::number(++iteration) + QStringLiteral(".ini"));
    {
        QFile file(path);
        FUZZ_ASSERT(file.open(QIODevice::WriteOnly));
        file.write(ini);
    }
    QStringList arguments{QStringLiteral("forgewire-server"), QStringLiteral("--config"), path};
    for (const QByteArray& flag : flags.split('\n')) {
        const QString text = QString::fromUtf8(flag);
        if (!flag.isEmpty() && !text.contains(QStringLiteral("config")))
            arguments.append(text);
    }

    const ConfigParseResult result = parseServerArguments(arguments);
    QFile::remove(path);
    if (!result.config)
        return 0;
    const ServerConfig& config = *result.config;
    FUZZ_ASSERT(config.workers >= 0);
    FUZZ_ASSERT(config.maxMessageBytes >= 1);
    FUZZ_ASSERT(config.handshakeTimeoutMs >= 1);
    FUZZ_ASSERT(config.pingIntervalMs >= 1);
    FUZZ_ASSERT(config.pongDeadlineMs >= 1);
    FUZZ_ASSERT(config.maxSendQueueBytes >= 1);
    FUZZ_ASSERT(config.maxConnections >= 1);
    FUZZ_ASSERT(config.drainTimeoutMs >= 1);
    FUZZ_ASSERT(config.forgePoll.minMs >= 1);
    FUZZ_ASSERT(config.forgePoll.stepMs >= 0);
    FUZZ_ASSERT(config.forgePoll.maxMs >= 1);
    FUZZ_ASSERT(config.pathPrefix.isEmpty() || config.pathPrefix.startsWith(QLatin1Char('/')));
    FUZZ_ASSERT(config.effectiveWorkers() >= 1);
    return 0;
}
