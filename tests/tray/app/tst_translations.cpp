// The translations: the German catalogue is compiled in and picked by the locale, every string of
// the catalogue is translated with its placeholders kept, and an untranslated locale stays English.

#include "app/Translations.h"
#include "model/AccountSet.h"
#include "model/BoardWatcher.h"
#include "model/TrayController.h"
#include "model/TraySettings.h"

#include <QFile>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTest>
#include <QXmlStreamReader>

using namespace forgewire;
using namespace Qt::StringLiterals;

class TestTranslations : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void germanIsCompiledIn();
    void germanLocaleTranslates();
    void boardNotificationsInGerman();
    void otherLocalesStayEnglish_data();
    void otherLocalesStayEnglish();
    void catalogueIsComplete();
};

void TestTranslations::germanIsCompiledIn()
{
    QVERIFY2(Translations::available().contains(u"de"_s), qPrintable(Translations::available().join(u' ')));
}

void TestTranslations::germanLocaleTranslates()
{
    QVERIFY(Translations::install(QLocale(QLocale::German, QLocale::Germany)));
    TrayState state;
    state.setConnectionState(SharedConnection::State::Connecting);
    QCOMPARE(state.connectionText(), u"Verbinde…"_s);
    QCOMPARE(TraySettings::checkServerUrl(QUrl()), u"Keine Server-URL angegeben."_s);

    TrayController a, b;
    AccountSet set;
    set.add(&a, u"Codeberg"_s);
    set.add(&b, u"Arbeit"_s);
    a.state().apply(protocol::NotificationCount{2});
    QVERIFY2(set.tooltip().contains(u"Insgesamt 2 ungelesene Benachrichtigungen"_s),
             qPrintable(set.tooltip()));

    // Austrian German falls back to the German catalogue.
    QVERIFY(Translations::install(QLocale(QLocale::German, QLocale::Austria)));
    QCOMPARE(TraySettings::checkServerUrl(QUrl()), u"Keine Server-URL angegeben."_s);
    Translations::install(QLocale(QLocale::English));
}

void TestTranslations::boardNotificationsInGerman()
{
    QVERIFY(Translations::install(QLocale(QLocale::German, QLocale::Germany)));
    const auto english = qScopeGuard([] { Translations::install(QLocale(QLocale::English)); });
    BoardWatcher watcher;
    watcher.setWatched({42});
    QSignalSpy spy(&watcher, &BoardWatcher::notificationReady);
    const auto event = [](const QString& name, const QJsonObject& data) {
        return protocol::BoardEvent{u"project-board.42"_s, name, data, QString()};
    };
    watcher.handle(event(u"column.created"_s, {{u"column_id"_s, 9},
                                               {u"title"_s, u"Erledigt"_s},
                                               {u"color"_s, QString()},
                                               {u"sorting"_s, 1},
                                               {u"default"_s, false}}));
    watcher.flush();
    // The issue and the column are quoted the German way too.
    watcher.handle(event(u"card.linked"_s, {{u"issue_id"_s, 20},
                                            {u"column_id"_s, 9},
                                            {u"issue_index"_s, 9},
                                            {u"repo"_s, u"bob/x"_s},
                                            {u"title"_s, u"Neues"_s}}));
    watcher.flush();
    QCOMPARE(spy.size(), 2);
    QCOMPARE(spy.at(0).at(0).value<BoardNotification>().title, u"Projektboard 42"_s);
    QCOMPARE(spy.at(1).at(0).value<BoardNotification>().body,
             u"bob/x#9 „Neues“ wurde zu „Erledigt“ hinzugefügt"_s);
}

void TestTranslations::otherLocalesStayEnglish_data()
{
    QTest::addColumn<QLocale>("locale");
    QTest::newRow("en") << QLocale(QLocale::English, QLocale::UnitedStates);
    QTest::newRow("fr") << QLocale(QLocale::French, QLocale::France);
    QTest::newRow("C") << QLocale::c();
}

void TestTranslations::otherLocalesStayEnglish()
{
    QFETCH(QLocale, locale);
    // German first: installing another locale must take it away again.
    QVERIFY(Translations::install(QLocale(QLocale::German)));
    QVERIFY(!Translations::install(locale));
    QCOMPARE(TraySettings::checkServerUrl(QUrl()), u"No server URL set."_s);
}

void TestTranslations::catalogueIsComplete()
{
    QFile file(QStringLiteral(FORGEWIRE_TS_DE));
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
    QXmlStreamReader xml(&file);
    static const QRegularExpression placeholder(uR"(%(\d|n))"_s);
    const auto placeholders = [](const QString& text) {
        QStringList found;
        for (const auto& m : placeholder.globalMatch(text))
            found.append(m.captured(0));
        found.sort();
        return found;
    };
    int messages = 0;
    QString source;
    QStringList problems;
    while (!xml.atEnd()) {
        xml.readNext();
        if (!xml.isStartElement())
            continue;
        if (xml.name() == "source"_L1) {
            source = xml.readElementText();
            ++messages;
        } else if (xml.name() == "translation"_L1) {
            const QString type = xml.attributes().value("type"_L1).toString();
            const bool numerus = xml.attributes().hasAttribute("numerus"_L1);
            QStringList forms;
            if (numerus || source.contains("%n"_L1)) {
                while (xml.readNextStartElement()) {
                    if (xml.name() == "numerusform"_L1)
                        forms.append(xml.readElementText());
                    else
                        xml.skipCurrentElement();
                }
            } else {
                forms.append(xml.readElementText());
            }
            if (type == "unfinished"_L1 || type == "vanished"_L1 || type == "obsolete"_L1)
                problems.append(u"%1 (%2)"_s.arg(source, type));
            for (const QString& form : std::as_const(forms)) {
                if (form.isEmpty())
                    problems.append(source + u" (empty)"_s);
                else if (placeholders(form) != placeholders(source) && !source.contains("%n"_L1))
                    problems.append(source + u" (placeholders differ: "_s + form + u')');
            }
        }
    }
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QVERIFY(messages > 80);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(u'\n')));
}

QTEST_GUILESS_MAIN(TestTranslations)
#include "tst_translations.moc"
