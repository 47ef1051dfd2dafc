#include "broker/BoardModel.h"

#include "config/ServerLimits.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <cmath>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

using Status = BoardModel::Status;
using Result = BoardModel::Result;

Result fail(Status status, const QString& error)
{
    return {status, error};
}

bool isId(const QJsonValue& v)
{
    const double d = v.toDouble(-1);
    return v.isDouble() && d >= 0 && d < 9007199254740992.0 && d == std::floor(d);
}

qint64 idOf(const QJsonValue& v)
{
    return qint64(v.toDouble());
}

// Index of the column `id` in `columns`, or -1.
qsizetype findColumn(const QJsonArray& columns, qint64 id)
{
    for (qsizetype i = 0; i < columns.size(); ++i) {
        if (idOf(columns[i].toObject().value("column_id"_L1)) == id)
            return i;
    }
    return -1;
}

qsizetype findCard(const QJsonArray& cards, qint64 issueId)
{
    for (qsizetype i = 0; i < cards.size(); ++i) {
        if (idOf(cards[i].toObject().value("issue_id"_L1)) == issueId)
            return i;
    }
    return -1;
}

bool cardAnywhere(const QJsonArray& columns, qint64 issueId)
{
    for (const QJsonValue& column : columns) {
        if (findCard(column.toObject().value("cards"_L1).toArray(), issueId) >= 0)
            return true;
    }
    return false;
}

// Inserts after every item whose sorting is <= the new one's: the order the Lua script keeps too.
void insertBySorting(QJsonArray& items, const QJsonObject& item)
{
    const double sorting = item.value("sorting"_L1).toDouble();
    qsizetype at = items.size();
    for (qsizetype i = 0; i < items.size(); ++i) {
        if (items[i].toObject().value("sorting"_L1).toDouble() > sorting) {
            at = i;
            break;
        }
    }
    items.insert(at, item);
}

void clearDefaults(QJsonArray& columns)
{
    for (qsizetype i = 0; i < columns.size(); ++i) {
        QJsonObject c = columns[i].toObject();
        if (c.value("default"_L1).toBool()) {
            c.insert(u"default"_s, false);
            columns[i] = c;
        }
    }
}

QJsonValue stringOr(const QJsonValue& v, const QString& fallback)
{
    return v.isString() ? v : QJsonValue(fallback);
}

Result normaliseCard(const QJsonValue& value, QJsonObject* card, const QString& where)
{
    const QJsonObject o = value.toObject();
    if (!value.isObject() || !isId(o.value("issue_id"_L1)))
        return fail(Status::BadRequest, where + u" needs issue_id as a whole number"_s);
    for (const auto field : {"issue_index"_L1, "sorting"_L1}) {
        if (o.contains(field) && !o.value(field).isDouble())
            return fail(Status::BadRequest, u"%1: %2 must be a number"_s.arg(where, field));
    }
    for (const auto field : {"repo"_L1, "title"_L1}) {
        if (o.contains(field) && !o.value(field).isString())
            return fail(Status::BadRequest, u"%1: %2 must be a string"_s.arg(where, field));
    }
    if (o.contains("is_closed"_L1) && !o.value("is_closed"_L1).isBool())
        return fail(Status::BadRequest, where + u": is_closed must be a boolean"_s);
    *card = QJsonObject{{u"issue_id"_s, o.value("issue_id"_L1)},
                        {u"issue_index"_s, o.value("issue_index"_L1).toDouble(0)},
                        {u"repo"_s, stringOr(o.value("repo"_L1), QString())},
                        {u"title"_s, stringOr(o.value("title"_L1), QString())},
                        {u"sorting"_s, o.value("sorting"_L1).toDouble(0)},
                        {u"is_closed"_s, o.value("is_closed"_L1).toBool(false)}};
    return {};
}

} // namespace

