// The board window and the Boards submenu, offscreen, fed with protocol messages: columns and cards
// in order, the moved card highlighted, new columns, renamed and deleted projects, reconnecting and
// resyncing, Enter opening the issue, the project link, the kept geometry, German under a German
// locale.

#include "SampleBoard.h"
#include "app/Translations.h"
#include "model/LiveBoards.h"
#include "model/TrayController.h"
#include "ui/BoardWindow.h"
#include "ui/BoardsMenu.h"

#include <QApplication>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QScopeGuard>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

using namespace forgewire;
using namespace forgewire::test;
using namespace Qt::StringLiterals;

namespace {

QStringList texts(const QListWidget* list)
{
    QStringList result;
    for (int i = 0; i < list->count(); ++i)
        result.append(list->item(i)->text());
    return result;
}

} // namespace

class TestBoardWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void showsTheBoard();
    void movedCardIsHighlightedWhereItLands();
    void newColumnAndRenamedProject();
    void deletedProjectStopsUpdating();
    void reconnectingThenResynced();
    void enterOpensTheIssue();
    void projectLinkForUserProjects();
    void geometryIsKept();
    void boardsMenuListsAndOpens();
    void germanUnderAGermanLocale();

private:
    void load(const QJsonObject& board = sampleBoard(), qint64 seq = 17);

    std::unique_ptr<TrayController> m_controller;
};

void TestBoardWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(u"Forgewire-test"_s);
    QCoreApplication::setApplicationName(u"tst_boardwindow"_s);
    QSettings().clear();
}

void TestBoardWindow::init()
{
    m_controller = std::make_unique<TrayController>();
    TrayController::Config config;
    config.forgeUrl = QUrl(u"https://forge.example.org"_s);
    m_controller->configure(config);
}

void TestBoardWindow::load(const QJsonObject& board, qint64 seq)
{
    LiveBoards& live = m_controller->liveBoards();
    live.setConnected(true);
    live.handle(protocol::Subscribed{u"project-board.42"_s});
    live.handle(protocol::BoardSnapshot{u"project-board.42"_s, seq, board});
}

void TestBoardWindow::showsTheBoard()
{
    BoardWindow window(m_controller.get(), 42);
    // Opening the window models the board.
    QVERIFY(m_controller->liveBoards().isTracked(42));
    QCOMPARE(window.statusText(), u"Connecting…"_s);
    m_controller->liveBoards().setConnected(true);
    QCOMPARE(window.statusText(), u"Loading…"_s);
    load();
    QCOMPARE(window.windowTitle(), u"Roadmap — Forgewire board"_s);
    QCOMPARE(window.statusText(), QString());
    const auto labels = window.findChildren<QLabel*>();
    QVERIFY(std::any_of(labels.cbegin(), labels.cend(), [](const QLabel* l) {
        return l->text() == u"What ships in 1.2, and what comes after."_s;
    }));
    QVERIFY(std::any_of(labels.cbegin(), labels.cend(),
                        [](const QLabel* l) { return l->text() == u"To do (3, default)"_s; }));
    const auto lists = window.columnLists();
    QCOMPARE(lists.size(), 3);
    QCOMPARE(lists.at(0)->accessibleName(), u"Column To do"_s);
    QCOMPARE(texts(lists.at(0)), (QStringList{u"alice/proj#3\nFix X"_s, u"alice/proj#4\nWrite the docs"_s,
                                              u"alice/proj#6\nDark mode"_s}));
    QCOMPARE(texts(lists.at(2)), QStringList{u"✓ alice/proj#5\nShip 1.1 (closed)"_s});
    QVERIFY(lists.at(2)->item(0)->font().strikeOut());
}

void TestBoardWindow::movedCardIsHighlightedWhereItLands()
{
    BoardWindow window(m_controller.get(), 42);
    load();
    m_controller->liveBoards().handle(sampleMove(42, 13, 3, 1, 3, 5, 18));
    QCOMPARE(window.highlightedIssue(), 13);
    const QListWidget* done = window.columnLists().at(2);
    QCOMPARE(texts(done).last(), u"alice/proj#3\nFix X"_s);
    QCOMPARE(done->item(1)->background(), window.palette().highlight());
    QCOMPARE(window.columnLists().at(0)->count(), 2);
    // The highlight goes after a few seconds.
    QTRY_COMPARE_WITH_TIMEOUT(window.highlightedIssue(), 0, int(BoardWindow::kHighlightTime.count()) + 2000);
    QVERIFY(window.columnLists().at(2)->item(1)->background() != window.palette().highlight());
}

