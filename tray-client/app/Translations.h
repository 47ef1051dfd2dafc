#pragma once

#include <QLocale>
#include <QString>

namespace forgewire {

// The tray's translations, compiled into the binary (qt_add_translations, resource prefix
// kResourceDir) and picked by the locale, plus Qt's own for its standard buttons when the system has
// them. English is the source language and needs no catalogue.
class Translations
{
public:
    static inline const QString kResourceDir = QStringLiteral(":/forgewire/i18n");
    static inline const QString kBaseName = QStringLiteral("forgewire-tray");

    // Installs the catalogues for `locale` on the application (which must exist); earlier ones
    // installed by this function are removed first. True when the tray's own catalogue was found.
    static bool install(const QLocale& locale = QLocale());
    // The locales a catalogue is compiled in for, e.g. {"de"}.
    static QStringList available();
};

} // namespace forgewire
