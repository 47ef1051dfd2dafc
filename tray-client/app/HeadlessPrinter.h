#pragma once

#include "model/TrayOptions.h"
#include "protocol/Protocol.h"

#include <QObject>
#include <QPointer>

class QIODevice;

namespace forgewire {

class TrayState;

// --headless output for terminals, i3blocks and waybar. Json: every message the tray acts on, one
// compact JSON object per line. Status: TrayState::statusLine(), printed again whenever it changes
// (every second while a stopwatch runs). Each line is flushed at once so pipes see it.
class HeadlessPrinter : public QObject
{
    Q_OBJECT
public:
    HeadlessPrinter(TrayOptions::Format format, QIODevice* out, TrayState* state, QObject* parent = nullptr);

    // Called for each message the controller passes on; ignored in status format.
    void print(const protocol::ServerMessage& message);
    // Prints the status line if it differs from the last one printed.
    void refreshStatus();

private:
    void writeLine(const QByteArray& line);

    TrayOptions::Format m_format;
    QIODevice* m_out;
    QPointer<TrayState> m_state;
    QString m_lastStatus;
};

} // namespace forgewire
