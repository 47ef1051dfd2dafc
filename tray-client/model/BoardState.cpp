#include "model/BoardState.h"

#include "forge/ForgeHttp.h"

#include <QCoreApplication>
#include <QJsonArray>

#include <algorithm>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

qint64 idField(const QJsonObject& data, QLatin1StringView key)
{
    return data.value(key).toInteger();
}

bool isId(const QJsonValue& value)
{
    return value.isDouble() && value.toDouble() == double(value.toInteger());
}

// `repo` is "owner/name": each half stays one path segment.
QString repoPath(const QString& repo)
{
    const qsizetype slash = repo.indexOf(u'/');
    if (slash < 0)
        return ForgeHttp::segment(repo);
    return ForgeHttp::segment(repo.left(slash)) + u'/' + ForgeHttp::segment(repo.mid(slash + 1));
}

std::optional<BoardCard> cardFromJson(const QJsonValue& value, QString* error)
{
    const QJsonObject o = value.toObject();
    if (!value.isObject() || !isId(o.value("issue_id"_L1))) {
        *error = u"board cards need an integer issue_id"_s;
        return std::nullopt;
    }
    BoardCard card;
    card.issueId = idField(o, "issue_id"_L1);
    card.issueIndex = idField(o, "issue_index"_L1);
    card.repo = o.value("repo"_L1).toString();
    card.title = o.value("title"_L1).toString();
    card.sorting = idField(o, "sorting"_L1);
    card.isClosed = o.value("is_closed"_L1).toBool();
    return card;
}

bool bySorting(const BoardCard& a, const BoardCard& b)
{
    return a.sorting < b.sorting;
}

} // namespace

QString BoardCard::reference() const
{
    if (issueIndex <= 0 || repo.isEmpty())
        return QCoreApplication::translate("BoardState", "issue %1").arg(issueId);
    return u"%1#%2"_s.arg(repo).arg(issueIndex);
}

std::optional<BoardState> BoardState::fromSnapshot(qint64 projectId, qint64 seq, const QJsonObject& board,
                                                   QString* error)
{
    BoardState state(projectId);
    const QJsonValue columns = board.value("columns"_L1);
    if (!columns.isArray()) {
        *error = u"a board snapshot needs 'columns' as an array"_s;
        return std::nullopt;
    }
    for (const auto key : {"title"_L1, "description"_L1, "owner"_L1}) {
        const QJsonValue value = board.value(key);
        if (!value.isUndefined() && !value.isString()) {
            *error = u"a board snapshot's '%1' must be a string"_s.arg(key);
            return std::nullopt;
        }
    }
    const QJsonValue repo = board.value("repo"_L1);
    if (!repo.isUndefined() && !repo.isNull() && !repo.isString()) {
        *error = u"a board snapshot's 'repo' must be a string or null"_s;
        return std::nullopt;
    }
    state.m_seq = seq;
    state.m_title = board.value("title"_L1).toString();
    state.m_description = board.value("description"_L1).toString();
    state.m_closed = board.value("is_closed"_L1).toBool();
    state.m_owner = board.value("owner"_L1).toString();
    state.m_repo = repo.toString();
    for (const QJsonValue& item : columns.toArray()) {
        const QJsonObject o = item.toObject();
        if (!item.isObject() || !isId(o.value("column_id"_L1))) {
            *error = u"board columns need an integer column_id"_s;
            return std::nullopt;
        }
        BoardColumn column;
        column.id = idField(o, "column_id"_L1);
        column.title = o.value("title"_L1).toString();
        column.color = o.value("color"_L1).toString();
        column.sorting = idField(o, "sorting"_L1);
        column.isDefault = o.value("default"_L1).toBool();
        for (const QJsonValue& cardValue : o.value("cards"_L1).toArray()) {
            const auto card = cardFromJson(cardValue, error);
            if (!card)
                return std::nullopt;
            column.cards.append(*card);
        }
        std::stable_sort(column.cards.begin(), column.cards.end(), bySorting);
        state.m_columns.append(column);
    }
    state.sortColumns();
    return state;
}

BoardState::Applied BoardState::apply(const protocol::BoardEvent& event)
{
    if (m_deleted)
        return Applied::Stale;
    if (event.seq) {
        // Without a snapshot there is nothing to count from: only a snapshot can start the model.
        if (!m_seq)
            return Applied::Gap;
        if (*event.seq <= *m_seq)
            return Applied::Stale;
        if (*event.seq > *m_seq + 1)
            return Applied::Gap;
    }
    const Applied result = applyChange(event.event, event.data);
    if (result == Applied::Changed && event.seq)
        m_seq = event.seq;
    return result;
}

