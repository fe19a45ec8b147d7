// The robust accuracy adversarial examples leave: FGSM (Goodfellow et al., 2015), PGD under ℓ∞
// and ℓ2 (Madry et al., 2018), batched on the model's device. The attacks themselves are in
// flatland/training/adversarial_examples.h (robust training crafts them too).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "flatland/analysis/attack_choices.h"
#include "flatland/analysis/input_space.h"
#include "flatland/training/adversarial_examples.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"
#include "flatland/training/progress.h"

namespace flatland::analysis {

using training::adversarialBatch;
using training::AttackOptions;

struct AttackResult {
  AttackKind kind = AttackKind::Fgsm;
  double eps = 0.0;
  double accuracy = 0.0;                 // on the adversarial examples
  double loss = 0.0;                     // mean cross-entropy on them
  std::vector<double> perClassAccuracy;  // NaN for classes without samples
};

struct RobustAccuracy {
  double cleanAccuracy = 0.0, cleanLoss = 0.0;
  std::vector<double> cleanPerClassAccuracy;
  std::vector<AttackResult> attacks;  // one per (attack, eps), in the order asked
  int64_t samples = 0;
};

// Robust accuracy of the model in eval mode (its mode is restored) against every attack.
RobustAccuracy robustAccuracy(training::Model& model, const training::Dataset& data,
                              const InputSpace& space, const std::vector<AttackOptions>& attacks,
                              int64_t batchSize, const JobControl& control = {});

}  // namespace flatland::analysis
