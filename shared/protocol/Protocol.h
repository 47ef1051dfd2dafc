#pragma once

// The one place that knows every message shape of PROTOCOL.md (v1). Everything else
// builds these structs and asks the codec for bytes, or hands bytes in and gets structs back.

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QLatin1StringView>
#include <QList>
#include <QString>

#include <optional>
#include <variant>

namespace forgewire::protocol {

// Frames larger than this are refused (the server closes with 1009). The server's default limit
// (limits::kMaxMessageBytes) is this one.
constexpr qint64 kMaxMessageBytes = 64 * 1024;

// The `type` of every message, as on the wire. The routes of the publish API use the same names.
namespace MessageType {
// Server to client.
constexpr QLatin1StringView Hello{"hello"};
constexpr QLatin1StringView NotificationCount{"notification-count"};
constexpr QLatin1StringView Stopwatches{"stopwatches"};
constexpr QLatin1StringView Logout{"logout"};
constexpr QLatin1StringView Board{"board"};
constexpr QLatin1StringView Subscribed{"subscribed"};
constexpr QLatin1StringView Unsubscribed{"unsubscribed"};
constexpr QLatin1StringView Error{"error"};
// v1.1 live boards.
constexpr QLatin1StringView BoardSnapshot{"board-snapshot"};
constexpr QLatin1StringView Boards{"boards"};
// Client to server.
constexpr QLatin1StringView Subscribe{"subscribe"};
constexpr QLatin1StringView Unsubscribe{"unsubscribe"};
constexpr QLatin1StringView Resync{"resync"};
constexpr QLatin1StringView ListBoards{"list-boards"};
// Both ways.
constexpr QLatin1StringView Ping{"ping"};
constexpr QLatin1StringView Pong{"pong"};
} // namespace MessageType

// Close codes (RFC 6455 section 7.4.1 and PROTOCOL.md); the only place they are spelled as numbers.
namespace CloseCode {
constexpr quint16 GoingAway = 1001;
// The peer broke RFC 6455 framing (unmasked frame, bad opcode, bad close frame, ...).
constexpr quint16 ProtocolError = 1002;
// A text message or close reason that is not valid UTF-8.
constexpr quint16 InvalidPayload = 1007;
constexpr quint16 TooBig = 1009;
constexpr quint16 Unauthorized = 4001;
constexpr quint16 SlowConsumer = 4008;
// IANA-registered "Try Again Later": the server cannot take the connection now (busy checking
// tokens); the client reconnects with backoff, its token is not at fault. Qt's QWebSocket (6.4)
// only knows the codes of RFC 6455 and reports this one as a protocol error (1002), which
// ConnectionSchedule also answers with a backoff retry; 4001 would make it drop a good token.
constexpr quint16 TryAgainLater = 1013;
} // namespace CloseCode

// Longest token accepted on the upgrade request (PROTOCOL.md v1.1). Forge tokens are 40 hex digits
// and our JWTs a few hundred bytes; anything near this is not a token.
constexpr qsizetype kMaxTokenBytes = 4096;

// True for an RFC 6750 `b64token` (`[A-Za-z0-9-._~+/]+=*`) of at most kMaxTokenBytes: the only
// shape a token may have, so one can never carry a control character or a space into an HTTP
// header (the forge's `Authorization: token X`) or a log line.
bool isWellFormedToken(const QByteArray& token);

// True when `value` holds a byte an HTTP header value must not carry as is (CTLs, CR and LF
// included; HTAB excepted). Qt sends such bytes raw, which would split the request.
bool hasControlCharacter(const QByteArray& value);

enum class ErrorCode
{
    Forbidden,
    BadRequest,
    UnknownTopic,
    RateLimited
};
QString errorCodeName(ErrorCode code);

struct UserInfo
{
    qint64 id = 0;
    QString login;
    bool operator==(const UserInfo& o) const { return id == o.id && login == o.login; }
};

struct Hello
{
    std::optional<UserInfo> user;
    QString session;
    int heartbeat = 25;
    // Signed in by the forge's session cookie (PROTOCOL.md v1.2): `"forge_session":true`, user null.
    bool forgeSession = false;
    bool operator==(const Hello& o) const
    {
        return user == o.user && session == o.session && heartbeat == o.heartbeat &&
               forgeSession == o.forgeSession;
    }
};

struct NotificationCount
{
    qint64 count = 0;
    bool operator==(const NotificationCount& o) const { return count == o.count; }
};

struct Stopwatch
{
    QDateTime created;
    qint64 seconds = 0;
    qint64 issueIndex = 0;
    QString issueTitle;
    QString repoOwnerName;
    QString repoName;
    bool operator==(const Stopwatch& o) const
    {
        return created == o.created && seconds == o.seconds && issueIndex == o.issueIndex &&
               issueTitle == o.issueTitle && repoOwnerName == o.repoOwnerName && repoName == o.repoName;
    }
};

struct Stopwatches
{
    QList<Stopwatch> data;
    bool operator==(const Stopwatches& o) const { return data == o.data; }
};

// On the wire to clients `data` is "here" or "elsewhere"; from a publisher it is the session id.
struct Logout
{
    QString data;
    bool operator==(const Logout& o) const { return data == o.data; }
};

struct BoardEvent
{
    QString topic;
    QString event;
    QJsonObject data;
    QString sessionTag; // empty: absent
    // v1.1: the board model's sequence number; absent for boards without a snapshot (v1 behaviour).
    std::optional<qint64> seq;
    bool operator==(const BoardEvent& o) const
    {
        return topic == o.topic && event == o.event && data == o.data && sessionTag == o.sessionTag &&
               seq == o.seq;
    }
};

// v1.1: the whole board of a topic at `seq`; `board` has the shape of the publish API's
// `PUT /api/v1/projects/{id}/board` body (checked by the client's board model, not here).
struct BoardSnapshot
{
    QString topic;
    qint64 seq = 0;
    QJsonObject board;
    bool operator==(const BoardSnapshot& o) const
    {
        return topic == o.topic && seq == o.seq && board == o.board;
    }
};

// One entry of the v1.1 `boards` answer to `list-boards`.
struct BoardInfo
{
    QString topic;
    QString title;
    QString owner;
    QString repo; // empty: null (a user or org project)
    bool operator==(const BoardInfo& o) const
    {
        return topic == o.topic && title == o.title && owner == o.owner && repo == o.repo;
    }
};

struct Boards
{
    QList<BoardInfo> boards;
    bool operator==(const Boards& o) const { return boards == o.boards; }
};

struct Subscribed
{
    QString topic;
    bool operator==(const Subscribed& o) const { return topic == o.topic; }
};

struct Unsubscribed
{
    QString topic;
    bool operator==(const Unsubscribed& o) const { return topic == o.topic; }
};

struct Error
{
    ErrorCode code = ErrorCode::BadRequest;
    QString message;
    QString topic; // empty: absent
    bool operator==(const Error& o) const
    {
        return code == o.code && message == o.message && topic == o.topic;
    }
};

struct Ping
{
    bool operator==(const Ping&) const { return true; }
};

struct Pong
{
    bool operator==(const Pong&) const { return true; }
};

struct Subscribe
{
    QString topic;
    bool operator==(const Subscribe& o) const { return topic == o.topic; }
};

struct Unsubscribe
{
    QString topic;
    bool operator==(const Unsubscribe& o) const { return topic == o.topic; }
};

// v1.1: asks for a fresh board-snapshot of a topic after a seq gap.
struct Resync
{
    QString topic;
    bool operator==(const Resync& o) const { return topic == o.topic; }
};

// v1.1: asks for the `boards` this connection may read.
struct ListBoards
{
    bool operator==(const ListBoards&) const { return true; }
};

using ServerMessage = std::variant<Hello, NotificationCount, Stopwatches, Logout, BoardEvent, Subscribed,
                                   Unsubscribed, Error, Ping, Pong, BoardSnapshot, Boards>;
using ClientMessage = std::variant<Subscribe, Unsubscribe, Ping, Pong, Resync, ListBoards>;

// The `type` string of a message, e.g. "notification-count".
QString typeName(const ServerMessage& message);
QString typeName(const ClientMessage& message);

// Board event names and the fields each one's `data` must carry.
bool isKnownBoardEvent(const QString& event);
QStringList boardEventNames();

template<typename T>
struct Decoded
{
    std::optional<T> value;
    QString error; // set when value is empty: a sentence a person can act on
    explicit operator bool() const { return value.has_value(); }
};

QJsonObject toJson(const ServerMessage& message);
QJsonObject toJson(const ClientMessage& message);
QByteArray encode(const ServerMessage& message);
QByteArray encode(const ClientMessage& message);

Decoded<ServerMessage> decodeServerMessage(const QJsonObject& object);
Decoded<ServerMessage> decodeServerMessage(const QByteArray& bytes);
Decoded<ClientMessage> decodeClientMessage(const QByteArray& bytes);

// Parses JSON text into an object; the error says what is wrong with it.
Decoded<QJsonObject> parseObject(const QByteArray& bytes);

Stopwatch stopwatchFromJson(const QJsonObject& object, QString* error);
QJsonObject stopwatchToJson(const Stopwatch& stopwatch);

} // namespace forgewire::protocol
