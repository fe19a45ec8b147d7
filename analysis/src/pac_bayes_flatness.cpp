#include "flatland/analysis/pac_bayes_flatness.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "flatland/errors.h"

namespace flatland::analysis {

PacBayesFlatness pacBayesFlatness(training::Model& model, const training::Dataset& data,
                                  const PacBayesOptions& o, const JobControl& control) {
  if (!(o.threshold > 0) || !std::isfinite(o.threshold))
    throw InvalidArgument("the PAC-Bayes threshold must be positive, got " +
                          std::to_string(o.threshold));
  if (!(o.sigmaStart > 0) || !(o.sigmaLimit >= o.sigmaStart))
    throw InvalidArgument("the PAC-Bayes search needs 0 < first sigma <= sigma limit");
  if (o.iterations < 1) throw InvalidArgument("the PAC-Bayes bisection needs at least 1 iteration");
  PacBayesFlatness out;
  out.threshold = o.threshold;
  // The stage's progress: the bracket search counts as one step of the bisection's.
  const double totalSteps = double(o.iterations + 1);
  int64_t done = 0;
  double reported = 0.0;  // each σ's draws restart at 0: the bracket search must not go backwards
  JobControl inner;
  inner.cancel = control.cancel;
  inner.onProgress = [&](const ProgressEvent& e) {
    ProgressEvent event = e;
    reported = std::max(reported,
                        (double(std::min<int64_t>(done, o.iterations)) + e.fraction) / totalSteps);
    event.fraction = reported;
    event.stage = "PAC-Bayes sigma";
    control.report(event);
  };
  // A non-finite loss counts as above any threshold: that σ is too large.
  auto increaseAt = [&](double sigma) {
    ++out.evaluations;
    try {
      return gaussianSharpness(model, data, sigma, o.average, inner).increase;
    } catch (const NumericalError&) {
      return std::numeric_limits<double>::infinity();
    }
  };
  double low = 0.0, lowIncrease = 0.0, high = o.sigmaStart;
  double highIncrease = increaseAt(high);
  while (highIncrease <= o.threshold) {
    low = high;
    lowIncrease = highIncrease;
    if (high >= o.sigmaLimit) {
      out.sigma = low;
      out.increase = lowIncrease;
      out.sigmaUpper = o.sigmaLimit;
      out.bracketed = false;
      return out;
    }
    high = std::min(2.0 * high, o.sigmaLimit);
    highIncrease = increaseAt(high);
  }
  done = 1;
  for (int64_t i = 0; i < o.iterations; ++i, ++done) {
    const double middle = 0.5 * (low + high);
    const double increase = increaseAt(middle);
    if (increase <= o.threshold) {
      low = middle;
      lowIncrease = increase;
    } else {
      high = middle;
    }
  }
  out.sigma = low;
  out.increase = lowIncrease;
  out.sigmaUpper = high;
  out.bracketed = true;
  return out;
}

}  // namespace flatland::analysis
