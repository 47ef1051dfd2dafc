#include "Trend.h"

#include <cmath>

namespace forgewire {

Trend Trend::fit(const QList<QPointF>& points)
{
    Trend trend;
    trend.points = int(points.size());
    if (points.size() < 3)
        return trend;
    double meanX = 0, meanY = 0;
    for (const QPointF& p : points) {
        meanX += p.x();
        meanY += p.y();
    }
    meanX /= double(points.size());
    meanY /= double(points.size());
    double sxx = 0, sxy = 0;
    for (const QPointF& p : points) {
        sxx += (p.x() - meanX) * (p.x() - meanX);
        sxy += (p.x() - meanX) * (p.y() - meanY);
    }
    if (sxx <= 0)
        return trend;
    trend.slope = sxy / sxx;
    const double intercept = meanY - trend.slope * meanX;
    double residuals = 0;
    for (const QPointF& p : points) {
        const double r = p.y() - (intercept + trend.slope * p.x());
        residuals += r * r;
    }
    trend.standardError = std::sqrt(residuals / double(points.size() - 2) / sxx);
    return trend;
}

} // namespace forgewire
