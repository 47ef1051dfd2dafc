#include "model/BoardWatcher.h"

#include "app/TrayLogging.h"
#include "forge/ForgeHttp.h"
#include "protocol/Topic.h"

#include <QJsonArray>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

qint64 idField(const QJsonObject& data, QLatin1StringView key)
{
    return qint64(data.value(key).toDouble());
}

// `repo` is "owner/name" from the event: each half stays one path segment.
QString repoPath(const QString& repo)
{
    const qsizetype slash = repo.indexOf(u'/');
    if (slash < 0)
        return ForgeHttp::segment(repo);
    return ForgeHttp::segment(repo.left(slash)) + u'/' + ForgeHttp::segment(repo.mid(slash + 1));
}

} // namespace

BoardWatcher::BoardWatcher(QObject* parent) : QObject(parent)
{
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(kCoalesceWindow);
    connect(&m_flushTimer, &QTimer::timeout, this, &BoardWatcher::flush);
}

void BoardWatcher::setWatched(const QList<qint64>& projectIds)
{
    m_watched.clear();
    for (qint64 id : projectIds) {
        if (id > 0 && !m_watched.contains(id))
            m_watched.append(id);
    }
    m_pending.removeIf([this](const auto& entry) { return !m_watched.contains(entry.first); });
}

QStringList BoardWatcher::topics() const
{
    QStringList result;
    for (qint64 id : m_watched)
        result.append(Topic::projectBoard(id));
    return result;
}

bool BoardWatcher::handle(const protocol::BoardEvent& event, const BoardState* model)
{
    const Topic topic = Topic::parse(event.topic);
    if (topic.kind() != Topic::Kind::ProjectBoard || !m_watched.contains(topic.id()))
        return false;
    if (!event.sessionTag.isEmpty() && m_ownTags.contains(event.sessionTag)) {
        qCDebug(lcTray) << "own change echoed back on" << event.topic << "dropped";
        return false;
    }
    // Titles first, so "column.created" already names the column it announces.
    if (m_issues.size() >= kMaxRememberedIssues)
        m_issues.clear();
    if (model)
        learnModel(*model, event);
    learn(topic.id(), event);
    auto it = std::find_if(m_pending.begin(), m_pending.end(),
                           [&](const auto& entry) { return entry.first == topic.id(); });
    if (it == m_pending.end())
        m_pending.append({topic.id(), {event}});
    else
        it->second.append(event);
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
    return true;
}

void BoardWatcher::flush()
{
    m_flushTimer.stop();
    const auto pending = std::exchange(m_pending, {});
    for (const auto& [projectId, events] : pending) {
        BoardNotification n;
        n.projectId = projectId;
        n.title = boardTitle(projectId);
        n.changes = int(events.size());
        if (events.size() == 1) {
            n.body = describe(events.first());
        } else {
            QStringList lines{tr("%1 changes").arg(events.size())};
            for (qsizetype i = 0; i < events.size() && i < kMaxListedChanges; ++i)
                lines.append(u"• "_s + describe(events.at(i)));
            if (events.size() > kMaxListedChanges)
                lines.append(tr("… and %1 more").arg(events.size() - kMaxListedChanges));
            n.body = lines.join(u'\n');
        }
        // One issue: link to it. Several changes: the board.
        n.url = linkFor(projectId, events.size() == 1 ? events.first() : protocol::BoardEvent{});
        Q_EMIT notificationReady(n);
    }
}

void BoardWatcher::learn(qint64 projectId, const protocol::BoardEvent& event)
{
    const QJsonObject& d = event.data;
    if (event.event == "column.created"_L1 || event.event == "column.updated"_L1)
        m_columnTitles.insert(idField(d, "column_id"_L1), d.value("title"_L1).toString());
    else if (event.event == "project.updated"_L1)
        m_projectTitles.insert(projectId, d.value("title"_L1).toString());
    if ((event.event == "card.moved"_L1 || event.event == "card.linked"_L1) &&
        d.value("repo"_L1).isString() && d.value("issue_index"_L1).isDouble()) {
        BoardCard card;
        card.issueId = idField(d, "issue_id"_L1);
        card.issueIndex = idField(d, "issue_index"_L1);
        card.repo = d.value("repo"_L1).toString();
        Issue& issue = m_issues[card.issueId];
        issue.reference = card.reference();
        issue.url = BoardState::issueUrl(m_forgeUrl, card);
        if (d.value("title"_L1).isString())
            issue.title = d.value("title"_L1).toString();
    }
}

