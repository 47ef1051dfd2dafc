#pragma once

#include <QString>
#include <QStringList>

namespace forgewire {

// A man page in roff (the man(7) macros), written section by section. Text handed in is plain: it is
// escaped here, so a help sentence with a leading dot, a backslash or a non-ASCII character cannot
// turn into a roff request or a groff warning (lintian runs `man --warnings` on every page).
class ManPage
{
public:
    ManPage(const QString& name, int section, const QString& version, const QString& summary);

    void synopsis(const QString& roff);
    void section(const QString& title);
    void subsection(const QString& title);
    void paragraph(const QString& text);
    // A tagged paragraph: `term` is roff (use bold()/italic()), `text` plain.
    void item(const QString& term, const QString& text);
    // The options of a QCommandLineParser::helpText(), one item each, continuation lines joined.
    void optionsFromHelp(const QString& helpText);

    QString text() const { return m_text; }
    // Writes the page to the file named by the first argument after the program name, else to
    // standard output; returns the exit code for main().
    int write(const QStringList& arguments) const;

    static QString escape(const QString& plain);
    // `--flag <value>` as roff: the option bold, the value italic.
    static QString option(const QString& names, const QString& valueName);
    static QString bold(const QString& plain);
    static QString italic(const QString& plain);

private:
    QString m_text;
};

} // namespace forgewire
