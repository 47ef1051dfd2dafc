#include "ui/BoardWindow.h"

#include "model/BoardState.h"
#include "model/LiveBoards.h"
#include "model/TrayController.h"

#include <QCloseEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QShortcut>
#include <QVBoxLayout>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

// Wide enough for "owner/repo#123" and a short title; the board scrolls sideways past the window.
constexpr int kColumnWidth = 240;
constexpr int kColorStripeHeight = 5;
constexpr int kCardSpacing = 3;
constexpr int kIssueIdRole = Qt::UserRole;
constexpr int kIssueUrlRole = Qt::UserRole + 1;

} // namespace

BoardWindow::BoardWindow(TrayController* controller, qint64 projectId, QWidget* parent)
    : QWidget(parent, Qt::Window), m_controller(controller), m_projectId(projectId)
{
    setObjectName(u"BoardWindow"_s);
    auto* layout = new QVBoxLayout(this);

    auto* head = new QHBoxLayout;
    m_title = new QLabel(this);
    m_title->setTextFormat(Qt::PlainText);
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.3);
    m_title->setFont(titleFont);
    head->addWidget(m_title, 1);
    m_openProject = new QPushButton(tr("Open in &browser"), this);
    connect(m_openProject, &QPushButton::clicked, this,
            [this] { Q_EMIT openRequested(m_controller ? m_controller->boardUrl(m_projectId) : QUrl()); });
    head->addWidget(m_openProject);
    layout->addLayout(head);

    m_description = new QLabel(this);
    m_description->setTextFormat(Qt::PlainText);
    m_description->setWordWrap(true);
    layout->addWidget(m_description);
    // Reconnecting, deleted, refused: in the palette's placeholder colour so it reads as a remark.
    m_status = new QLabel(this);
    m_status->setTextFormat(Qt::PlainText);
    m_status->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_status);

    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    m_columnsArea = new QWidget(scroll);
    m_columnsLayout = new QHBoxLayout(m_columnsArea);
    m_columnsLayout->setContentsMargins(0, 0, 0, 0);
    scroll->setWidget(m_columnsArea);
    layout->addWidget(scroll, 1);

    // A viewer window: Escape closes it, as Ctrl+W does.
    for (const QKeySequence& keys : {QKeySequence(QKeySequence::Close), QKeySequence(Qt::Key_Escape)}) {
        auto* close = new QShortcut(keys, this);
        connect(close, &QShortcut::activated, this, &QWidget::close);
    }

    m_highlightTimer.setSingleShot(true);
    m_highlightTimer.setInterval(kHighlightTime);
    connect(&m_highlightTimer, &QTimer::timeout, this, &BoardWindow::rebuild);

    LiveBoards& live = controller->liveBoards();
    connect(&live, &LiveBoards::boardChanged, this, &BoardWindow::onChanged);
    connect(&live, &LiveBoards::boardStatusChanged, this, [this](qint64 id) {
        if (id == m_projectId)
            refreshStatus();
    });
    connect(controller, &TrayController::configChanged, this, &BoardWindow::rebuild);
    controller->openBoard(projectId);

    QSettings settings;
    if (!restoreGeometry(settings.value(geometryKey(projectId)).toByteArray()))
        resize(3 * kColumnWidth + 60, 480);
    rebuild();
}

BoardWindow::~BoardWindow()
{
    if (m_controller)
        m_controller->closeBoard(m_projectId);
}

QString BoardWindow::geometryKey(qint64 projectId)
{
    return u"boards/%1/geometry"_s.arg(projectId);
}

void BoardWindow::closeEvent(QCloseEvent* event)
{
    saveGeometry();
    QWidget::closeEvent(event);
}

void BoardWindow::saveGeometry()
{
    QSettings settings;
    settings.setValue(geometryKey(m_projectId), QWidget::saveGeometry());
}

void BoardWindow::onChanged(qint64 projectId, const protocol::BoardEvent& cause)
{
    if (projectId != m_projectId)
        return;
    // The card that moved or arrived is marked where it landed.
    if (cause.event == "card.moved"_L1 || cause.event == "card.linked"_L1) {
        m_highlightIssue = cause.data.value("issue_id"_L1).toInteger();
        m_highlightTimer.start();
    }
    rebuild();
}

QString BoardWindow::statusText() const
{
    return m_status->isHidden() ? QString() : m_status->text();
}

void BoardWindow::refreshStatus()
{
    if (!m_controller)
        return;
    LiveBoards& live = m_controller->liveBoards();
    const BoardState* board = live.board(m_projectId);
    QString status;
    if (board && board->isDeleted())
        status = tr("This project was deleted. The board no longer updates.");
    else if (const QString refusal = live.refusal(m_projectId); !refusal.isEmpty())
        status = tr("The server refused this board: %1").arg(refusal);
    else if (!live.isConnected() && board && board->hasSnapshot())
        status = tr("Reconnecting… the board shows what it was and catches up once connected.");
    else if (!live.isConnected())
        status = tr("Connecting…");
    else if (!live.isLive(m_projectId))
        status = tr("Loading…");
    else if (board && !board->hasSnapshot())
        status = tr("The server has no live model of this board; only changes from now on show.");
    m_status->setText(status);
    m_status->setHidden(status.isEmpty());
    setWindowTitle(tr("%1 — Forgewire board")
                       .arg(board ? board->displayTitle() : tr("Project board %1").arg(m_projectId)));
}