void BoardWatcher::learnModel(const BoardState& model, const protocol::BoardEvent& event)
{
    if (!model.title().isEmpty())
        m_projectTitles.insert(model.projectId(), model.title());
    if (const QUrl url = model.projectUrl(m_forgeUrl); !url.isEmpty())
        m_projectUrls.insert(model.projectId(), url);
    for (const BoardColumn& column : model.columns())
        m_columnTitles.insert(column.id, column.title);
    // Only the event's own card: an unlinked card is gone from the model once the event is applied.
    if (const BoardCard* card = model.card(idField(event.data, "issue_id"_L1)))
        m_issues.insert(card->issueId,
                        Issue{card->reference(), card->title, BoardState::issueUrl(m_forgeUrl, *card)});
}

QString BoardWatcher::issueName(const protocol::BoardEvent& event) const
{
    const auto it = m_issues.constFind(idField(event.data, "issue_id"_L1));
    if (it == m_issues.cend())
        return {};
    // Quotation marks differ by language (German „…“), so they are the translator's.
    return it->title.isEmpty() ? it->reference
                               : tr("%1 “%2”", "issue reference and title").arg(it->reference, it->title);
}

QString BoardWatcher::boardTitle(qint64 projectId) const
{
    const QString title = m_projectTitles.value(projectId);
    return title.isEmpty() ? tr("Project board %1").arg(projectId) : title;
}

QUrl BoardWatcher::linkFor(qint64 projectId, const protocol::BoardEvent& event) const
{
    if (!m_forgeUrl.isValid() || m_forgeUrl.isEmpty())
        return {};
    const QString repo = event.data.value("repo"_L1).toString();
    if (event.event == "card.moved"_L1 && !repo.isEmpty())
        return ForgeHttp::join(
            m_forgeUrl, u"/%1/issues/%2"_s.arg(repoPath(repo)).arg(idField(event.data, "issue_index"_L1)));
    if (event.event == "card.linked"_L1 || event.event == "card.unlinked"_L1) {
        if (const QUrl url = m_issues.value(idField(event.data, "issue_id"_L1)).url; !url.isEmpty())
            return url;
    }
    // Only the board's model knows whether it is a repository or a user/org project; a card's repo
    // is its issue's, which for a user or org project gives a page that does not exist.
    return m_projectUrls.value(projectId, m_forgeUrl);
}

QString BoardWatcher::describe(const protocol::BoardEvent& event) const
{
    const QJsonObject& d = event.data;
    const auto column = [this](qint64 id) {
        const QString title = m_columnTitles.value(id);
        return title.isEmpty() ? tr("column %1").arg(id) : tr("“%1”", "a column's title").arg(title);
    };
    const QString& e = event.event;
    if (e == "card.moved"_L1) {
        return tr("%1#%2 moved to %3")
            .arg(d.value("repo"_L1).toString())
            .arg(idField(d, "issue_index"_L1))
            .arg(column(idField(d, "to_column_id"_L1)));
    }
    if (e == "card.linked"_L1 || e == "card.unlinked"_L1) {
        const bool linked = e == "card.linked"_L1;
        const QString where = column(idField(d, "column_id"_L1));
        const QString issue = issueName(event);
        if (issue.isEmpty())
            return linked ? tr("A card was added to %1").arg(where)
                          : tr("A card was removed from %1").arg(where);
        return linked ? tr("%1 was added to %2").arg(issue, where)
                      : tr("%1 was removed from %2").arg(issue, where);
    }
    if (e == "column.created"_L1)
        return tr("Column “%1” added").arg(d.value("title"_L1).toString());
    if (e == "column.updated"_L1)
        return tr("Column “%1” changed").arg(d.value("title"_L1).toString());
    if (e == "column.deleted"_L1)
        return tr("Deleted %1; its cards went to %2")
            .arg(column(idField(d, "column_id"_L1)), column(idField(d, "moved_to_column_id"_L1)));
    if (e == "column.reordered"_L1)
        return tr("Columns reordered");
    if (e == "project.updated"_L1) {
        const QString title = d.value("title"_L1).toString();
        return d.value("is_closed"_L1).toBool() ? tr("Project “%1” closed").arg(title)
                                                : tr("Project “%1” updated").arg(title);
    }
    if (e == "project.deleted"_L1)
        return tr("The project was deleted");
    return tr("Board changed (%1)").arg(e);
}

} // namespace forgewire
