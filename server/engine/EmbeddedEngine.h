#pragma once

#include "engine/Engine.h"
#include "engine/StateStore.h"

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

    StateStore m_store;
    QTimer m_pruneTimer;
    bool m_ready = false;
    QString m_startError;
};

} // namespace forgewire
