#include "ui/BoardsMenu.h"

#include "model/LiveBoards.h"
#include "model/TrayController.h"
#include "protocol/Topic.h"
#include "ui/BoardWindow.h"

namespace forgewire {

using namespace Qt::StringLiterals;

BoardsMenu::BoardsMenu(TrayController* controller, QWidget* parent)
    : QMenu(tr("&Boards"), parent), m_controller(controller)
{
    // The list is asked for when the menu opens; the answer fills it in while it is open.
    connect(this, &QMenu::aboutToShow, this, [this] {
        m_controller->listBoards();
        rebuild();
    });
    connect(&m_controller->liveBoards(), &LiveBoards::boardsListed, this, &BoardsMenu::rebuild);
    rebuild();
}

BoardsMenu::~BoardsMenu()
{
    for (const QPointer<BoardWindow>& window : std::as_const(m_windows))
        delete window.data();
}

void BoardsMenu::rebuild()
{
    clear();
    QList<std::pair<qint64, QString>> entries;
    for (const protocol::BoardInfo& info : m_controller->liveBoards().listed()) {
        const Topic topic = Topic::parse(info.topic);
        if (topic.kind() != Topic::Kind::ProjectBoard)
            continue;
        const QString where = info.repo.isEmpty() ? info.owner : info.owner + u'/' + info.repo;
        entries.append({topic.id(), where.isEmpty() ? info.title : tr("%1 (%2)").arg(info.title, where)});
    }
    // Watched boards the server did not list (no model there, or not answered yet) are still boards.
    for (qint64 id : m_controller->config().watchedBoards) {
        if (std::none_of(entries.cbegin(), entries.cend(), [id](const auto& e) { return e.first == id; })) {
            const BoardState* board = m_controller->liveBoards().board(id);
            entries.append({id, board ? board->displayTitle() : tr("Project board %1").arg(id)});
        }
    }
    if (entries.isEmpty()) {
        addAction(m_controller->liveBoards().isConnected() ? tr("No boards") : tr("Not connected"))
            ->setEnabled(false);
        return;
    }
    for (const auto& [id, title] : entries) {
        QAction* action = addAction(title, this, [this, id = id] { showBoard(id); });
        action->setData(id);
    }
}

BoardWindow* BoardsMenu::window(qint64 projectId) const
{
    return m_windows.value(projectId);
}

BoardWindow* BoardsMenu::showBoard(qint64 projectId)
{
    BoardWindow* window = m_windows.value(projectId);
    if (!window) {
        window = new BoardWindow(m_controller, projectId);
        window->setAttribute(Qt::WA_DeleteOnClose);
        connect(window, &BoardWindow::openRequested, this, &BoardsMenu::openRequested);
        m_windows.insert(projectId, window);
    }
    window->show();
    window->raise();
    window->activateWindow();
    return window;
}

} // namespace forgewire
