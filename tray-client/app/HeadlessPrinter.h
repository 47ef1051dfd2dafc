#pragma once

#include "model/TrayOptions.h"
#include "protocol/Protocol.h"

#include <QObject>
#include <QPointer>

class QIODevice;

namespace forgewire {

class LiveBoards;
class TrayState;

// --headless output for terminals, i3blocks and waybar. Json: every message the tray acts on, one
// compact JSON object per line (board snapshots and events included). Status: TrayState::statusLine(),
// printed again whenever it changes (every second while a stopwatch runs). Board: a board as text
// (BoardState::renderText) after each change to it, then an empty line. Each line is flushed at
// once so pipes see it.
class HeadlessPrinter : public QObject
{
    Q_OBJECT
public:
    HeadlessPrinter(TrayOptions::Format format, QIODevice* out, TrayState* state, QObject* parent = nullptr);

    // Called for each message the controller passes on; ignored in status format.
    void print(const protocol::ServerMessage& message);
    // Prints the status line if it differs from the last one printed.
    void refreshStatus();
    // Board format: the boards to print.
    void setBoards(LiveBoards* boards);
    // Prints the board as it is now (board format only).
    void printBoard(qint64 projectId);

private:
    void writeLine(const QByteArray& line);

    TrayOptions::Format m_format;
    QIODevice* m_out;
    QPointer<TrayState> m_state;
    QPointer<LiveBoards> m_boards;
    QString m_lastStatus;
};

} // namespace forgewire