Result BoardModel::parseSnapshot(const QByteArray& body, QJsonObject* board)
{
    if (body.size() > limits::kMaxBoardSnapshotBytes)
        return fail(
            Status::TooLarge,
            u"snapshot is %1 bytes; the limit is %2"_s.arg(body.size()).arg(limits::kMaxBoardSnapshotBytes));
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return fail(
            Status::BadRequest,
            u"malformed JSON at offset %1: %2"_s.arg(parseError.offset).arg(parseError.errorString()));
    if (!document.isObject())
        return fail(Status::BadRequest, u"expected a board snapshot object"_s);
    return validateSnapshot(document.object(), board);
}

Result BoardModel::validateSnapshot(const QJsonObject& o, QJsonObject* board)
{
    if (!o.value("title"_L1).isString())
        return fail(Status::BadRequest, u"snapshot needs title as a string"_s);
    for (const auto field : {"description"_L1, "owner"_L1}) {
        if (o.contains(field) && !o.value(field).isString())
            return fail(Status::BadRequest, u"snapshot: %1 must be a string"_s.arg(field));
    }
    if (o.contains("is_closed"_L1) && !o.value("is_closed"_L1).isBool())
        return fail(Status::BadRequest, u"snapshot: is_closed must be a boolean"_s);
    const QJsonValue repo = o.value("repo"_L1);
    if (!repo.isUndefined() && !repo.isNull() && !repo.isString())
        return fail(Status::BadRequest, u"snapshot: repo must be a string or null"_s);
    if (!o.value("columns"_L1).isArray())
        return fail(Status::BadRequest, u"snapshot needs columns as an array"_s);
    const QJsonArray input = o.value("columns"_L1).toArray();
    if (input.size() > limits::kMaxBoardColumns)
        return fail(
            Status::BadRequest,
            u"snapshot has %1 columns; the limit is %2"_s.arg(input.size()).arg(limits::kMaxBoardColumns));
    QSet<qint64> columnIds;
    QSet<qint64> issueIds;
    QJsonArray columns;
    for (qsizetype i = 0; i < input.size(); ++i) {
        const QString where = u"columns[%1]"_s.arg(i);
        const QJsonObject c = input[i].toObject();
        if (!input[i].isObject() || !isId(c.value("column_id"_L1)))
            return fail(Status::BadRequest, where + u" needs column_id as a whole number"_s);
        if (!c.value("title"_L1).isString())
            return fail(Status::BadRequest, where + u" needs title as a string"_s);
        if (c.contains("color"_L1) && !c.value("color"_L1).isString())
            return fail(Status::BadRequest, where + u": color must be a string"_s);
        if (c.contains("sorting"_L1) && !c.value("sorting"_L1).isDouble())
            return fail(Status::BadRequest, where + u": sorting must be a number"_s);
        if (c.contains("default"_L1) && !c.value("default"_L1).isBool())
            return fail(Status::BadRequest, where + u": default must be a boolean"_s);
        if (c.contains("cards"_L1) && !c.value("cards"_L1).isArray())
            return fail(Status::BadRequest, where + u": cards must be an array"_s);
        const qint64 columnId = idOf(c.value("column_id"_L1));
        if (columnIds.contains(columnId))
            return fail(Status::BadRequest, u"column %1 appears twice"_s.arg(columnId));
        columnIds.insert(columnId);
        const QJsonArray inputCards = c.value("cards"_L1).toArray();
        if (issueIds.size() + inputCards.size() > limits::kMaxBoardCards)
            return fail(Status::BadRequest, u"snapshot has more than %1 cards"_s.arg(limits::kMaxBoardCards));
        QJsonArray cards;
        for (qsizetype j = 0; j < inputCards.size(); ++j) {
            QJsonObject card;
            if (const Result r = normaliseCard(inputCards[j], &card, u"%1.cards[%2]"_s.arg(where).arg(j));
                !r.ok())
                return r;
            const qint64 issueId = idOf(card.value("issue_id"_L1));
            if (issueIds.contains(issueId))
                return fail(Status::BadRequest, u"issue %1 appears twice on the board"_s.arg(issueId));
            issueIds.insert(issueId);
            insertBySorting(cards, card);
        }
        insertBySorting(columns, QJsonObject{{u"column_id"_s, c.value("column_id"_L1)},
                                             {u"title"_s, c.value("title"_L1)},
                                             {u"color"_s, stringOr(c.value("color"_L1), QString())},
                                             {u"sorting"_s, c.value("sorting"_L1).toDouble(0)},
                                             {u"default"_s, c.value("default"_L1).toBool(false)},
                                             {u"cards"_s, cards}});
    }
    *board = QJsonObject{{u"title"_s, o.value("title"_L1)},
                         {u"description"_s, stringOr(o.value("description"_L1), QString())},
                         {u"is_closed"_s, o.value("is_closed"_L1).toBool(false)},
                         {u"owner"_s, stringOr(o.value("owner"_L1), QString())},
                         {u"repo"_s, repo.isString() ? repo : QJsonValue(QJsonValue::Null)},
                         {u"columns"_s, columns}};
    return {};
}

