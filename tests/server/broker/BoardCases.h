#pragma once

// The board event cases both implementations of the live board rules must pass: BoardModel (C++,
// tst_boardmodel) and the Redis engine's Lua script (tst_redisengine). Each applies one event to the
// base board and expects a layout (or a 409 that leaves the board as it was).

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QStringList>

namespace forgewire::test {

// Column 1 (default) holds issues 11 and 12, column 2 issue 13, column 3 nothing.
inline QByteArray baseBoard()
{
    return R"({"title":"Roadmap","description":"","is_closed":false,"owner":"alice","repo":"proj",
      "columns":[
        {"column_id":1,"title":"To do","color":"#aaa","sorting":0,"default":true,"cards":[
          {"issue_id":11,"issue_index":3,"repo":"alice/proj","title":"Fix X","sorting":0,"is_closed":false},
          {"issue_id":12,"issue_index":4,"repo":"alice/proj","title":"Add Y","sorting":1,"is_closed":false}]},
        {"column_id":2,"title":"Doing","color":"#bbb","sorting":1,"default":false,"cards":[
          {"issue_id":13,"issue_index":5,"repo":"alice/proj","title":"Z","sorting":0,"is_closed":false}]},
        {"column_id":3,"title":"Done","color":"#ccc","sorting":2,"default":false,"cards":[]}]})";
}

// "Title[ closed]|<id> <title>[*]:<issue>,<issue>|..." (* marks the default column).
inline QString layout(const QJsonObject& board)
{
    QStringList parts{
        board.value(QLatin1StringView("title")).toString() +
        (board.value(QLatin1StringView("is_closed")).toBool() ? QStringLiteral(" closed") : QString())};
    for (const QJsonValue& value : board.value(QLatin1StringView("columns")).toArray()) {
        const QJsonObject column = value.toObject();
        QStringList cards;
        for (const QJsonValue& card : column.value(QLatin1StringView("cards")).toArray())
            cards.append(
                QString::number(qint64(card.toObject().value(QLatin1StringView("issue_id")).toDouble())));
        parts.append(QString::number(qint64(column.value(QLatin1StringView("column_id")).toDouble())) + u' ' +
                     column.value(QLatin1StringView("title")).toString() +
                     (column.value(QLatin1StringView("default")).toBool() ? QStringLiteral("*") : QString()) +
                     u':' + cards.join(u','));
    }
    return parts.join(u'|');
}

struct BoardCase
{
    const char* name;
    const char* event;
    const char* data;
    bool conflict;
    const char* layout; // after the event; unused for a conflict (the base layout must stay)
};

inline const QList<BoardCase>& boardCases()
{
    static const QList<BoardCase> cases = {
        {"card.moved across", "card.moved",
         R"({"issue_id":11,"issue_index":3,"repo":"alice/proj","from_column_id":1,"to_column_id":2,"sorting":5})",
         false, "Roadmap|1 To do*:12|2 Doing:13,11|3 Done:"},
        {"card.moved ties go after", "card.moved",
         R"({"issue_id":12,"issue_index":4,"repo":"alice/proj","from_column_id":1,"to_column_id":2,"sorting":0})",
         false, "Roadmap|1 To do*:11|2 Doing:13,12|3 Done:"},
        {"card.moved within a column", "card.moved",
         R"({"issue_id":11,"issue_index":3,"repo":"alice/proj","from_column_id":1,"to_column_id":1,"sorting":2})",
         false, "Roadmap|1 To do*:12,11|2 Doing:13|3 Done:"},
        {"card.moved unknown column", "card.moved",
         R"({"issue_id":11,"issue_index":3,"repo":"alice/proj","from_column_id":1,"to_column_id":9,"sorting":0})",
         true, ""},
        {"card.moved card not in from column", "card.moved",
         R"({"issue_id":13,"issue_index":5,"repo":"alice/proj","from_column_id":1,"to_column_id":3,"sorting":0})",
         true, ""},
        {"card.linked", "card.linked", R"({"issue_id":20,"column_id":3,"title":"New","sorting":0})", false,
         "Roadmap|1 To do*:11,12|2 Doing:13|3 Done:20"},
        {"card.linked without sorting appends", "card.linked", R"({"issue_id":20,"column_id":1})", false,
         "Roadmap|1 To do*:11,12,20|2 Doing:13|3 Done:"},
        {"card.linked twice", "card.linked", R"({"issue_id":11,"column_id":3})", true, ""},
        {"card.linked unknown column", "card.linked", R"({"issue_id":20,"column_id":9})", true, ""},
        {"card.unlinked", "card.unlinked", R"({"issue_id":12,"column_id":1})", false,
         "Roadmap|1 To do*:11|2 Doing:13|3 Done:"},
        {"card.unlinked wrong column", "card.unlinked", R"({"issue_id":12,"column_id":2})", true, ""},
        {"column.created", "column.created",
         R"({"column_id":4,"title":"Review","color":"#ddd","sorting":1,"default":false})", false,
         "Roadmap|1 To do*:11,12|2 Doing:13|4 Review:|3 Done:"},
        {"column.created default", "column.created",
         R"({"column_id":5,"title":"Inbox","color":"","sorting":9,"default":true})", false,
         "Roadmap|1 To do:11,12|2 Doing:13|3 Done:|5 Inbox*:"},
        {"column.created exists", "column.created",
         R"({"column_id":2,"title":"Again","color":"","sorting":0,"default":false})", true, ""},
        {"column.updated", "column.updated",
         R"({"column_id":1,"title":"Backlog","color":"#000","sorting":5,"default":false})", false,
         "Roadmap|2 Doing:13|3 Done:|1 Backlog:11,12"},
        {"column.updated unknown", "column.updated",
         R"({"column_id":9,"title":"X","color":"","sorting":0,"default":false})", true, ""},
        {"column.deleted moves its cards", "column.deleted", R"({"column_id":1,"moved_to_column_id":3})",
         false, "Roadmap|2 Doing:13|3 Done:11,12"},
        {"column.deleted merges by sorting", "column.deleted", R"({"column_id":2,"moved_to_column_id":1})",
         false, "Roadmap|1 To do*:11,13,12|3 Done:"},
        {"column.deleted unknown target", "column.deleted", R"({"column_id":1,"moved_to_column_id":9})", true,
         ""},
        {"column.deleted onto itself", "column.deleted", R"({"column_id":1,"moved_to_column_id":1})", true,
         ""},
        {"column.reordered", "column.reordered",
         R"({"columns":[{"column_id":3,"sorting":0},{"column_id":1,"sorting":1},{"column_id":2,"sorting":2}]})",
         false, "Roadmap|3 Done:|1 To do*:11,12|2 Doing:13"},
        {"column.reordered unknown", "column.reordered",
         R"({"columns":[{"column_id":3,"sorting":0},{"column_id":8,"sorting":1}]})", true, ""},
        {"project.updated", "project.updated", R"({"title":"Q3","description":"d","is_closed":true})", false,
         "Q3 closed|1 To do*:11,12|2 Doing:13|3 Done:"},
    };
    return cases;
}

} // namespace forgewire::test