void TestBoardWindow::newColumnAndRenamedProject()
{
    BoardWindow window(m_controller.get(), 42);
    load();
    LiveBoards& live = m_controller->liveBoards();
    live.handle(sampleEvent(42, u"column.created"_s,
                            {{u"column_id"_s, 4},
                             {u"title"_s, u"Later"_s},
                             {u"color"_s, u"#888888"_s},
                             {u"sorting"_s, 9},
                             {u"default"_s, false}},
                            18));
    QCOMPARE(window.columnLists().size(), 4);
    QCOMPARE(window.columnLists().last()->accessibleName(), u"Column Later"_s);
    live.handle(sampleEvent(
        42, u"project.updated"_s,
        {{u"title"_s, u"Plan 2027"_s}, {u"description"_s, QString()}, {u"is_closed"_s, false}}, 19));
    QCOMPARE(window.windowTitle(), u"Plan 2027 — Forgewire board"_s);
}

void TestBoardWindow::deletedProjectStopsUpdating()
{
    BoardWindow window(m_controller.get(), 42);
    load();
    LiveBoards& live = m_controller->liveBoards();
    live.handle(sampleEvent(42, u"project.deleted"_s, {}, 18));
    QCOMPARE(window.statusText(), u"This project was deleted. The board no longer updates."_s);
    live.handle(sampleMove(42, 13, 3, 1, 3, 5, 19));
    QCOMPARE(window.columnLists().at(0)->count(), 3);
    live.setConnected(false);
    QCOMPARE(window.statusText(), u"This project was deleted. The board no longer updates."_s);
}

void TestBoardWindow::reconnectingThenResynced()
{
    BoardWindow window(m_controller.get(), 42);
    load();
    LiveBoards& live = m_controller->liveBoards();
    live.setConnected(false);
    QVERIFY2(window.statusText().startsWith(u"Reconnecting"_s), qPrintable(window.statusText()));
    // What it showed stays on show.
    QCOMPARE(window.columnLists().size(), 3);

    // The new connection's snapshot: "Fix X" was done meanwhile.
    QJsonObject board = sampleBoard();
    QJsonArray columns = board.value(u"columns"_s).toArray();
    columns[0] = sampleColumn(1, u"To do"_s, u"#3a87ad"_s, 0, {}, true);
    columns[2] =
        sampleColumn(3, u"Done"_s, u"#2ecc71"_s, 2, QJsonArray{sampleCard(13, 3, u"Fix X"_s, 0, true)});
    board.insert(u"columns"_s, columns);
    load(board, 40);
    QCOMPARE(window.statusText(), QString());
    QCOMPARE(window.columnLists().at(0)->count(), 0);
    QCOMPARE(texts(window.columnLists().at(2)), QStringList{u"✓ alice/proj#3\nFix X (closed)"_s});
}

void TestBoardWindow::enterOpensTheIssue()
{
    BoardWindow window(m_controller.get(), 42);
    load();
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy opened(&window, &BoardWindow::openRequested);
    QListWidget* todo = window.columnLists().at(0);
    todo->setFocus();
    todo->setCurrentRow(0);
    QTest::keyClick(todo, Qt::Key_Down);
    QTest::keyClick(todo, Qt::Key_Return);
    QCOMPARE(opened.size(), 1);
    QCOMPARE(opened.first().at(0).toUrl(), QUrl(u"https://forge.example.org/alice/proj/issues/4"_s));

    // The keyboard focus survives a change to the board.
    m_controller->liveBoards().handle(sampleMove(42, 17, 7, 2, 3, 5, 18));
    QTRY_VERIFY(window.columnLists().at(0)->hasFocus());
    QCOMPARE(window.columnLists().at(0)->currentRow(), 1);

    // The project link of a repository project.
    window.findChild<QPushButton*>()->click();
    QCOMPARE(opened.last().at(0).toUrl(), QUrl(u"https://forge.example.org/alice/proj/projects/42"_s));

    // Escape closes the window.
    QTest::keyClick(window.columnLists().at(0), Qt::Key_Escape);
    QTRY_VERIFY(!window.isVisible());
}

