#pragma once

#include "protocol/Protocol.h"

#include <QHash>
#include <QList>
#include <QPointer>
#include <QTimer>
#include <QUrl>
#include <QWidget>

#include <chrono>

class QLabel;
class QListWidget;
class QHBoxLayout;
class QPushButton;

namespace forgewire {

class TrayController;

// One project board, live: the project's title and description on top, the columns side by side
// in their order and colour, each card as `repo#index title` (closed issues marked). A moved or
// added card is highlighted where it lands for a few seconds. It says when it is reconnecting, when
// the project was deleted (and stops changing) or when the server refused it. Enter or a double
// click on a card opens its issue. The model is TrayController's LiveBoards; this only shows it.
class BoardWindow : public QWidget
{
    Q_OBJECT
public:
    // How long a card that just moved stays highlighted.
    static constexpr std::chrono::milliseconds kHighlightTime{4000};

    BoardWindow(TrayController* controller, qint64 projectId, QWidget* parent = nullptr);
    ~BoardWindow() override;

    qint64 projectId() const { return m_projectId; }
    // For tests and accessibility tools: the column lists in board order, the status line.
    QList<QListWidget*> columnLists() const { return m_lists; }
    QString statusText() const;
    // The card highlighted now, 0 when none.
    qint64 highlightedIssue() const { return m_highlightTimer.isActive() ? m_highlightIssue : 0; }
    // The QSettings key the geometry is kept under.
    static QString geometryKey(qint64 projectId);

Q_SIGNALS:
    // A card or the project link was activated; TrayIcon's owner opens it in the browser.
    void openRequested(const QUrl& url);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void rebuild();
    void refreshStatus();
    void onChanged(qint64 projectId, const protocol::BoardEvent& cause);
    void saveGeometry();

    QPointer<TrayController> m_controller;
    qint64 m_projectId;
    QLabel* m_title = nullptr;
    QLabel* m_description = nullptr;
    QLabel* m_status = nullptr;
    QPushButton* m_openProject = nullptr;
    QWidget* m_columnsArea = nullptr;
    QHBoxLayout* m_columnsLayout = nullptr;
    QList<QListWidget*> m_lists;
    QTimer m_highlightTimer;
    qint64 m_highlightIssue = 0;
};

} // namespace forgewire
