#include "metrics/PrometheusWriter.h"

namespace forgewire {

namespace {

// Metric and label names are fixed in the code; a bad one is a programming error, not input.
bool isValidName(QByteArrayView name, bool allowColon)
{
    if (name.isEmpty())
        return false;
    for (qsizetype i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool letter =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allowColon && c == ':');
        if (!letter && !(i > 0 && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

QByteArray escape(QByteArrayView text, bool quote)
{
    QByteArray out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (quote && c == '"')
            out += "\\\"";
        else
            out += c;
    }
    return out;
}

QByteArray seconds(qint64 milliseconds)
{
    // Exact, not through a double: 2312 is "2.312", -5 is "-0.005".
    const qint64 magnitude = milliseconds < 0 ? -milliseconds : milliseconds;
    return (milliseconds < 0 ? "-" : "") + QByteArray::number(magnitude / 1000) + '.' +
           QByteArray::number(magnitude % 1000).rightJustified(3, '0');
}

} // namespace

QByteArray PrometheusWriter::escapeLabelValue(QByteArrayView value)
{
    return escape(value, true);
}

QByteArray PrometheusWriter::escapeHelp(QByteArrayView help)
{
    return escape(help, false);
}

void PrometheusWriter::family(QByteArrayView name, Type type, QByteArrayView help)
{
    Q_ASSERT(isValidName(name, true));
    const QByteArray key = name.toByteArray();
    const auto it = m_index.constFind(key);
    if (it != m_index.cend()) {
        m_current = *it;
        return;
    }
    Family family{key, {}};
    family.lines += "# HELP " + key + ' ' + escapeHelp(help) + "\n# TYPE " + key + ' ' +
                    (type == Type::Counter ? "counter" : "gauge") + '\n';
    m_current = m_families.size();
    m_index.insert(key, m_current);
    m_families.append(std::move(family));
}

void PrometheusWriter::sample(std::initializer_list<Label> labels, qint64 value)
{
    sampleText(labels, QByteArray::number(value));
}

void PrometheusWriter::sampleText(std::initializer_list<Label> labels, const QByteArray& value)
{
    Q_ASSERT_X(m_current >= 0, "PrometheusWriter::sample", "no family() before the sample");
    if (m_current < 0)
        return;
    Family& family = m_families[m_current];
    family.lines += family.name;
    if (labels.size() > 0) {
        char separator = '{';
        for (const Label& label : labels) {
            Q_ASSERT(isValidName(label.name, false));
            family.lines += separator;
            family.lines += label.name;
            family.lines += "=\"";
            family.lines += escapeLabelValue(label.value);
            family.lines += '"';
            separator = ',';
        }
        family.lines += '}';
    }
    family.lines += ' ';
    family.lines += value;
    family.lines += '\n';
}

void PrometheusWriter::counter(QByteArrayView name, QByteArrayView help, qint64 value)
{
    family(name, Type::Counter, help);
    sample(value);
}

void PrometheusWriter::gauge(QByteArrayView name, QByteArrayView help, qint64 value)
{
    family(name, Type::Gauge, help);
    sample(value);
}

void PrometheusWriter::counterSeconds(QByteArrayView name, QByteArrayView help, qint64 milliseconds)
{
    family(name, Type::Counter, help);
    sampleText({}, seconds(milliseconds));
}

void PrometheusWriter::gaugeSeconds(QByteArrayView name, QByteArrayView help, qint64 milliseconds)
{
    family(name, Type::Gauge, help);
    sampleText({}, seconds(milliseconds));
}

QByteArray PrometheusWriter::text() const
{
    qsizetype size = 0;
    for (const Family& family : m_families)
        size += family.lines.size();
    QByteArray out;
    out.reserve(size);
    for (const Family& family : m_families)
        out += family.lines;
    return out;
}

} // namespace forgewire
