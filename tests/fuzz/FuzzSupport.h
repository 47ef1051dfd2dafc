#pragma once

// Shared by the libFuzzer harnesses: quiet Qt logging and an assertion that reports a broken
// invariant as a crash (libFuzzer keeps the input as an artifact).

#include <QtGlobal>

#include <cstdio>
#include <cstdlib>

namespace forgewire::fuzz {

// The parsers log every refused input; at thousands of inputs per second that drowns libFuzzer's
// own status lines.
inline void silenceQtLogging()
{
    qInstallMessageHandler([](QtMsgType, const QMessageLogContext&, const QString&) {});
}

} // namespace forgewire::fuzz

#define FUZZ_ASSERT(condition)                                                                               \
    do {                                                                                                     \
        if (!(condition)) {                                                                                  \
            std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition);           \
            std::abort();                                                                                    \
        }                                                                                                    \
    } while (false)