BoardState::Applied BoardState::applyChange(const QString& e, const QJsonObject& d)
{
    if (e == "card.moved"_L1) {
        const qint64 issueId = idField(d, "issue_id"_L1);
        const qsizetype to = columnIndex(idField(d, "to_column_id"_L1));
        const qsizetype from = columnIndex(columnOf(issueId));
        if (to < 0 || from < 0)
            return Applied::Diverged;
        auto& cards = m_columns[from].cards;
        const auto it = std::find_if(cards.begin(), cards.end(),
                                     [&](const BoardCard& c) { return c.issueId == issueId; });
        BoardCard card = *it;
        cards.erase(it);
        card.issueIndex = idField(d, "issue_index"_L1);
        card.repo = d.value("repo"_L1).toString();
        card.sorting = idField(d, "sorting"_L1);
        insertCard(to, card);
        return Applied::Changed;
    }
    if (e == "card.linked"_L1) {
        const qint64 issueId = idField(d, "issue_id"_L1);
        const qsizetype to = columnIndex(idField(d, "column_id"_L1));
        if (to < 0)
            return Applied::Diverged;
        BoardCard card;
        // Linked twice: the second one moves it; what is known about the issue stays.
        if (const qsizetype from = columnIndex(columnOf(issueId)); from >= 0) {
            auto& cards = m_columns[from].cards;
            const auto it = std::find_if(cards.begin(), cards.end(),
                                         [&](const BoardCard& c) { return c.issueId == issueId; });
            card = *it;
            cards.erase(it);
        }
        card.issueId = issueId;
        if (d.value("issue_index"_L1).isDouble())
            card.issueIndex = idField(d, "issue_index"_L1);
        if (d.value("repo"_L1).isString())
            card.repo = d.value("repo"_L1).toString();
        if (d.value("title"_L1).isString())
            card.title = d.value("title"_L1).toString();
        if (d.value("is_closed"_L1).isBool())
            card.isClosed = d.value("is_closed"_L1).toBool();
        // Without a sorting the card goes to the end, as the forge appends it.
        card.sorting = d.value("sorting"_L1).isDouble()
                           ? idField(d, "sorting"_L1)
                           : (m_columns[to].cards.isEmpty() ? 0 : m_columns[to].cards.last().sorting + 1);
        insertCard(to, card);
        return Applied::Changed;
    }
    if (e == "card.unlinked"_L1) {
        const qint64 issueId = idField(d, "issue_id"_L1);
        const qsizetype from = columnIndex(columnOf(issueId));
        if (from < 0)
            return Applied::Diverged;
        m_columns[from].cards.removeIf([&](const BoardCard& c) { return c.issueId == issueId; });
        return Applied::Changed;
    }
    if (e == "column.created"_L1 || e == "column.updated"_L1) {
        const qint64 id = idField(d, "column_id"_L1);
        qsizetype index = columnIndex(id);
        if (index < 0) {
            if (e == "column.updated"_L1)
                return Applied::Diverged;
            m_columns.append(BoardColumn{});
            index = m_columns.size() - 1;
        }
        BoardColumn& column = m_columns[index];
        column.id = id;
        column.title = d.value("title"_L1).toString();
        column.color = d.value("color"_L1).toString();
        column.sorting = idField(d, "sorting"_L1);
        column.isDefault = d.value("default"_L1).toBool();
        // A board has one default column: the forge moves the flag, it does not add one.
        if (column.isDefault) {
            for (BoardColumn& other : m_columns)
                other.isDefault = other.id == id;
        }
        sortColumns();
        return Applied::Changed;
    }
    if (e == "column.deleted"_L1) {
        const qsizetype from = columnIndex(idField(d, "column_id"_L1));
        const qsizetype to = columnIndex(idField(d, "moved_to_column_id"_L1));
        if (from < 0 || to < 0 || from == to)
            return Applied::Diverged;
        const QList<BoardCard> cards = m_columns[from].cards;
        // The deleted column's cards go after the ones already there, in their order.
        qint64 next = m_columns[to].cards.isEmpty() ? 0 : m_columns[to].cards.last().sorting + 1;
        for (BoardCard card : cards) {
            card.sorting = next++;
            m_columns[to].cards.append(card);
        }
        m_columns.removeAt(from);
        return Applied::Changed;
    }
    if (e == "column.reordered"_L1) {
        const QJsonArray order = d.value("columns"_L1).toArray();
        for (const QJsonValue& item : order) {
            if (columnIndex(idField(item.toObject(), "column_id"_L1)) < 0)
                return Applied::Diverged;
        }
        for (const QJsonValue& item : order) {
            const QJsonObject o = item.toObject();
            m_columns[columnIndex(idField(o, "column_id"_L1))].sorting = idField(o, "sorting"_L1);
        }
        sortColumns();
        return Applied::Changed;
    }
    if (e == "project.updated"_L1) {
        m_title = d.value("title"_L1).toString();
        m_description = d.value("description"_L1).toString();
        m_closed = d.value("is_closed"_L1).toBool();
        return Applied::Changed;
    }
    if (e == "project.deleted"_L1) {
        m_deleted = true;
        return Applied::Changed;
    }
    // The codec only passes known events; a newer server's event is not ours to guess at.
    return Applied::Diverged;
}