Result BoardModel::apply(QJsonObject& board, const QString& event, const QJsonObject& data)
{
    QJsonArray columns = board.value("columns"_L1).toArray();
    auto conflict = [](const QString& what) {
        return fail(Status::Conflict, what);
    };
    auto needId = [&data](QLatin1StringView field) {
        return isId(data.value(field));
    };

    if (event == "card.moved"_L1) {
        if (!needId("issue_id"_L1) || !needId("from_column_id"_L1) || !needId("to_column_id"_L1))
            return fail(Status::BadRequest, u"card.moved needs issue_id, from_column_id and to_column_id"_s);
        const qint64 issueId = idOf(data.value("issue_id"_L1));
        const qsizetype from = findColumn(columns, idOf(data.value("from_column_id"_L1)));
        const qsizetype to = findColumn(columns, idOf(data.value("to_column_id"_L1)));
        if (from < 0 || to < 0)
            return conflict(u"card.moved names a column the board does not have"_s);
        QJsonObject fromColumn = columns[from].toObject();
        QJsonArray fromCards = fromColumn.value("cards"_L1).toArray();
        const qsizetype at = findCard(fromCards, issueId);
        if (at < 0)
            return conflict(u"card.moved: issue %1 is not in column %2"_s.arg(issueId).arg(
                idOf(data.value("from_column_id"_L1))));
        QJsonObject card = fromCards.takeAt(at).toObject();
        if (data.value("issue_index"_L1).isDouble())
            card.insert(u"issue_index"_s, data.value("issue_index"_L1));
        if (data.value("repo"_L1).isString())
            card.insert(u"repo"_s, data.value("repo"_L1));
        if (data.value("sorting"_L1).isDouble())
            card.insert(u"sorting"_s, data.value("sorting"_L1));
        fromColumn.insert(u"cards"_s, fromCards);
        columns[from] = fromColumn;
        QJsonObject toColumn = columns[to].toObject();
        QJsonArray toCards = toColumn.value("cards"_L1).toArray();
        insertBySorting(toCards, card);
        toColumn.insert(u"cards"_s, toCards);
        columns[to] = toColumn;
    } else if (event == "card.linked"_L1) {
        if (!needId("issue_id"_L1) || !needId("column_id"_L1))
            return fail(Status::BadRequest, u"card.linked needs issue_id and column_id"_s);
        const qint64 issueId = idOf(data.value("issue_id"_L1));
        const qsizetype at = findColumn(columns, idOf(data.value("column_id"_L1)));
        if (at < 0)
            return conflict(u"card.linked names a column the board does not have"_s);
        if (cardAnywhere(columns, issueId))
            return conflict(u"card.linked: issue %1 is already on the board"_s.arg(issueId));
        int cardCount = 0;
        for (const QJsonValue& c : std::as_const(columns))
            cardCount += int(c.toObject().value("cards"_L1).toArray().size());
        if (cardCount >= limits::kMaxBoardCards)
            return fail(Status::BadRequest, u"the board holds %1 cards, the limit"_s.arg(cardCount));
        QJsonObject column = columns[at].toObject();
        QJsonArray cards = column.value("cards"_L1).toArray();
        QJsonObject input = data;
        // No sorting given: the end of the column, as the forge appends a newly linked issue.
        if (!input.value("sorting"_L1).isDouble())
            input.insert(u"sorting"_s,
                         cards.isEmpty() ? 0.0 : cards.last().toObject().value("sorting"_L1).toDouble() + 1);
        QJsonObject card;
        if (const Result r = normaliseCard(input, &card, u"card.linked"_s); !r.ok())
            return r;
        insertBySorting(cards, card);
        column.insert(u"cards"_s, cards);
        columns[at] = column;
    } else if (event == "card.unlinked"_L1) {
        if (!needId("issue_id"_L1) || !needId("column_id"_L1))
            return fail(Status::BadRequest, u"card.unlinked needs issue_id and column_id"_s);
        const qint64 issueId = idOf(data.value("issue_id"_L1));
        const qsizetype at = findColumn(columns, idOf(data.value("column_id"_L1)));
        if (at < 0)
            return conflict(u"card.unlinked names a column the board does not have"_s);
        QJsonObject column = columns[at].toObject();
        QJsonArray cards = column.value("cards"_L1).toArray();
        const qsizetype card = findCard(cards, issueId);
        if (card < 0)
            return conflict(u"card.unlinked: issue %1 is not in that column"_s.arg(issueId));
        cards.removeAt(card);
        column.insert(u"cards"_s, cards);
        columns[at] = column;
    } else if (event == "column.created"_L1 || event == "column.updated"_L1) {
        if (!needId("column_id"_L1))
            return fail(Status::BadRequest, event + u" needs column_id"_s);
        const bool create = event == "column.created"_L1;
        const qsizetype at = findColumn(columns, idOf(data.value("column_id"_L1)));
        if (create && at >= 0)
            return conflict(
                u"column.created: column %1 exists already"_s.arg(idOf(data.value("column_id"_L1))));
        if (!create && at < 0)
            return conflict(u"column.updated names a column the board does not have"_s);
        if (create && columns.size() >= limits::kMaxBoardColumns)
            return fail(Status::BadRequest, u"the board holds %1 columns, the limit"_s.arg(columns.size()));
        QJsonObject column =
            create ? QJsonObject{{u"column_id"_s, data.value("column_id"_L1)}, {u"cards"_s, QJsonArray()}}
                   : columns.takeAt(at).toObject();
        column.insert(u"title"_s, stringOr(data.value("title"_L1), QString()));
        column.insert(u"color"_s, stringOr(data.value("color"_L1), QString()));
        column.insert(u"sorting"_s, data.value("sorting"_L1).toDouble(0));
        const bool isDefault = data.value("default"_L1).toBool(false);
        if (isDefault)
            clearDefaults(columns);
        column.insert(u"default"_s, isDefault);
        insertBySorting(columns, column);
    } else if (event == "column.deleted"_L1) {
        if (!needId("column_id"_L1) || !needId("moved_to_column_id"_L1))
            return fail(Status::BadRequest, u"column.deleted needs column_id and moved_to_column_id"_s);
        const qsizetype at = findColumn(columns, idOf(data.value("column_id"_L1)));
        const qsizetype target = findColumn(columns, idOf(data.value("moved_to_column_id"_L1)));
        if (at < 0 || target < 0 || at == target)
            return conflict(u"column.deleted names a column the board does not have"_s);
        const QJsonArray moving = columns[at].toObject().value("cards"_L1).toArray();
        QJsonObject targetColumn = columns[target].toObject();
        QJsonArray cards = targetColumn.value("cards"_L1).toArray();
        for (const QJsonValue& card : moving)
            insertBySorting(cards, card.toObject());
        targetColumn.insert(u"cards"_s, cards);
        columns[target] = targetColumn;
        columns.removeAt(at);
    } else if (event == "column.reordered"_L1) {
        const QJsonArray order = data.value("columns"_L1).toArray();
        for (const QJsonValue& entry : order) {
            const QJsonObject o = entry.toObject();
            if (!isId(o.value("column_id"_L1)) || !o.value("sorting"_L1).isDouble())
                return fail(Status::BadRequest,
                            u"column.reordered needs columns as [{column_id, sorting}]"_s);
            const qsizetype at = findColumn(columns, idOf(o.value("column_id"_L1)));
            if (at < 0)
                return conflict(u"column.reordered names a column the board does not have"_s);
            QJsonObject column = columns[at].toObject();
            column.insert(u"sorting"_s, o.value("sorting"_L1));
            columns[at] = column;
        }
        QJsonArray sorted;
        for (const QJsonValue& column : std::as_const(columns))
            insertBySorting(sorted, column.toObject());
        columns = sorted;
    } else if (event == "project.updated"_L1) {
        if (data.value("title"_L1).isString())
            board.insert(u"title"_s, data.value("title"_L1));
        if (data.value("description"_L1).isString())
            board.insert(u"description"_s, data.value("description"_L1));
        if (data.value("is_closed"_L1).isBool())
            board.insert(u"is_closed"_s, data.value("is_closed"_L1));
        return {};
    } else if (event == kProjectDeleted) {
        return {};
    } else {
        return fail(Status::BadRequest, u"unknown board event '%1'"_s.arg(event));
    }
    board.insert(u"columns"_s, columns);
    return {};
}

