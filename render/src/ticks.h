// Axis ticks at "nice" numbers (1, 2, 5 x 10^k), the way matplotlib's MaxNLocator places them.
#pragma once

#include <string>
#include <vector>

namespace flatland::render {

struct Tick {
  double value;
  std::string label;
};

// About `target` ticks at nice values inside [lo, hi], with labels of just enough digits.
std::vector<Tick> linearTicks(double lo, double hi, int target = 5);
// The step linearTicks would use.
double niceStep(double lo, double hi, int target);
// Powers of ten inside [lo, hi] (lo > 0); labels are the exponents ("-3" for 1e-3), which the
// painters draw as 10 with a superscript. Thinned to at most `maxTicks`.
std::vector<Tick> decadeTicks(double lo, double hi, int maxTicks = 8);
// A short label for v at the given step ("0.25", "1e+04" for large magnitudes).
std::string formatNumber(double value, double step);

}  // namespace flatland::render
