#include "protocol/Topic.h"

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

// Positive decimal id without sign or leading zeros, so each id has exactly one topic name.
// Ids start at 1 (as the forge's and a token's `sub`), so "0" is refused too.
bool parseId(QStringView digits, qint64* id)
{
    if (digits.isEmpty() || digits.size() > 18 || digits.front() == u'0')
        return false;
    for (QChar c : digits) {
        if (c < u'0' || c > u'9')
            return false;
    }
    bool ok = false;
    *id = digits.toLongLong(&ok);
    return ok;
}

bool isPublicNameChar(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') || c == u'.' ||
           c == u'-' || c == u'_';
}

} // namespace

Topic Topic::parse(const QString& name)
{
    Topic topic;
    if (name.size() > kMaxLength)
        return topic;
    qint64 id = 0;
    if (name.startsWith("user-"_L1) && parseId(QStringView(name).mid(5), &id)) {
        topic.m_kind = Kind::User;
        topic.m_id = id;
    } else if (name.startsWith("project-board."_L1) && parseId(QStringView(name).mid(14), &id)) {
        topic.m_kind = Kind::ProjectBoard;
        topic.m_id = id;
    } else if (name.startsWith("forge-session."_L1)) {
        const QStringView key = QStringView(name).mid(14);
        if (key.size() != 64)
            return topic;
        for (QChar c : key) {
            if (!((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f')))
                return topic;
        }
        topic.m_kind = Kind::ForgeSession;
    } else if (name.startsWith("public."_L1) && name.size() > 7) {
        const QStringView rest = QStringView(name).mid(7);
        for (QChar c : rest) {
            if (!isPublicNameChar(c))
                return topic;
        }
        if (rest.startsWith(u'.') || rest.endsWith(u'.') || rest.contains(u".."_s))
            return topic;
        topic.m_kind = Kind::Public;
    } else {
        return topic;
    }
    topic.m_name = name;
    return topic;
}

QString Topic::user(qint64 userId)
{
    return u"user-"_s + QString::number(userId);
}

QString Topic::forgeSession(const QByteArray& hexKey)
{
    return u"forge-session."_s + QString::fromLatin1(hexKey);
}

const QString& Topic::everyBoard()
{
    static const QString name = u"project-board.*"_s;
    return name;
}

QString Topic::projectBoard(qint64 projectId)
{
    return u"project-board."_s + QString::number(projectId);
}

QString Topic::kindName(Kind kind)
{
    switch (kind) {
    case Kind::User:
        return u"user"_s;
    case Kind::ProjectBoard:
        return u"project_board"_s;
    case Kind::Public:
        return u"public"_s;
    case Kind::ForgeSession:
        return u"forge_session"_s;
    case Kind::Invalid:
        break;
    }
    return u"invalid"_s;
}

bool Topic::matchesPattern(const QString& pattern, const QString& topic)
{
    if (pattern.endsWith(".*"_L1)) {
        const QStringView prefix = QStringView(pattern).chopped(1); // keeps the dot
        return topic.size() > prefix.size() && topic.startsWith(prefix);
    }
    return pattern == topic;
}

} // namespace forgewire