void BoardState::insertCard(qsizetype index, const BoardCard& card)
{
    auto& cards = m_columns[index].cards;
    // After the cards of equal sorting: the one that just arrived is the last one placed there.
    const auto at = std::upper_bound(cards.begin(), cards.end(), card, bySorting);
    cards.insert(at, card);
}

qsizetype BoardState::columnIndex(qint64 columnId) const
{
    for (qsizetype i = 0; i < m_columns.size(); ++i) {
        if (m_columns.at(i).id == columnId)
            return i;
    }
    return -1;
}

void BoardState::sortColumns()
{
    std::stable_sort(m_columns.begin(), m_columns.end(),
                     [](const BoardColumn& a, const BoardColumn& b) { return a.sorting < b.sorting; });
}

QString BoardState::displayTitle() const
{
    return m_title.isEmpty() ? QCoreApplication::translate("BoardState", "Project board %1").arg(m_projectId)
                             : m_title;
}

const BoardColumn* BoardState::column(qint64 columnId) const
{
    const qsizetype index = columnIndex(columnId);
    return index < 0 ? nullptr : &m_columns.at(index);
}

const BoardCard* BoardState::card(qint64 issueId) const
{
    for (const BoardColumn& column : m_columns) {
        for (const BoardCard& card : column.cards) {
            if (card.issueId == issueId)
                return &card;
        }
    }
    return nullptr;
}

qint64 BoardState::columnOf(qint64 issueId) const
{
    for (const BoardColumn& column : m_columns) {
        for (const BoardCard& card : column.cards) {
            if (card.issueId == issueId)
                return column.id;
        }
    }
    return 0;
}

QUrl BoardState::projectUrl(const QUrl& forgeUrl) const
{
    if (!hasSnapshot() || m_owner.isEmpty())
        return {};
    // Gitea routes user and org projects under the owner with "-" where a repository would be.
    const QString repo = m_repo.isEmpty() ? u"-"_s : ForgeHttp::segment(m_repo);
    return ForgeHttp::join(forgeUrl,
                           u"/%1/%2/projects/%3"_s.arg(ForgeHttp::segment(m_owner), repo).arg(m_projectId));
}

QUrl BoardState::issueUrl(const QUrl& forgeUrl, const BoardCard& card)
{
    if (card.issueIndex <= 0 || card.repo.isEmpty())
        return {};
    return ForgeHttp::join(forgeUrl, u"/%1/issues/%2"_s.arg(repoPath(card.repo)).arg(card.issueIndex));
}

QString BoardState::renderText() const
{
    // Terminal output for --headless --format board: read by scripts, so it stays English and is
    // not in the catalogue (main.cpp installs no translator for --headless).
    QStringList lines;
    QString head = u"== "_s + displayTitle();
    if (m_closed)
        head += u" (closed)"_s;
    if (!m_repo.isEmpty())
        head += u" — %1/%2"_s.arg(m_owner, m_repo);
    else if (!m_owner.isEmpty())
        head += u" — "_s + m_owner;
    if (m_seq)
        head += u" [seq %1]"_s.arg(*m_seq);
    lines.append(head);
    if (m_deleted) {
        lines.append(u"(this project was deleted)"_s);
        return lines.join(u'\n') + u'\n';
    }
    if (!m_description.isEmpty())
        lines.append(m_description);
    for (const BoardColumn& column : m_columns) {
        lines.append(u"-- %1 (%2)%3"_s.arg(column.title)
                         .arg(column.cards.size())
                         .arg(column.isDefault ? u" *"_s : QString()));
        for (const BoardCard& card : column.cards) {
            QString line = u"   %1 %2"_s.arg(card.isClosed ? u"[x]"_s : u"[ ]"_s, card.reference());
            if (!card.title.isEmpty())
                line += u' ' + card.title;
            lines.append(line);
        }
    }
    return lines.join(u'\n') + u'\n';
}

} // namespace forgewire
