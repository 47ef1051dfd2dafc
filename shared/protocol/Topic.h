#pragma once

#include <QString>

namespace forgewire {

// Topic names of PROTOCOL.md: `user-{id}`, `project-board.{id}`, `public.*`.
class Topic
{
public:
    enum class Kind
    {
        Invalid,
        User,
        ProjectBoard,
        Public,
        // `forge-session.<64 hex digits>`: the state of one forge session signed in by its cookie
        // (PROTOCOL.md v1.2), private to that session's connections.
        ForgeSession
    };

    // Long enough for any real name, short enough that a topic cannot be used to flood memory.
    static constexpr int kMaxLength = 200;

    static Topic parse(const QString& name);
    static QString user(qint64 userId);
    static QString projectBoard(qint64 projectId);
    // Every project board, as one server-side membership (an event stream has no subscribe message
    // and gets every board its user may read, PROTOCOL.md v1.2). Never a valid client topic:
    // parse() calls it Invalid.
    static const QString& everyBoard();
    // The topic of a forge session, named by a keyed hash of its session cookie (never the cookie).
    static QString forgeSession(const QByteArray& hexKey);

    Kind kind() const { return m_kind; }
    bool isValid() const { return m_kind != Kind::Invalid; }
    // The user or project id for User / ProjectBoard topics.
    qint64 id() const { return m_id; }
    const QString& name() const { return m_name; }

    static QString kindName(Kind kind);

    // `pattern` is an exact topic or `prefix.*` (as in a token's `topics` claim).
    static bool matchesPattern(const QString& pattern, const QString& topic);

private:
    Kind m_kind = Kind::Invalid;
    qint64 m_id = 0;
    QString m_name;
};

} // namespace forgewire
