#pragma once

#include "engine/Engine.h"
#include "engine/StateHealth.h"
#include "engine/StateStore.h"

#include <QElapsedTimer>
#include <QTimer>

namespace forgewire {

// The embedded default (config `engine=embedded`): fan-out inside this process, state in a SQLite
// file. No Redis needed.
class EmbeddedEngine : public Engine
{
    Q_OBJECT
public:
    explicit EmbeddedEngine(const QString& statePath, QObject* parent = nullptr);

    QString name() const override { return QStringLiteral("embedded"); }
    void start() override;
    bool isReady() const override { return m_ready; }
    Readiness readiness() const override;
    QString startError() const override { return m_startError; }

    void publish(const QList<Publication>& batch, Done done) override;
    void retained(const QString& topic, std::function<void(QList<RetainedMessage>)> reply) override;
    void projectAccess(qint64 projectId, std::function<void(std::optional<ProjectAccess>)> reply) override;
    void setProjectAccess(qint64 projectId, const ProjectAccess& access, Done done) override;
    void storeBoard(qint64 projectId, const QJsonObject& board, const ProjectAccess& access,
                    StoreBoardDone done) override;
    void board(qint64 projectId, std::function<void(std::optional<BoardState>)> reply) override;
    void boards(std::function<void(QList<BoardState>)> reply) override;

private:
    void pruneRevoked();
    void checkState();
    // A write failed: the state part fails at once (a check clears it once writes work again).
    QString writeFailed(const QString& error);
    // Logs once per episode: when writes start failing, and when they work again.
    void setStateFailure(const QString& reason);

    StateStore m_store;
    StateHealth m_health{&m_store};
    QTimer m_pruneTimer;
    QTimer m_healthTimer;
    QElapsedTimer m_clock;
    qint64 m_lastWriteMs = -1;
    qint64 m_failingSinceMs = 0;
    QString m_stateFailure;
    bool m_ready = false;
    QString m_startError;
};

} // namespace forgewire
