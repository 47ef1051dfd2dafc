#pragma once

#include <QHash>
#include <QMenu>
#include <QPointer>
#include <QUrl>

namespace forgewire {

class BoardWindow;
class TrayController;

// The tray menu's "Boards" submenu: the boards this connection may read (the server's `boards`
// answer, asked for each time the menu opens) and the watched ones, by title. Choosing one opens its
// BoardWindow, or raises it when it is open already.
class BoardsMenu : public QMenu
{
    Q_OBJECT
public:
    explicit BoardsMenu(TrayController* controller, QWidget* parent = nullptr);
    ~BoardsMenu() override;

    // Opens (or raises) the board's window.
    BoardWindow* showBoard(qint64 projectId);
    // The board's open window, or null.
    BoardWindow* window(qint64 projectId) const;

Q_SIGNALS:
    void openRequested(const QUrl& url);

private:
    void rebuild();

    TrayController* m_controller;
    QHash<qint64, QPointer<BoardWindow>> m_windows;
};

} // namespace forgewire
