#include "transport/ClientConnection.h"

#include "session/ClientSession.h"

namespace forgewire {

ClientConnection::ClientConnection() = default;

ClientConnection::~ClientConnection() = default;

void ClientConnection::setSession(std::unique_ptr<ClientSession> session)
{
    m_session = std::move(session);
}

} // namespace forgewire
