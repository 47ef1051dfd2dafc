#include "ManPage.h"

#include <QFile>
#include <QRegularExpression>
#include <QStringList>

#include <cstdio>

namespace forgewire {

using namespace Qt::StringLiterals;

ManPage::ManPage(const QString& name, int section, const QString& version, const QString& summary)
{
    // No date in .TH: the page is rebuilt with every build and must come out byte-identical. No
    // hyphenation (.nh): a flag broken across lines could not be searched for or pasted.
    m_text = u".TH %1 %2 \"\" \"%3\" \"User Commands\"\n.nh\n.SH NAME\n%4 \\- %5\n"_s.arg(
        escape(name.toUpper()), QString::number(section), escape(name + u' ' + version), escape(name),
        escape(summary));
}

void ManPage::synopsis(const QString& roff)
{
    m_text += u".SH SYNOPSIS\n"_s + roff + u'\n';
}

void ManPage::section(const QString& title)
{
    m_text += u".SH "_s + escape(title.toUpper()) + u'\n';
}

void ManPage::subsection(const QString& title)
{
    m_text += u".SS "_s + escape(title) + u'\n';
}

void ManPage::paragraph(const QString& text)
{
    m_text += u".PP\n"_s + escape(text) + u'\n';
}

void ManPage::item(const QString& term, const QString& text)
{
    m_text += u".TP\n"_s + term + u'\n' + escape(text) + u'\n';
}

void ManPage::optionsFromHelp(const QString& helpText)
{
    // QCommandLineParser writes "  -h, --help   Text" and wraps the text onto lines indented to the
    // text column; an option line is the only one whose first non-blank character is '-'.
    static const QRegularExpression optionLine(u"^  (-\\S.*?)(?:\\s{2,}(.*))?$"_s);
    const QStringList lines = helpText.split(u'\n');
    qsizetype i = lines.indexOf(u"Options:"_s);
    if (i < 0)
        return;
    QString names;
    QString text;
    auto flush = [&] {
        if (names.isEmpty())
            return;
        const qsizetype open = names.indexOf(u" <"_s);
        const QString value = open < 0 ? QString() : names.sliced(open + 2).chopped(1);
        item(option(open < 0 ? names : names.left(open), value), text);
        names.clear();
        text.clear();
    };
    for (++i; i < lines.size(); ++i) {
        const QString& line = lines.at(i);
        if (line.trimmed().isEmpty())
            break;
        const QRegularExpressionMatch match = optionLine.match(line);
        if (match.hasMatch()) {
            flush();
            names = match.captured(1).trimmed();
            text = match.captured(2).trimmed();
        } else {
            text += (text.isEmpty() ? QString() : u" "_s) + line.trimmed();
        }
    }
    flush();
}

int ManPage::write(const QStringList& arguments) const
{
    QFile out;
    bool opened = false;
    if (arguments.size() > 1) {
        out.setFileName(arguments.at(1));
        opened = out.open(QIODevice::WriteOnly);
    } else {
        opened = out.open(stdout, QIODevice::WriteOnly);
    }
    if (!opened || out.write(m_text.toUtf8()) < 0 || !out.flush()) {
        std::fprintf(stderr, "cannot write the man page: %s\n", qPrintable(out.errorString()));
        return 1;
    }
    return 0;
}

QString ManPage::escape(const QString& plain)
{
    QString out;
    out.reserve(plain.size() + 16);
    bool lineStart = true;
    for (const QChar c : plain) {
        if (lineStart && (c == u'.' || c == u'\''))
            out += u"\\&"_s;
        lineStart = c == u'\n';
        if (c == u'\\')
            out += u"\\e"_s;
        else if (c == u'-')
            out += u"\\-"_s; // a real minus: options and examples must paste into a shell
        else if (c.unicode() > 0x7e)
            out += u"\\[u%1]"_s.arg(QString::number(c.unicode(), 16).toUpper().rightJustified(4, u'0'));
        else
            out += c;
    }
    return out;
}

QString ManPage::option(const QString& names, const QString& valueName)
{
    return valueName.isEmpty() ? bold(names) : bold(names) + u' ' + italic(valueName);
}

QString ManPage::bold(const QString& plain)
{
    return u"\\fB"_s + escape(plain) + u"\\fR"_s;
}

QString ManPage::italic(const QString& plain)
{
    return u"\\fI"_s + escape(plain) + u"\\fR"_s;
}

} // namespace forgewire
