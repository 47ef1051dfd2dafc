#include "app/TrayLogging.h"

namespace forgewire {

Q_LOGGING_CATEGORY(lcTray, "forgewire.tray", QtInfoMsg)

} // namespace forgewire
