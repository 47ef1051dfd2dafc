#pragma once

#include <QList>
#include <QPointF>

namespace forgewire {

// A least-squares line through (x, y) points, with the standard error of its slope: a growth is
// called a leak only when it stands out of the noise (slope - 2 SE above the threshold).
struct Trend
{
    double slope = 0;
    double standardError = 0;
    int points = 0;

    static Trend fit(const QList<QPointF>& points);
    // The lower end of the slope's ~95% interval.
    double lowerBound() const { return slope - 2 * standardError; }
};

} // namespace forgewire