Result BoardModel::applyMessage(QJsonObject& board, const QByteArray& payload)
{
    const QJsonObject message = QJsonDocument::fromJson(payload).object();
    if (!message.value("event"_L1).isString() || !message.value("data"_L1).isObject())
        return fail(Status::BadRequest, u"not a board event"_s);
    return apply(board, message.value("event"_L1).toString(), message.value("data"_L1).toObject());
}

QByteArray BoardModel::withSeq(const QByteArray& payload, qint64 seq)
{
    // Spliced, not re-encoded: the payload was encoded once and every node must send the same bytes
    // (the Lua script's node-side splice in RedisEngine is this function too).
    QByteArray out = payload.trimmed();
    out.chop(1);
    return out + ",\"seq\":" + QByteArray::number(seq) + '}';
}

QByteArray BoardModel::snapshotMessage(const QString& topic, qint64 seq, const QJsonObject& board)
{
    QJsonObject message{
        {u"type"_s, QString(protocol::MessageType::BoardSnapshot)}, {u"topic"_s, topic}, {u"board"_s, board}};
    if (seq > 0)
        message.insert(u"seq"_s, seq);
    return QJsonDocument(message).toJson(QJsonDocument::Compact);
}

QJsonObject BoardModel::summary(const QString& topic, const QJsonObject& board)
{
    const QJsonValue repo = board.value("repo"_L1);
    return QJsonObject{{u"topic"_s, topic},
                       {u"title"_s, board.value("title"_L1).toString()},
                       {u"owner"_s, board.value("owner"_L1).toString()},
                       {u"repo"_s, repo.isString() ? repo : QJsonValue(QJsonValue::Null)}};
}

QJsonObject BoardModel::fromStored(const QByteArray& json)
{
    QJsonObject board = QJsonDocument::fromJson(json).object();
    QJsonArray columns;
    if (board.value("columns"_L1).isArray()) {
        for (const QJsonValue& value : board.value("columns"_L1).toArray()) {
            QJsonObject column = value.toObject();
            if (!column.value("cards"_L1).isArray())
                column.insert(u"cards"_s, QJsonArray());
            columns.append(column);
        }
    }
    board.insert(u"columns"_s, columns);
    return board;
}

} // namespace forgewire
