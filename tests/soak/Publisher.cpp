#include "Publisher.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QRandomGenerator>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

constexpr int kCardsPerBoard = 5;
constexpr int kRequestTimeoutMs = 5000;

qint64 column(qint64 board, int which)
{
    return board * 10 + which;
}

QByteArray compact(const QJsonValue& value)
{
    return value.isArray() ? QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact)
                           : QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
}

} // namespace

void Ledger::sent(qint64 value, int status)
{
    if (status >= 200 && status < 300) {
        acked = value;
        uncertain.clear(); // what was in doubt before it, the server has since overwritten
    } else if (status == 0) {
        uncertain.append(value);
    }
}

QString Ledger::expected() const
{
    QStringList values{QString::number(acked)};
    for (qint64 value : uncertain)
        values.append(QString::number(value) + u'?');
    return values.join(u" or "_s);
}

Publisher::Publisher(const Config& config, QObject* parent) : QObject(parent), m_config(config)
{
    m_network.setAutoDeleteReplies(true);
    addStream(m_config.countEveryMs, [this](Stream& s) { publishCounts(s); });
    addStream(m_config.stopwatchEveryMs, [this](Stream& s) { publishStopwatches(s); });
    addStream(m_config.tickEveryMs, [this](Stream& s) { publishTick(s); });
    for (qint64 board : std::as_const(m_config.boards))
        addStream(m_config.boardEventEveryMs, [this, board](Stream& s) { publishBoardEvent(s, board); });
    addStream(m_config.floodEveryMs, [this](Stream& s) { publishFlood(s); });
}

void Publisher::addStream(int everyMs, std::function<void(Stream&)> step)
{
    auto stream = std::make_unique<Stream>();
    stream->timer.setInterval(everyMs);
    connect(&stream->timer, &QTimer::timeout, this, [this, stream = stream.get(), step] {
        if (!m_paused && !stream->inFlight)
            step(*stream);
    });
    m_streams.push_back(std::move(stream));
}

void Publisher::start()
{
    m_paused = false;
    for (const auto& stream : m_streams)
        stream->timer.start();
}

void Publisher::pause()
{
    m_paused = true;
}

void Publisher::note(int status)
{
    ++m_stats.statuses[status];
    if (status >= 200 && status < 300)
        ++m_stats.acked;
    else if (status == 0)
        ++m_stats.unanswered;
    else
        ++m_stats.refused;
}

void Publisher::send(const QByteArray& verb, const QString& path, const QByteArray& body, Done done)
{
    QUrl url = m_config.admins.at(m_nextAdmin);
    url.setPath(path);
    QNetworkRequest request(url);
    request.setRawHeader("Authorization", "Bearer " + m_config.secret);
    request.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
    request.setTransferTimeout(kRequestTimeoutMs);
    ++m_inFlight;
    QNetworkReply* reply = m_network.sendCustomRequest(request, verb, body);
    connect(reply, &QNetworkReply::finished, this, [this, reply, done = std::move(done)] {
        --m_inFlight;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        // Unanswered: the next request tries the next node (one is enough for several nodes).
        if (status == 0)
            m_nextAdmin = (m_nextAdmin + 1) % int(m_config.admins.size());
        note(status);
        done(status, reply->readAll());
    });
}

int Publisher::sendAndWait(const QByteArray& verb, const QString& path, const QByteArray& body,
                           QByteArray* answer)
{
    int result = -1;
    QEventLoop loop;
    send(verb, path, body, [&](int status, const QByteArray& reply) {
        result = status;
        if (answer)
            *answer = reply;
        loop.quit();
    });
    if (result < 0)
        loop.exec();
    return result;
}

