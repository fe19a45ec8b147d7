#include "flatland/training/learning_rate.h"

#include <cmath>

namespace flatland::training {

double learningRateAt(const OptimizerConfig& c, double epoch, int64_t totalEpochs) {
  const double base = c.learningRate;
  if (c.warmupEpochs > 0 && epoch < double(c.warmupEpochs))
    return base * (epoch + 1e-3) / double(c.warmupEpochs);
  switch (c.schedule) {
    case Schedule::Constant:
      return base;
    case Schedule::Step: {
      double rate = base;
      for (auto milestone : c.milestones)
        if (epoch >= double(milestone)) rate *= c.gamma;
      return rate;
    }
    case Schedule::Cosine: {
      const double span = double(totalEpochs - c.warmupEpochs);
      const double t = span > 0 ? (epoch - double(c.warmupEpochs)) / span : 1.0;
      return base * 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, std::max(0.0, t))));
    }
  }
  return base;
}

}  // namespace flatland::training
