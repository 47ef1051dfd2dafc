#include "app/Translations.h"

#include "app/TrayLogging.h"

#include <QCoreApplication>
#include <QDir>
#include <QLibraryInfo>
#include <QPointer>
#include <QTranslator>

namespace forgewire {

using namespace Qt::StringLiterals;

namespace {

QPointer<QTranslator> g_own;
QPointer<QTranslator> g_qt;

} // namespace

bool Translations::install(const QLocale& locale)
{
    QCoreApplication* app = QCoreApplication::instance();
    if (!app)
        return false;
    for (QPointer<QTranslator>* installed : {&g_own, &g_qt}) {
        if (*installed) {
            QCoreApplication::removeTranslator(*installed);
            delete installed->data();
        }
    }
    auto* qt = new QTranslator(app);
    if (qt->load(locale, u"qtbase"_s, u"_"_s, QLibraryInfo::path(QLibraryInfo::TranslationsPath))) {
        QCoreApplication::installTranslator(qt);
        g_qt = qt;
    } else {
        delete qt;
    }
    auto* own = new QTranslator(app);
    // QTranslator::load(QLocale...) tries de_DE, then de, as the user's UI languages list them.
    if (!own->load(locale, kBaseName, u"_"_s, kResourceDir)) {
        delete own;
        if (locale.language() != QLocale::English && locale.language() != QLocale::C)
            qCDebug(lcTray) << "no translation for" << locale.uiLanguages() << "; using English";
        return false;
    }
    QCoreApplication::installTranslator(own);
    g_own = own;
    return true;
}

QStringList Translations::available()
{
    QStringList locales;
    const QStringList files = QDir(kResourceDir).entryList({kBaseName + u"_*.qm"_s}, QDir::Files, QDir::Name);
    for (const QString& file : files)
        locales.append(file.mid(kBaseName.size() + 1).chopped(3));
    return locales;
}

} // namespace forgewire