QByteArray Publisher::boardSnapshot(qint64 board) const
{
    QJsonArray columns;
    for (int which = 1; which <= 2; ++which) {
        QJsonArray cards;
        const QHash<qint64, qint64> placed = m_cards.value(board);
        for (auto it = placed.cbegin(); it != placed.cend(); ++it) {
            if (it.value() != column(board, which))
                continue;
            cards.append(QJsonObject{{u"issue_id"_s, it.key()},
                                     {u"issue_index"_s, it.key() % 100},
                                     {u"repo"_s, u"soak/board"_s},
                                     {u"title"_s, u"Card %1"_s.arg(it.key())},
                                     {u"sorting"_s, 0},
                                     {u"is_closed"_s, false}});
        }
        columns.append(QJsonObject{{u"column_id"_s, column(board, which)},
                                   {u"title"_s, which == 1 ? u"To do"_s : u"Done"_s},
                                   {u"color"_s, u"#3a87ad"_s},
                                   {u"sorting"_s, which},
                                   {u"default"_s, which == 1},
                                   {u"cards"_s, cards}});
    }
    return compact(QJsonObject{{u"title"_s, u"Soak %1"_s.arg(board)},
                               {u"description"_s, u""_s},
                               {u"is_closed"_s, false},
                               {u"owner"_s, u"soak"_s},
                               {u"repo"_s, u"board"_s},
                               {u"columns"_s, columns}});
}

bool Publisher::seed(QString* why)
{
    for (qint64 board : std::as_const(m_config.boards)) {
        for (int i = 1; i <= kCardsPerBoard; ++i)
            m_cards[board].insert(board * 100 + i, column(board, 1));
        const QString base = u"/api/v1/projects/%1"_s.arg(board);
        int status = sendAndWait("PUT", base + u"/access"_s, R"({"public":true})");
        if (status / 100 == 2)
            status = sendAndWait("PUT", base + u"/board"_s, boardSnapshot(board));
        if (status / 100 != 2) {
            *why = u"seeding board %1 answered %2"_s.arg(board).arg(status);
            return false;
        }
    }
    // A first value for every user, so every client has retained state to compare.
    Stream unused;
    for (int done = 0; done < m_config.users; done += m_config.usersPerBatch) {
        publishCounts(unused);
        QList<qint64> users;
        for (qint64 user = done + 1; user <= std::min(done + m_config.usersPerBatch, m_config.users); ++user)
            users.append(user);
        publishStopwatchesFor(unused, users);
    }
    publishTick(unused);
    QEventLoop loop;
    QTimer poll;
    connect(&poll, &QTimer::timeout, &loop, [&] {
        if (m_inFlight == 0)
            loop.quit();
    });
    poll.start(10);
    loop.exec();
    for (qint64 user = 1; user <= m_config.users; ++user) {
        if (m_counts[user].acked < 0 || m_stopwatches[user].acked < 0) {
            *why = u"seeding user %1 was not acknowledged"_s.arg(user);
            return false;
        }
    }
    return true;
}

void Publisher::publishCounts(Stream& stream)
{
    QJsonArray batch;
    QList<std::pair<qint64, qint64>> sent;
    for (int i = 0; i < m_config.usersPerBatch && i < m_config.users; ++i) {
        const qint64 user = 1 + (m_nextUser++ % m_config.users);
        const qint64 value = ++m_value;
        sent.append({user, value});
        batch.append(QJsonObject{
            {u"topic"_s, u"user-%1"_s.arg(user)},
            {u"message"_s, QJsonObject{{u"type"_s, u"notification-count"_s}, {u"count"_s, value}}},
            {u"retain"_s, true}});
    }
    stream.inFlight = true;
    send("POST", u"/api/v1/publish"_s, compact(batch), [this, &stream, sent](int status, const QByteArray&) {
        stream.inFlight = false;
        for (const auto& [user, value] : sent)
            m_counts[user].sent(value, status);
    });
}

void Publisher::publishStopwatches(Stream& stream)
{
    QList<qint64> users;
    const int wanted = std::max(1, std::min(m_config.usersPerBatch / 5, m_config.users));
    while (users.size() < wanted) {
        const qint64 user = 1 + QRandomGenerator::global()->bounded(m_config.users);
        if (!users.contains(user))
            users.append(user);
    }
    publishStopwatchesFor(stream, users);
}

