#pragma once

#include <QStringList>

namespace forgewire {

// The names the `transport` setting accepts on this build, the default first. Header-only, so the
// settings table (and the config fuzzer that links it) need nothing else of the transport layer.
namespace TransportNames {

inline QStringList available()
{
#ifdef FORGEWIRE_HAVE_EPOLL
    return {QStringLiteral("epoll"), QStringLiteral("qt")};
#else
    return {QStringLiteral("qt")};
#endif
}

inline QString defaultName()
{
    return available().constFirst();
}

} // namespace TransportNames
} // namespace forgewire
