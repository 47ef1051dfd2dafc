#include "app/HeadlessPrinter.h"

#include "model/LiveBoards.h"
#include "model/TrayState.h"

#include <QFileDevice>
#include <QIODevice>
#include <QJsonDocument>

namespace forgewire {

using namespace Qt::StringLiterals;

HeadlessPrinter::HeadlessPrinter(TrayOptions::Format format, QIODevice* out, TrayState* state,
                                 QObject* parent)
    : QObject(parent), m_format(format), m_out(out), m_state(state)
{
    if (m_format != TrayOptions::Format::Status)
        return;
    connect(state, &TrayState::changed, this, &HeadlessPrinter::refreshStatus);
    connect(state, &TrayState::ticked, this, &HeadlessPrinter::refreshStatus);
}

void HeadlessPrinter::print(const protocol::ServerMessage& message)
{
    if (m_format != TrayOptions::Format::Json)
        return;
    writeLine(QJsonDocument(protocol::toJson(message)).toJson(QJsonDocument::Compact));
}

void HeadlessPrinter::setBoards(LiveBoards* boards)
{
    if (m_format != TrayOptions::Format::Board)
        return;
    m_boards = boards;
    connect(boards, &LiveBoards::boardChanged, this, [this](qint64 id) { printBoard(id); });
    // Going live again is followed by the snapshot, printed then; losing the board is news by itself.
    connect(boards, &LiveBoards::boardStatusChanged, this, [this](qint64 id) {
        const BoardState* board = m_boards ? m_boards->board(id) : nullptr;
        if (board && ((!m_boards->isConnected() && board->hasSnapshot() && !board->isDeleted()) ||
                      !m_boards->refusal(id).isEmpty()))
            printBoard(id);
    });
}

void HeadlessPrinter::printBoard(qint64 projectId)
{
    const BoardState* board = m_boards ? m_boards->board(projectId) : nullptr;
    if (m_format != TrayOptions::Format::Board || !board)
        return;
    // Like all --headless output this stays English for scripts, so these are not tr() strings.
    QString text = board->renderText();
    if (const QString refusal = m_boards->refusal(projectId); !refusal.isEmpty())
        text += u"(not readable: %1)"_s.arg(refusal) + u'\n';
    else if (!board->isDeleted() && !m_boards->isLive(projectId))
        text += u"(reconnecting…)"_s + u'\n';
    else if (!board->hasSnapshot())
        text += u"(no live model of this board on the server)"_s + u'\n';
    writeLine(text.toUtf8());
}

void HeadlessPrinter::refreshStatus()
{
    if (!m_state)
        return;
    const QString line = m_state->statusLine();
    if (line == m_lastStatus)
        return;
    m_lastStatus = line;
    writeLine(line.toUtf8());
}

void HeadlessPrinter::writeLine(const QByteArray& line)
{
    m_out->write(line + '\n');
    if (auto* file = qobject_cast<QFileDevice*>(m_out))
        file->flush();
}

} // namespace forgewire