void TestBoardWindow::projectLinkForUserProjects()
{
    BoardWindow window(m_controller.get(), 42);
    QSignalSpy opened(&window, &BoardWindow::openRequested);
    load(sampleBoard(QJsonValue::Null));
    window.findChild<QPushButton*>()->click();
    QCOMPARE(opened.last().at(0).toUrl(), QUrl(u"https://forge.example.org/alice/-/projects/42"_s));
    QCOMPARE(m_controller->boardUrl(42), QUrl(u"https://forge.example.org/alice/-/projects/42"_s));
    // A board whose model is not known links to the forge, not to a guessed page.
    QCOMPARE(m_controller->boardUrl(7), QUrl(u"https://forge.example.org"_s));
}

void TestBoardWindow::geometryIsKept()
{
    const QRect wanted(40, 50, 700, 420);
    {
        BoardWindow window(m_controller.get(), 42);
        window.setGeometry(wanted);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.close();
    }
    QVERIFY(QSettings().contains(BoardWindow::geometryKey(42)));
    BoardWindow again(m_controller.get(), 42);
    QCOMPARE(again.size(), wanted.size());
    QVERIFY(m_controller->liveBoards().isTracked(42));
}

void TestBoardWindow::boardsMenuListsAndOpens()
{
    TrayController::Config config = m_controller->config();
    config.watchedBoards = {9};
    m_controller->configure(config);
    BoardsMenu menu(m_controller.get());
    LiveBoards& live = m_controller->liveBoards();
    live.handle(protocol::Boards{{{u"project-board.42"_s, u"Roadmap"_s, u"alice"_s, u"proj"_s},
                                  {u"project-board.7"_s, u"Org plan"_s, u"acme"_s, QString()}}});
    QStringList entries;
    for (const QAction* action : menu.actions())
        entries.append(action->text());
    QCOMPARE(entries, (QStringList{u"Roadmap (alice/proj)"_s, u"Org plan (acme)"_s, u"Project board 9"_s}));

    menu.actions().at(0)->trigger();
    BoardWindow* window = menu.window(42);
    QVERIFY(window);
    QVERIFY(window->isVisible());
    QCOMPARE(menu.showBoard(42), window); // one window per board
    window->close();
    QTRY_VERIFY(!menu.window(42));
    QVERIFY(!live.isTracked(42));
}

void TestBoardWindow::germanUnderAGermanLocale()
{
    // A string added to the window without a German translation shows up here in English.
    QVERIFY(Translations::install(QLocale(QLocale::German, QLocale::Germany)));
    const auto english = qScopeGuard([] { Translations::install(QLocale(QLocale::English)); });
    BoardsMenu menu(m_controller.get());
    QCOMPARE(menu.actions().value(0) ? menu.actions().at(0)->text() : QString(), u"Nicht verbunden"_s);

    BoardWindow window(m_controller.get(), 42);
    QCOMPARE(window.statusText(), u"Verbinde…"_s);
    QCOMPARE(window.windowTitle(), u"Projektboard 42 — Forgewire-Board"_s);
    m_controller->liveBoards().setConnected(true);
    QCOMPARE(window.statusText(), u"Wird geladen…"_s);
    const auto buttons = window.findChildren<QPushButton*>();
    QVERIFY(std::any_of(buttons.cbegin(), buttons.cend(),
                        [](const QPushButton* b) { return b->text() == u"Im &Browser öffnen"_s; }));
    load();
    const auto labels = window.findChildren<QLabel*>();
    QVERIFY(std::any_of(labels.cbegin(), labels.cend(),
                        [](const QLabel* l) { return l->text() == u"To do (3, Standard)"_s; }));
    QCOMPARE(window.columnLists().at(0)->accessibleName(), u"Spalte To do"_s);
    QCOMPARE(texts(window.columnLists().at(2)), QStringList{u"✓ alice/proj#5\nShip 1.1 (geschlossen)"_s});
    m_controller->liveBoards().handle(sampleEvent(42, u"project.deleted"_s, {}, 18));
    QCOMPARE(window.statusText(),
             u"Dieses Projekt wurde gelöscht. Das Board wird nicht mehr aktualisiert."_s);
}

QTEST_MAIN(TestBoardWindow)
#include "tst_boardwindow.moc"
