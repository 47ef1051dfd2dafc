#pragma once

// A project board as the server's board-snapshot carries it (PROTOCOL.md v1.1), for the board window
// tests and screenshots: "Roadmap" of alice/proj with three columns in their colours.

#include "protocol/Protocol.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>

namespace forgewire::test {

inline QJsonObject sampleCard(qint64 issueId, qint64 index, const QString& title, qint64 sorting,
                              bool closed = false)
{
    return {{QStringLiteral("issue_id"), issueId},
            {QStringLiteral("issue_index"), index},
            {QStringLiteral("repo"), QStringLiteral("alice/proj")},
            {QStringLiteral("title"), title},
            {QStringLiteral("sorting"), sorting},
            {QStringLiteral("is_closed"), closed}};
}

inline QJsonObject sampleColumn(qint64 id, const QString& title, const QString& color, qint64 sorting,
                                const QJsonArray& cards, bool isDefault = false)
{
    return {{QStringLiteral("column_id"), id},      {QStringLiteral("title"), title},
            {QStringLiteral("color"), color},       {QStringLiteral("sorting"), sorting},
            {QStringLiteral("default"), isDefault}, {QStringLiteral("cards"), cards}};
}

// `repo` null makes it a user project of alice.
inline QJsonObject sampleBoard(const QJsonValue& repo = QStringLiteral("proj"))
{
    return QJsonObject{
        {QStringLiteral("title"), QStringLiteral("Roadmap")},
        {QStringLiteral("description"), QStringLiteral("What ships in 1.2, and what comes after.")},
        {QStringLiteral("is_closed"), false},
        {QStringLiteral("owner"), QStringLiteral("alice")},
        {QStringLiteral("repo"), repo},
        {QStringLiteral("columns"),
         QJsonArray{sampleColumn(1, QStringLiteral("To do"), QStringLiteral("#3a87ad"), 0,
                                 QJsonArray{sampleCard(13, 3, QStringLiteral("Fix X"), 0),
                                            sampleCard(14, 4, QStringLiteral("Write the docs"), 1),
                                            sampleCard(16, 6, QStringLiteral("Dark mode"), 2)},
                                 true),
                    sampleColumn(2, QStringLiteral("In progress"), QStringLiteral("#e8890c"), 1,
                                 QJsonArray{sampleCard(17, 7, QStringLiteral("Live boards"), 0)}),
                    sampleColumn(3, QStringLiteral("Done"), QStringLiteral("#2ecc71"), 2,
                                 QJsonArray{sampleCard(15, 5, QStringLiteral("Ship 1.1"), 0, true)})}},
    };
}

inline protocol::BoardEvent sampleEvent(qint64 projectId, const QString& name, const QJsonObject& data,
                                        std::optional<qint64> seq)
{
    protocol::BoardEvent e;
    e.topic = QStringLiteral("project-board.%1").arg(projectId);
    e.event = name;
    e.data = data;
    e.seq = seq;
    return e;
}

inline protocol::BoardEvent sampleMove(qint64 projectId, qint64 issueId, qint64 index, qint64 from, qint64 to,
                                       qint64 sorting, std::optional<qint64> seq)
{
    return sampleEvent(projectId, QStringLiteral("card.moved"),
                       {{QStringLiteral("issue_id"), issueId},
                        {QStringLiteral("issue_index"), index},
                        {QStringLiteral("repo"), QStringLiteral("alice/proj")},
                        {QStringLiteral("from_column_id"), from},
                        {QStringLiteral("to_column_id"), to},
                        {QStringLiteral("sorting"), sorting}},
                       seq);
}

} // namespace forgewire::test
