#pragma once

#include <QLoggingCategory>

namespace forgewire {

Q_DECLARE_LOGGING_CATEGORY(lcProtocol) // forgewire.protocol
Q_DECLARE_LOGGING_CATEGORY(lcAuth)     // forgewire.auth

// Applies a level name (debug, info, warning, critical) to every forgewire.* category.
// Returns false for an unknown name.
bool applyLogLevel(const QString& level);

} // namespace forgewire