void BoardWindow::rebuild()
{
    if (!m_controller)
        return;
    const BoardState* board = m_controller->liveBoards().board(m_projectId);
    const QUrl forge = m_controller->config().forgeUrl;

    // The focused card keeps the focus across the rebuild, so keyboard users do not lose their place.
    qint64 focusedIssue = 0;
    int focusedColumn = -1;
    for (int i = 0; i < m_lists.size(); ++i) {
        if (m_lists[i]->hasFocus()) {
            focusedColumn = i;
            if (const QListWidgetItem* item = m_lists[i]->currentItem())
                focusedIssue = item->data(kIssueIdRole).toLongLong();
        }
    }
    while (QLayoutItem* item = m_columnsLayout->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    m_lists.clear();

    m_title->setText(board ? board->displayTitle() : tr("Project board %1").arg(m_projectId));
    m_description->setText(board ? board->description() : QString());
    m_description->setHidden(m_description->text().isEmpty());
    const QUrl projectUrl = m_controller->boardUrl(m_projectId);
    m_openProject->setEnabled(projectUrl.isValid() && !projectUrl.isEmpty());
    m_openProject->setToolTip(projectUrl.toDisplayString());
    refreshStatus();

    const bool highlight = m_highlightTimer.isActive();
    QListWidget* focusList = nullptr;
    QListWidgetItem* focusItem = nullptr;
    const QList<BoardColumn> columns = board ? board->columns() : QList<BoardColumn>{};
    for (const BoardColumn& column : columns) {
        auto* frame = new QFrame(m_columnsArea);
        frame->setFrameShape(QFrame::StyledPanel);
        frame->setFixedWidth(kColumnWidth);
        auto* v = new QVBoxLayout(frame);
        auto* stripe = new QFrame(frame);
        stripe->setFixedHeight(kColorStripeHeight);
        stripe->setAutoFillBackground(true);
        QPalette stripePalette = stripe->palette();
        const QColor color = QColor::fromString(column.color);
        stripePalette.setColor(QPalette::Window, color.isValid() ? color : palette().color(QPalette::Mid));
        stripe->setPalette(stripePalette);
        v->addWidget(stripe);
        auto* header = new QLabel(frame);
        header->setTextFormat(Qt::PlainText);
        header->setText(column.isDefault ? tr("%1 (%2, default)").arg(column.title).arg(column.cards.size())
                                         : tr("%1 (%2)").arg(column.title).arg(column.cards.size()));
        QFont bold = header->font();
        bold.setBold(true);
        header->setFont(bold);
        v->addWidget(header);

        auto* list = new QListWidget(frame);
        list->setAccessibleName(tr("Column %1").arg(column.title));
        list->setWordWrap(true);
        list->setAlternatingRowColors(true);
        list->setSpacing(kCardSpacing);
        header->setBuddy(list);
        for (const BoardCard& card : column.cards) {
            const QString text =
                card.title.isEmpty() ? card.reference() : card.reference() + u'\n' + card.title;
            auto* item = new QListWidgetItem(card.isClosed ? tr("✓ %1 (closed)").arg(text) : text, list);
            const QUrl url = BoardState::issueUrl(forge, card);
            item->setData(kIssueIdRole, card.issueId);
            item->setData(kIssueUrlRole, url);
            item->setToolTip(url.isEmpty() ? card.reference()
                                           : tr("%1 — Enter opens it").arg(url.toDisplayString()));
            if (card.isClosed) {
                QFont font = item->font();
                font.setStrikeOut(true);
                item->setFont(font);
                item->setForeground(palette().brush(QPalette::Disabled, QPalette::Text));
            }
            if (highlight && card.issueId == m_highlightIssue) {
                item->setBackground(palette().highlight());
                item->setForeground(palette().highlightedText());
                list->scrollToItem(item);
            }
            if (card.issueId == focusedIssue) {
                focusList = list;
                focusItem = item;
            }
        }
        connect(list, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
            const QUrl url = item->data(kIssueUrlRole).toUrl();
            if (!url.isEmpty())
                Q_EMIT openRequested(url);
        });
        v->addWidget(list, 1);
        m_columnsLayout->addWidget(frame);
        m_lists.append(list);
    }
    m_columnsLayout->addStretch(1);
    if (!focusList && focusedColumn >= 0 && !m_lists.isEmpty())
        focusList = m_lists.at(qMin<int>(focusedColumn, int(m_lists.size()) - 1));
    if (focusList) {
        if (focusItem)
            focusList->setCurrentItem(focusItem);
        focusList->setFocus();
    }
}

} // namespace forgewire