void Publisher::publishStopwatchesFor(Stream& stream, const QList<qint64>& users)
{
    QJsonArray batch;
    QList<std::pair<qint64, qint64>> sent;
    for (qint64 user : users) {
        const qint64 value = ++m_value;
        sent.append({user, value});
        const QJsonObject running{{u"created"_s, u"2026-01-05T10:00:00Z"_s},
                                  {u"seconds"_s, 125},
                                  {u"issue_index"_s, value},
                                  {u"issue_title"_s, u"Soak"_s},
                                  {u"repo_owner_name"_s, u"soak"_s},
                                  {u"repo_name"_s, u"proj"_s}};
        batch.append(QJsonObject{
            {u"topic"_s, u"user-%1"_s.arg(user)},
            {u"message"_s, QJsonObject{{u"type"_s, u"stopwatches"_s}, {u"data"_s, QJsonArray{running}}}},
            {u"retain"_s, true}});
    }
    stream.inFlight = true;
    send("POST", u"/api/v1/publish"_s, compact(batch), [this, &stream, sent](int status, const QByteArray&) {
        stream.inFlight = false;
        for (const auto& [user, value] : sent)
            m_stopwatches[user].sent(value, status);
    });
}

void Publisher::publishTick(Stream& stream)
{
    const qint64 value = ++m_value;
    const QJsonArray batch{
        QJsonObject{{u"topic"_s, m_config.broadcastTopic},
                    {u"message"_s, QJsonObject{{u"type"_s, u"soak.tick"_s}, {u"n"_s, value}}},
                    {u"retain"_s, true}}};
    stream.inFlight = true;
    send("POST", u"/api/v1/publish"_s, compact(batch), [this, &stream, value](int status, const QByteArray&) {
        stream.inFlight = false;
        m_tick.sent(value, status);
    });
}

void Publisher::publishBoardEvent(Stream& stream, qint64 board)
{
    const QString base = u"/api/v1/projects/%1"_s.arg(board);
    stream.inFlight = true;
    if (m_needsSnapshot.value(board)) {
        send("PUT", base + u"/board"_s, boardSnapshot(board),
             [this, &stream, board](int status, const QByteArray&) {
                 stream.inFlight = false;
                 if (status / 100 == 2)
                     m_needsSnapshot.remove(board);
             });
        return;
    }
    const qint64 card = board * 100 + 1 + QRandomGenerator::global()->bounded(kCardsPerBoard);
    const qint64 from = m_cards[board].value(card);
    const qint64 to = from == column(board, 1) ? column(board, 2) : column(board, 1);
    const QJsonObject event{{u"event"_s, u"card.moved"_s},
                            {u"data"_s, QJsonObject{{u"issue_id"_s, card},
                                                    {u"issue_index"_s, card % 100},
                                                    {u"repo"_s, u"soak/board"_s},
                                                    {u"from_column_id"_s, from},
                                                    {u"to_column_id"_s, to},
                                                    {u"sorting"_s, 0}}}};
    send("POST", base + u"/events"_s, compact(event),
         [this, &stream, board, card, to](int status, const QByteArray&) {
             stream.inFlight = false;
             if (status / 100 == 2) {
                 m_cards[board][card] = to;
             } else if (status == 409 || status == 0) {
                 // The model differs from ours (a move in doubt): ours goes back as a fresh snapshot.
                 m_stats.conflicts += status == 409 ? 1 : 0;
                 m_needsSnapshot[board] = true;
             }
         });
}

void Publisher::publishFlood(Stream& stream)
{
    if (!m_flooding)
        return;
    const QJsonArray batch{
        QJsonObject{{u"topic"_s, m_config.floodTopic},
                    {u"message"_s, QJsonObject{{u"type"_s, u"soak.flood"_s},
                                               {u"pad"_s, QString(m_config.floodBytes, u'x')}}}}};
    stream.inFlight = true;
    send("POST", u"/api/v1/publish"_s, compact(batch),
         [&stream](int, const QByteArray&) { stream.inFlight = false; });
}

qint64 Publisher::boardSeq(qint64 board)
{
    for (int attempt = 0; attempt < int(m_config.admins.size()); ++attempt) {
        QByteArray answer;
        const int status = sendAndWait("GET", u"/api/v1/projects/%1/board"_s.arg(board), {}, &answer);
        if (status == 200)
            return QJsonDocument::fromJson(answer).object().value("seq"_L1).toInteger(-1);
    }
    return -1;
}

} // namespace forgewire
