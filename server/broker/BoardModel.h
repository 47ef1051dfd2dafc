#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QLatin1StringView>
#include <QString>

#include <optional>

namespace forgewire {

// The live model of one project board (PROTOCOL.md v1.1 "Live board model"): a snapshot in its wire
// shape (title, description, is_closed, owner, repo, columns with their cards), validated and
// normalised, and the rules that apply each board event to it. Pure: no I/O, no engine, so the
// embedded engine uses it directly and the Redis engine's Lua script (RedisBoardScript) implements
// the same rules, tested against the same cases.
//
// Order: columns and each column's cards are kept ordered by `sorting`; a column or card placed with
// a sorting equal to others' goes after them. Every rule below keeps that order.
class BoardModel
{
public:
    enum class Status
    {
        Ok,
        BadRequest, // 400: not a snapshot / not an event of the right shape
        TooLarge,   // 413: over kMaxBoardSnapshotBytes
        Conflict,   // 409: names a column or card the model does not have (or already has)
    };
    struct Result
    {
        Status status = Status::Ok;
        QString error;
        bool ok() const { return status == Status::Ok; }
    };

    // A snapshot body (PUT .../board): size, shape and bounds (kMaxBoardCards, kMaxBoardColumns)
    // checked; unknown fields dropped, optional ones filled in.
    static Result parseSnapshot(const QByteArray& body, QJsonObject* board);
    static Result validateSnapshot(const QJsonObject& input, QJsonObject* board);

    // Applies one board event to `board`. On anything but Ok the board is unchanged.
    // `project.deleted` is Ok and leaves the board as is: the caller drops the model.
    static Result apply(QJsonObject& board, const QString& event, const QJsonObject& data);
    // The same for a `board` message as published (its `event` and `data`).
    static Result applyMessage(QJsonObject& board, const QByteArray& payload);

    // The board event `payload` (a JSON object) with `"seq":N` added.
    static QByteArray withSeq(const QByteArray& payload, qint64 seq);
    // {"type":"board-snapshot","topic":...,"seq":N,"board":{...}}; seq 0 leaves it out (for withSeq()
    // to add once an engine knows it).
    static QByteArray snapshotMessage(const QString& topic, qint64 seq, const QJsonObject& board);
    // One entry of `boards` (list-boards): topic, title, owner, repo.
    static QJsonObject summary(const QString& topic, const QJsonObject& board);
    // A stored model read back: Lua's cjson writes an empty array as `{}`, so those become [].
    static QJsonObject fromStored(const QByteArray& json);

    // The event that removes a board's model, ACL and readers (PROTOCOL.md v1.1).
    static constexpr QLatin1StringView kProjectDeleted{"project.deleted"};
};

} // namespace forgewire
