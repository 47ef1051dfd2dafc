#include "app/HeadlessPrinter.h"

#include "model/TrayState.h"

#include <QFileDevice>
#include <QIODevice>
#include <QJsonDocument>

namespace forgewire {

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
