#include "model/DirectForge.h"

#include "app/TrayLogging.h"

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

// The poller's key for the one token it polls with (the server keys tokens by hash; here there is
// only one).
const QByteArray kTokenKey = "direct";

} // namespace

DirectForge::DirectForge(const QUrl& forgeUrl, const QByteArray& token, const PollSettings& settings,
                         const Clock& clock, QObject* parent)
    : QObject(parent), m_client(forgeUrl), m_token(token), m_settings(settings), m_clock(clock)
{}

DirectForge::~DirectForge()
{
    if (m_poller)
        m_poller->stop();
}

void DirectForge::start()
{
    if (m_poller)
        return;
    setState(SharedConnection::State::Connecting);
    // Who the token belongs to, for the menu ("Connected as alice"), as a server's hello says it.
    m_client.fetchUser(m_token, this, [this](const ForgeReply& reply, const ForgeUser& user) {
        if (reply.ok())
            Q_EMIT messageReceived(protocol::Hello{protocol::UserInfo{user.id, user.login}, QString(), 0});
    });
    startPoller();
}

void DirectForge::startPoller()
{
    // The user id is the poller's label only: the forge answers for the token's own user.
    m_poller = new UserPoller(0, m_settings, this, &m_client, m_clock, this);
    m_poller->start();
}

void DirectForge::refresh()
{
    if (m_poller)
        m_poller->refresh();
}

void DirectForge::setToken(const QByteArray& token)
{
    if (token == m_token)
        return;
    m_token = token;
    if (m_refusal.isEmpty() || !m_poller)
        return;
    // Refused before: this token gets its own chance.
    m_refusal.clear();
    setState(SharedConnection::State::Connecting);
    m_poller->tokenAvailable();
}

void DirectForge::setState(SharedConnection::State state)
{
    if (state == m_state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

PollerHost::PollToken DirectForge::pollingToken(qint64, const QByteArray&) const
{
    // After a refusal the poller idles until the token is changed (tokenAvailable()).
    if (!m_refusal.isEmpty() || m_token.isEmpty())
        return {};
    return {kTokenKey, m_token};
}

void DirectForge::pollRefused(const QByteArray&, const ForgeReply& refusal)
{
    m_refusal = refusal.missingScope.isEmpty()
                    ? tr("The forge refused the token (HTTP %1). Enter a new one in Settings.")
                          .arg(refusal.httpStatus)
                    : tr("The token lacks the scope %1. Create one with it and enter it in Settings.")
                          .arg(refusal.missingScope);
    qCWarning(lcTray).noquote() << "forge" << m_client.apiUrl(QString()).toDisplayString()
                                << "refused the token - polling stops until it is changed:" << refusal.error;
    setState(SharedConnection::State::Unauthorized);
}

void DirectForge::forgeAnswered(bool reachable, const QString& error)
{
    if (!m_refusal.isEmpty())
        return;
    if (!reachable && error != m_lastError)
        qCInfo(lcTray).noquote() << "forge unreachable:" << error << "- polling backs off";
    m_lastError = reachable ? QString() : error;
    setState(reachable ? SharedConnection::State::Connected : SharedConnection::State::Reconnecting);
}

void DirectForge::knownState(qint64, std::function<void(const KnownState&)> done)
{
    done({}); // nothing shown yet: the first answer goes out
}

void DirectForge::publishState(qint64, const protocol::ServerMessage& message, std::function<void(bool)> done)
{
    Q_EMIT messageReceived(message);
    done(true);
}

} // namespace forgewire
