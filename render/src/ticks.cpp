#include "ticks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace flatland::render {

double niceStep(double lo, double hi, int target) {
  const double span = std::abs(hi - lo);
  if (!(span > 0) || !std::isfinite(span)) return 1.0;
  // The smallest nice step that gives at most target + 1 ticks (matplotlib's MaxNLocator).
  const double magnitude = std::pow(10.0, std::floor(std::log10(span / std::max(1, target))));
  for (double scale : {0.1, 1.0, 10.0})
    for (double factor : {1.0, 2.0, 2.5, 5.0}) {
      const double step = factor * magnitude * scale;
      if (std::floor(span / step + 1e-9) + 1 <= target + 1) return step;
    }
  return 100.0 * magnitude;
}

std::string formatNumber(double value, double step) {
  char buffer[64];
  if (std::abs(value) < step * 1e-6) value = 0.0;  // no "-0" or "1e-17"
  const double magnitude = std::max(std::abs(value), step);
  if (magnitude >= 1e5 || (magnitude < 1e-3 && value != 0.0)) {
    std::snprintf(buffer, sizeof buffer, "%.2g", value);
    return buffer;
  }
  const int decimals = std::clamp(int(std::ceil(-std::log10(step) - 1e-9)), 0, 6);
  // 2.5-steps need one digit more than their magnitude suggests.
  const double scaled = step * std::pow(10.0, decimals);
  const int extra = std::abs(scaled - std::round(scaled)) > 1e-6 ? 1 : 0;
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals + extra, value);
  return buffer;
}

std::vector<Tick> linearTicks(double lo, double hi, int target) {
  if (lo > hi) std::swap(lo, hi);
  const double step = niceStep(lo, hi, target);
  std::vector<Tick> ticks;
  const double first = std::ceil(lo / step - 1e-9) * step;
  for (int i = 0; i < 100; ++i) {
    const double value = first + i * step;
    if (value > hi + step * 1e-9) break;
    ticks.push_back({value, formatNumber(value, step)});
  }
  return ticks;
}

std::vector<Tick> decadeTicks(double lo, double hi, int maxTicks) {
  std::vector<Tick> ticks;
  if (!(lo > 0) || !(hi > lo)) return ticks;
  const int first = int(std::ceil(std::log10(lo) - 1e-9));
  const int last = int(std::floor(std::log10(hi) + 1e-9));
  const int every = std::max(1, int(std::ceil(double(last - first + 1) / maxTicks)));
  for (int e = first; e <= last; ++e)
    if ((e - first) % every == 0) ticks.push_back({std::pow(10.0, e), std::to_string(e)});
  return ticks;
}

}  // namespace flatland::render
