#pragma once

#include <QByteArrayList>
#include <QList>
#include <QtGlobal>

namespace forgewire {

// Clients that sign in, subscribe to a topic and never read again, on sockets with a small
// receive buffer: the server must close them with 4008 and keep nothing of theirs, in its memory
// or the kernel's. Plain blocking sockets: nothing here should ever read by accident.
class SlowReaders
{
public:
    static constexpr int kReceiveBuffer = 4096;

    ~SlowReaders() { closeAll(); }
    // One reader per token; false if a connection could not be made.
    bool open(quint16 port, const QByteArrayList& tokens, const QString& topic);
    void closeAll();
    int size() const { return int(m_descriptors.size()); }

private:
    QList<int> m_descriptors;
};

} // namespace forgewire
