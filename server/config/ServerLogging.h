#pragma once

#include "common/Logging.h"     // logSafe() for every client-, publisher- or forge-controlled value
#include "forge/ForgeLogging.h" // lcForge (forgewire.forge), shared with the tray

#include <QLoggingCategory>

namespace forgewire {

Q_DECLARE_LOGGING_CATEGORY(lcServer) // forgewire.server: start-up, shutdown, config
Q_DECLARE_LOGGING_CATEGORY(lcWs)     // forgewire.ws: client connections
Q_DECLARE_LOGGING_CATEGORY(lcHttp)   // forgewire.http: admin listener
Q_DECLARE_LOGGING_CATEGORY(lcBroker) // forgewire.broker: publish and fan-out
Q_DECLARE_LOGGING_CATEGORY(lcState)  // forgewire.state: retained state and ACL storage
Q_DECLARE_LOGGING_CATEGORY(lcRedis)  // forgewire.redis: Redis engine (connections, reconnects)

} // namespace forgewire
