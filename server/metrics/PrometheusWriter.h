#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QList>

#include <initializer_list>

namespace forgewire {

// Builds a /metrics answer in the Prometheus text exposition format (version 0.0.4), for the server
// and every optional part (engine, bridge) alike.
//
// Each family gets its HELP and TYPE lines once and its samples grouped under them, even when two
// parts name the same family: a scraper refuses a second TYPE line and may refuse split samples.
// Label values and help texts are escaped as the format says, so a value may hold any text.
class PrometheusWriter
{
public:
    enum class Type
    {
        Counter,
        Gauge
    };

    struct Label
    {
        QByteArrayView name;  // [a-zA-Z_][a-zA-Z0-9_]*
        QByteArrayView value; // any UTF-8; escaped here
    };

    // Makes `name` the family the next samples belong to; the first call for a name sets its help
    // and type, later ones only select it.
    void family(QByteArrayView name, Type type, QByteArrayView help);
    // A sample of the current family.
    void sample(qint64 value) { sample({}, value); }
    void sample(std::initializer_list<Label> labels, qint64 value);

    // A family with one unlabelled sample.
    void counter(QByteArrayView name, QByteArrayView help, qint64 value);
    void gauge(QByteArrayView name, QByteArrayView help, qint64 value);
    // Durations are kept in milliseconds and shown in seconds, the unit Prometheus names use
    // (`_seconds`): 2312 is written 2.312.
    void counterSeconds(QByteArrayView name, QByteArrayView help, qint64 milliseconds);
    void gaugeSeconds(QByteArrayView name, QByteArrayView help, qint64 milliseconds);

    QByteArray text() const;

    static QByteArray escapeLabelValue(QByteArrayView value);
    static QByteArray escapeHelp(QByteArrayView help);

private:
    void sampleText(std::initializer_list<Label> labels, const QByteArray& value);

    struct Family
    {
        QByteArray name;
        QByteArray lines; // HELP, TYPE and every sample
    };
    QList<Family> m_families;
    QHash<QByteArray, qsizetype> m_index; // name -> position in m_families
    qsizetype m_current = -1;
};

} // namespace forgewire
