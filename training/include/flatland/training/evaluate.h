// Loss and accuracy of a model over a data set, in eval mode and without autograd.
#pragma once

#include <cstdint>
#include <vector>

#include "flatland/training/dataset.h"
#include "flatland/training/model.h"
#include "flatland/training/progress.h"

namespace flatland::training {

struct EvalResult {
  double loss = 0.0;                     // mean cross-entropy
  double accuracy = 0.0;                 // fraction in [0, 1]
  std::vector<double> perClassAccuracy;  // NaN for classes with no samples
  int64_t samples = 0;
};

// Evaluates in eval mode (BatchNorm running statistics, no dropout) and restores the mode.
// Throws NumericalError when the loss is NaN or infinite.
EvalResult evaluate(Model& model, const Dataset& data, int64_t batchSize = 1024,
                    const JobControl& control = {});

}  // namespace flatland::training
