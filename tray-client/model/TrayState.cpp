#include "model/TrayState.h"

#include "app/TrayLogging.h"
#include "forge/ForgeHttp.h"

#include <QCoreApplication>

namespace forgewire {

using namespace Qt::StringLiterals;

TrayState::TrayState(const Clock& clock, QObject* parent) : QObject(parent), m_clock(clock)
{
    m_ticker.setTimerType(Qt::PreciseTimer);
    connect(&m_ticker, &QTimer::timeout, this, [this] {
        if (m_ticker.interval() != kTickInterval.count())
            m_ticker.setInterval(kTickInterval);
        Q_EMIT ticked();
    });
    m_retainedGrace.setSingleShot(true);
    m_retainedGrace.setInterval(kRetainedGrace);
    connect(&m_retainedGrace, &QTimer::timeout, this, [this] {
        if (m_receivedState || m_status == Status::SignedOut)
            return;
        m_receivedState = true;
        Q_EMIT changed();
    });
}

void TrayState::apply(const protocol::ServerMessage& message)
{
    if (m_status == Status::SignedOut)
        return;
    if (const auto* hello = std::get_if<protocol::Hello>(&message)) {
        const auto idOf = [](const std::optional<protocol::UserInfo>& user) {
            return user ? user->id : 0;
        };
        Cleared cleared;
        if (idOf(hello->user) != idOf(m_user)) {
            // Another account (or none): the previous one's count and stopwatches are not this one's.
            cleared = clearUserState();
        }
        m_user = hello->user;
        m_session = hello->session;
        if (!m_user) {
            m_receivedState = true; // anonymous: there is no user state to wait for
        } else if (!m_receivedState) {
            // The retained count and stopwatches follow right after hello; the timer covers a user
            // with none retained yet.
            m_retainedGrace.start();
        }
        if (cleared.count)
            Q_EMIT countChanged(0);
        if (cleared.stopwatches)
            Q_EMIT stopwatchesChanged();
        Q_EMIT changed();
    } else if (const auto* count = std::get_if<protocol::NotificationCount>(&message)) {
        const bool first = !m_receivedState;
        m_receivedState = true;
        m_retainedGrace.stop();
        if (count->count == m_count) {
            if (first)
                Q_EMIT changed();
            return;
        }
        m_count = count->count;
        Q_EMIT countChanged(m_count);
        Q_EMIT changed();
    } else if (const auto* stopwatches = std::get_if<protocol::Stopwatches>(&message)) {
        m_receivedState = true;
        m_retainedGrace.stop();
        m_stopwatches.clear();
        for (const protocol::Stopwatch& s : stopwatches->data)
            m_stopwatches.append({s, m_clock.now()});
        updateTicker();
        Q_EMIT stopwatchesChanged();
        Q_EMIT changed();
    } else if (const auto* logout = std::get_if<protocol::Logout>(&message)) {
        // As in Gitea: only the session that logged out reacts; other devices stay signed in.
        if (logout->data != "here"_L1) {
            qCDebug(lcTray) << "logout of another session ignored";
            return;
        }
        qCInfo(lcTray) << "signed out by the forge";
        // One `changed` with the final status, so a status line never shows an in-between state.
        const Cleared cleared = clearUserState();
        setStatus(Status::SignedOut);
        emitCleared(cleared);
        Q_EMIT signedOut();
    }
}

void TrayState::setConnectionState(SharedConnection::State state, int reconnectInMs)
{
    if (m_status == Status::SignedOut)
        return;
    m_reconnectInMs = reconnectInMs;
    switch (state) {
    case SharedConnection::State::Idle:
        setStatus(Status::Offline);
        break;
    case SharedConnection::State::Connecting:
        // A retry in progress still reads as "reconnecting" to the user.
        setStatus(m_status == Status::Reconnecting ? Status::Reconnecting : Status::Connecting);
        break;
    case SharedConnection::State::Connected:
        setStatus(Status::Connected);
        break;
    case SharedConnection::State::Reconnecting:
        setStatus(Status::Reconnecting);
        Q_EMIT changed(); // the delay changed even when the status did not
        break;
    case SharedConnection::State::Unauthorized: {
        const Cleared cleared = clearUserState();
        const bool statusChanged = m_status != Status::Unauthorized;
        setStatus(Status::Unauthorized);
        emitCleared(cleared);
        if (!statusChanged)
            Q_EMIT changed();
        break;
    }
    }
}

void TrayState::clearSignedOut()
{
    if (m_status == Status::SignedOut)
        setStatus(Status::Offline);
}

bool TrayState::removeStopwatch(const QString& owner, const QString& repo, qint64 issueIndex)
{
    const qsizetype removed = m_stopwatches.removeIf([&](const RunningStopwatch& entry) {
        return entry.stopwatch.repoOwnerName == owner && entry.stopwatch.repoName == repo &&
               entry.stopwatch.issueIndex == issueIndex;
    });
    if (removed == 0)
        return false;
    if (m_stopwatches.isEmpty())
        m_ticker.stop();
    Q_EMIT stopwatchesChanged();
    Q_EMIT changed();
    return true;
}

void TrayState::clearUnreadCount()
{
    if (m_count == 0)
        return;
    m_count = 0;
    Q_EMIT countChanged(0);
    Q_EMIT changed();
}

void TrayState::updateTicker()
{
    // Ticks half way between two whole seconds of elapsed time, so timer jitter can neither skip
    // a second nor show one late.
    if (m_stopwatches.isEmpty())
        m_ticker.stop();
    else
        m_ticker.start(kTickInterval / 2);
}

void TrayState::setStatus(Status status)
{
    if (status == m_status)
        return;
    m_status = status;
    if (status != Status::Unauthorized)
        m_refusal.clear(); // a later refusal says its own reason
    Q_EMIT changed();
}

TrayState::Cleared TrayState::clearUserState()
{
    const Cleared cleared{m_count != 0, !m_stopwatches.isEmpty()};
    m_count = 0;
    m_stopwatches.clear();
    m_ticker.stop();
    m_retainedGrace.stop();
    m_user.reset();
    m_session.clear();
    m_receivedState = false;
    return cleared;
}

void TrayState::emitCleared(const Cleared& cleared)
{
    if (cleared.count)
        Q_EMIT countChanged(0);
    if (cleared.stopwatches)
        Q_EMIT stopwatchesChanged();
}

qint64 TrayState::elapsedSeconds(const RunningStopwatch& entry) const
{
    const auto since = std::chrono::duration_cast<std::chrono::seconds>(m_clock.now() - entry.receivedAt);
    const qint64 counted = entry.stopwatch.seconds + std::max<qint64>(0, since.count());
    const QDateTime& created = entry.stopwatch.created;
    if (!created.isValid())
        return counted;
    return std::max(counted, created.secsTo(m_utcNow()));
}

QString TrayState::formatDuration(qint64 seconds)
{
    seconds = std::max<qint64>(0, seconds);
    return u"%1:%2:%3"_s.arg(seconds / 3600, 2, 10, QLatin1Char('0'))
        .arg((seconds / 60) % 60, 2, 10, QLatin1Char('0'))
        .arg(seconds % 60, 2, 10, QLatin1Char('0'));
}

QString TrayState::badgeText(qint64 count)
{
    if (count <= 0)
        return {};
    if (count > kBadgeMax)
        return u"%1+"_s.arg(kBadgeMax);
    return QString::number(count);
}

QString TrayState::issueReference(const protocol::Stopwatch& s)
{
    return u"%1/%2#%3"_s.arg(s.repoOwnerName, s.repoName).arg(s.issueIndex);
}

QUrl TrayState::issueUrl(const QUrl& forgeUrl, const protocol::Stopwatch& s)
{
    return ForgeHttp::join(
        forgeUrl,
        u"/%1/%2/issues/%3"_s.arg(ForgeHttp::segment(s.repoOwnerName), ForgeHttp::segment(s.repoName))
            .arg(s.issueIndex));
}

QString TrayState::stopwatchLabel(const RunningStopwatch& entry) const
{
    return u"%1 %2 — %3"_s.arg(issueReference(entry.stopwatch), entry.stopwatch.issueTitle,
                               formatDuration(elapsedSeconds(entry)));
}

QString TrayState::statusLine() const
{
    switch (m_status) {
    case Status::SignedOut:
        return u"signed out"_s;
    case Status::Unauthorized:
        return u"token refused"_s;
    default:
        break;
    }
    if (!m_receivedState) {
        switch (m_status) {
        case Status::Connecting:
        case Status::Connected: // open, hello not there yet
            return u"connecting"_s;
        case Status::Reconnecting:
            return u"reconnecting"_s;
        default:
            return u"offline"_s;
        }
    }
    QStringList parts{u"%1 unread"_s.arg(m_count)};
    if (!m_stopwatches.isEmpty()) {
        const RunningStopwatch& first = m_stopwatches.first();
        QString running = issueReference(first.stopwatch) + u' ' + formatDuration(elapsedSeconds(first));
        if (m_stopwatches.size() > 1)
            running += u" +%1"_s.arg(m_stopwatches.size() - 1);
        parts.append(running);
    }
    if (m_status == Status::Reconnecting || m_status == Status::Connecting)
        parts.append(u"reconnecting"_s);
    else if (m_status == Status::Offline)
        parts.append(u"offline"_s);
    return parts.join(u" | "_s);
}

QString TrayState::connectionText() const
{
    switch (m_status) {
    case Status::Offline:
        return tr("Offline");
    case Status::Connecting:
        return tr("Connecting…");
    case Status::Connected:
        if (m_user)
            return tr("Connected as %1").arg(m_user->login);
        return tr("Connected (anonymous)");
    case Status::Reconnecting:
        if (m_reconnectInMs >= 1000)
            return tr("Reconnecting in %1 s").arg((m_reconnectInMs + 999) / 1000);
        if (m_reconnectInMs > 0)
            return tr("Reconnecting in %1 ms").arg(m_reconnectInMs);
        return tr("Reconnecting…");
    case Status::Unauthorized:
        return m_refusal.isEmpty() ? tr("Token refused — check Settings") : m_refusal;
    case Status::SignedOut:
        return tr("Signed out");
    }
    return {};
}

QString TrayState::tooltip() const
{
    QStringList lines{m_user ? u"Forgewire — %1"_s.arg(m_user->login) : u"Forgewire"_s};
    if (m_receivedState)
        lines.append(m_count == 1 ? tr("1 unread notification") : tr("%1 unread notifications").arg(m_count));
    for (const RunningStopwatch& entry : m_stopwatches)
        lines.append(stopwatchLabel(entry));
    lines.append(connectionText());
    return lines.join(u'\n');
}

} // namespace forgewire
