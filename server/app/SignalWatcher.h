#pragma once

#include <QObject>

class QSocketNotifier;

namespace forgewire {

// Turns SIGTERM/SIGINT into a Qt signal through a self-pipe, so shutdown runs on the event loop.
class SignalWatcher : public QObject
{
    Q_OBJECT
public:
    explicit SignalWatcher(QObject* parent = nullptr);
    ~SignalWatcher() override;

Q_SIGNALS:
    void terminationRequested(int signal);

private:
    static void handle(int signal);
    QSocketNotifier* m_notifier = nullptr;
};

} // namespace forgewire
