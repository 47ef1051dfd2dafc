#include "config/ServerLogging.h"

namespace forgewire {

Q_LOGGING_CATEGORY(lcServer, "forgewire.server", QtInfoMsg)
Q_LOGGING_CATEGORY(lcWs, "forgewire.ws", QtInfoMsg)
Q_LOGGING_CATEGORY(lcHttp, "forgewire.http", QtInfoMsg)
Q_LOGGING_CATEGORY(lcBroker, "forgewire.broker", QtInfoMsg)
Q_LOGGING_CATEGORY(lcState, "forgewire.state", QtInfoMsg)
Q_LOGGING_CATEGORY(lcRedis, "forgewire.redis", QtInfoMsg)

} // namespace forgewire
