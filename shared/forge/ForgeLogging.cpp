#include "forge/ForgeLogging.h"

namespace forgewire {

Q_LOGGING_CATEGORY(lcForge, "forgewire.forge", QtInfoMsg)

} // namespace forgewire
