#pragma once

#include <QStringView>

namespace forgewire::protocol {

// PROTOCOL.md v1.1: a forge may publish a message of its own type (an "application event") that the
// server delivers as the JSON object it is, so it can add events without a server upgrade.
namespace ApplicationEvent {

// Longest type name accepted; longer ones are not event names but someone's payload.
constexpr qsizetype kMaxTypeLength = 64;

// Types the server sends with a meaning of its own (or answers to clients): a publisher cannot
// impersonate them, whatever their shape.
bool isReserved(QStringView type);

// True for a type an application event may carry: `[a-z0-9._-]`, 1..kMaxTypeLength characters,
// neither reserved nor one of the protocol's own publishable types (notification-count,
// stopwatches, logout, board), which must have their own shape.
bool isApplicationType(QStringView type);

} // namespace ApplicationEvent

// The protocol's own types a publisher may send (each with its shape): notification-count,
// stopwatches, logout and board.
bool isPublishableType(QStringView type);

} // namespace forgewire::protocol
