#pragma once

#include <QLoggingCategory>

namespace forgewire {

Q_DECLARE_LOGGING_CATEGORY(lcTray) // forgewire.tray

} // namespace forgewire
