#pragma once

#include "client/Clock.h"
#include "client/SharedConnection.h"
#include "forge/ForgeClient.h"
#include "forge/PollSchedule.h"
#include "forge/UserPoller.h"
#include "protocol/Protocol.h"

#include <QObject>
#include <QPointer>
#include <QUrl>

namespace forgewire {

// The tray's direct mode: no forgewire-server, the tray polls the forge itself with the poller the
// server's bridge runs per user (shared/forge: UserPoller on Gitea's own PollSchedule, back-off on
// outages, 429 honoured), with the account's forge token. Its state comes out as the same
// `notification-count` and `stopwatches` messages a server would push, and its health as a
// SharedConnection::State, so TrayController treats both modes alike.
class DirectForge : public QObject, private PollerHost
{
    Q_OBJECT
public:
    DirectForge(const QUrl& forgeUrl, const QByteArray& token, const PollSettings& settings = {},
                const Clock& clock = Clock::system(), QObject* parent = nullptr);
    ~DirectForge() override;

    void start();
    // Polls now (after the user acted on the forge), as the bridge does when a client asks.
    void refresh();
    // A new token: polling starts again if the forge had refused the old one.
    void setToken(const QByteArray& token);

    SharedConnection::State state() const { return m_state; }
    // Why the forge refused the token (401/403), for the menu and Settings; empty otherwise.
    const QString& refusal() const { return m_refusal; }

Q_SIGNALS:
    void stateChanged(forgewire::SharedConnection::State state);
    void messageReceived(const forgewire::protocol::ServerMessage& message);

private:
    void setState(SharedConnection::State state);
    void startPoller();

    // PollerHost: one account, one token, no other client to share state with.
    PollToken pollingToken(qint64 userId, const QByteArray& currentKey) const override;
    void pollRefused(const QByteArray& key, const ForgeReply& refusal) override;
    void pollWorked(const QByteArray& key) override { Q_UNUSED(key) }
    void forgeAnswered(bool reachable, const QString& error) override;
    void knownState(qint64 userId, std::function<void(const KnownState&)> done) override;
    void publishState(qint64 userId, const protocol::ServerMessage& message,
                      std::function<void(bool published)> done) override;

    ForgeClient m_client;
    QByteArray m_token;
    PollSettings m_settings;
    const Clock& m_clock;
    QPointer<UserPoller> m_poller;
    SharedConnection::State m_state = SharedConnection::State::Idle;
    QString m_refusal;
    QString m_lastError;
};

} // namespace forgewire
