#pragma once

#include "protocol/Protocol.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QUrl>

#include <optional>

namespace forgewire {

struct BoardCard
{
    qint64 issueId = 0;
    qint64 issueIndex = 0; // 0: not known (a card.linked without issue_index)
    QString repo;          // "owner/name" of the issue
    QString title;
    qint64 sorting = 0;
    bool isClosed = false;

    // "alice/proj#3", or "issue 11" when the event that brought the card did not name it.
    QString reference() const;
    bool operator==(const BoardCard& o) const
    {
        return issueId == o.issueId && issueIndex == o.issueIndex && repo == o.repo && title == o.title &&
               sorting == o.sorting && isClosed == o.isClosed;
    }
};

struct BoardColumn
{
    qint64 id = 0;
    QString title;
    QString color;
    qint64 sorting = 0;
    bool isDefault = false;
    QList<BoardCard> cards; // in `sorting` order
    bool operator==(const BoardColumn& o) const
    {
        return id == o.id && title == o.title && color == o.color && sorting == o.sorting &&
               isDefault == o.isDefault && cards == o.cards;
    }
};

// One project board as the client sees it (PROTOCOL.md v1.1 "Live board model"): a snapshot, then
// every board event applied in seq order. No Qt objects and no I/O, so every rule is testable with
// plain protocol messages; LiveBoards keeps one per subscribed board.
class BoardState
{
public:
    enum class Applied
    {
        Changed, // the event was applied (seq advanced when it had one)
        Stale,   // seq <= last, or the board is deleted: already known, nothing changed
        Gap,     // seq > last + 1: events were missed, ask for a resync
        Diverged // names a column or card the model lacks: the model is wrong, ask for a resync
    };

    BoardState() = default;
    explicit BoardState(qint64 projectId) : m_projectId(projectId) {}

    // The `board` object of a board-snapshot. nullopt with `*error` set when it is not one.
    static std::optional<BoardState> fromSnapshot(qint64 projectId, qint64 seq, const QJsonObject& board,
                                                  QString* error);

    Applied apply(const protocol::BoardEvent& event);

    qint64 projectId() const { return m_projectId; }
    // True once a snapshot arrived; a v1 board (events only) never has one.
    bool hasSnapshot() const { return m_seq.has_value(); }
    std::optional<qint64> seq() const { return m_seq; }
    bool isDeleted() const { return m_deleted; }
    const QString& title() const { return m_title; }
    // The title, or "Project board N" while none is known.
    QString displayTitle() const;
    const QString& description() const { return m_description; }
    bool isClosed() const { return m_closed; }
    const QString& owner() const { return m_owner; }
    // Empty for a user or org project.
    const QString& repo() const { return m_repo; }
    // In `sorting` order: the order the board shows them.
    const QList<BoardColumn>& columns() const { return m_columns; }

    const BoardColumn* column(qint64 columnId) const;
    const BoardCard* card(qint64 issueId) const;
    // The column holding the card, or 0.
    qint64 columnOf(qint64 issueId) const;

    // The board on the forge: /{owner}/{repo}/projects/{id} for a repository project,
    // /{owner}/-/projects/{id} for a user or org project; empty without a snapshot (nothing says
    // which of the two it is) or without a forge URL.
    QUrl projectUrl(const QUrl& forgeUrl) const;
    // The issue of a card: /{owner}/{name}/issues/{index}; empty when the card does not name it.
    static QUrl issueUrl(const QUrl& forgeUrl, const BoardCard& card);

    // The board as lines of text for a terminal (`--format board`): the title, then each column
    // with its cards; closed issues are marked, a deleted board says so.
    QString renderText() const;

private:
    Applied applyChange(const QString& event, const QJsonObject& data);
    void insertCard(qsizetype columnIndex, const BoardCard& card);
    qsizetype columnIndex(qint64 columnId) const;
    void sortColumns();

    qint64 m_projectId = 0;
    std::optional<qint64> m_seq;
    bool m_deleted = false;
    QString m_title;
    QString m_description;
    bool m_closed = false;
    QString m_owner;
    QString m_repo;
    QList<BoardColumn> m_columns;
};

} // namespace forgewire
