#include "format/PageFormat.h"

namespace forgewire::pageformat {

using namespace Qt::StringLiterals;

QString name(PageFormat format)
{
    switch (format) {
    case PageFormat::Type:
        return u"type"_s;
    case PageFormat::EventType:
        return u"eventType"_s;
    }
    return {};
}

std::optional<PageFormat> fromName(const QString& name)
{
    for (const PageFormat format : {PageFormat::Type, PageFormat::EventType}) {
        if (name == pageformat::name(format))
            return format;
    }
    return std::nullopt;
}

} // namespace forgewire::pageformat
