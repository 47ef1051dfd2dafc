#pragma once

#include "common/Logging.h" // logSafe() for every forge-controlled value

#include <QLoggingCategory>

namespace forgewire {

// forgewire.forge: polling a forge (the server's bridge mode, the tray's direct mode) and token checks.
Q_DECLARE_LOGGING_CATEGORY(lcForge)

} // namespace forgewire
