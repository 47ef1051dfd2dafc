#pragma once

#include "model/BoardState.h"
#include "protocol/Protocol.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>
#include <QTimer>
#include <QUrl>

#include <chrono>

namespace forgewire {

// One desktop notification about one board: a single change, or a burst summed up.
struct BoardNotification
{
    qint64 projectId = 0;
    QString title;
    QString body;
    QUrl url; // what "Open" shows; empty when there is nothing to open
    int changes = 0;
};

// Turns the board events of the watched project boards into desktop notifications: drops other boards
// and the echoes of our own changes (their session_tag is ours), and folds a burst — a column
// reordered, ten cards dragged — into one notification per board.
class BoardWatcher : public QObject
{
    Q_OBJECT
public:
    // Events of one board arriving within this window become one notification.
    static constexpr std::chrono::milliseconds kCoalesceWindow{2000};
    // A burst's notification lists this many changes and counts the rest.
    static constexpr int kMaxListedChanges = 3;
    // Issues remembered for naming them; past this the memory starts over (the models name them again).
    static constexpr int kMaxRememberedIssues = 10'000;

    explicit BoardWatcher(QObject* parent = nullptr);

    void setWatched(const QList<qint64>& projectIds);
    const QList<qint64>& watched() const { return m_watched; }
    // `project-board.{id}` for every watched board.
    QStringList topics() const;

    // Events tagged with any of these are our own changes coming back.
    void setOwnSessionTags(const QSet<QString>& tags) { m_ownTags = tags; }
    void setForgeUrl(const QUrl& forgeUrl) { m_forgeUrl = forgeUrl; }
    void setCoalesceWindow(std::chrono::milliseconds window) { m_flushTimer.setInterval(window); }

    // False when the event was dropped (unwatched board, own echo, not a board topic). `model` is the
    // board's live model before the event is applied, if there is one: it names the issues, columns
    // and project, and tells where the project lives on the forge.
    bool handle(const protocol::BoardEvent& event, const BoardState* model = nullptr);
    // Sends what is pending now instead of at the end of the window.
    void flush();

    // A sentence about one change, using the column and project names seen so far.
    QString describe(const protocol::BoardEvent& event) const;

Q_SIGNALS:
    void notificationReady(const forgewire::BoardNotification& notification);

private:
    void learn(qint64 projectId, const protocol::BoardEvent& event);
    void learnModel(const BoardState& model, const protocol::BoardEvent& event);
    // "alice/proj#3 “Fix X”" for the event's issue, or empty when nothing names it.
    QString issueName(const protocol::BoardEvent& event) const;
    QUrl linkFor(qint64 projectId, const protocol::BoardEvent& event) const;
    QString boardTitle(qint64 projectId) const;

    QList<qint64> m_watched;
    QSet<QString> m_ownTags;
    QUrl m_forgeUrl;
    QTimer m_flushTimer;
    // Pending events per board, in arrival order of the boards.
    QList<std::pair<qint64, QList<protocol::BoardEvent>>> m_pending;
    // Names learned from events, so later notifications can say "moved to Done".
    QHash<qint64, QString> m_columnTitles;
    QHash<qint64, QString> m_projectTitles;
    // The board's page, from its model (a card.moved's repo is the issue's, not the project's).
    QHash<qint64, QUrl> m_projectUrls;
    // Issues by issue_id, from the models and the events that carry them.
    struct Issue
    {
        QString reference; // alice/proj#3
        QString title;
        QUrl url;
    };
    QHash<qint64, Issue> m_issues;
};

} // namespace forgewire
