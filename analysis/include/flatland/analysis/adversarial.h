// Adversarial examples in input space and the robust accuracy they leave: FGSM (Goodfellow et
// al., 2015), PGD under ℓ∞ and ℓ2 (Madry et al., 2018), batched on the model's device.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "flatland/analysis/attack_choices.h"
#include "flatland/analysis/input_space.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"
#include "flatland/training/progress.h"

namespace flatland::analysis {

struct AttackOptions {
  AttackKind kind = AttackKind::PgdLinf;
  double eps = 0.1;            // radius, in the input space's units
  int64_t steps = 10;          // PGD
  double stepFraction = 0.25;  // PGD step size as a fraction of eps
  bool randomStart = true;     // PGD: start uniformly in the ℓ∞ ball / the ℓ2 ball
  int64_t restarts = 1;        // PGD: tries per sample; the worst one counts
  uint64_t seed = 0;           // random starts
};

// Adversarial versions of a batch (inputs in the data's units; returns the same units), for
// the model as it is (the caller sets eval mode). Maximises the mean cross-entropy. With several
// restarts, each sample keeps the try it is misclassified under, else the one of highest loss.
// Parameters' gradients are left untouched.
at::Tensor adversarialBatch(training::Model& model, const InputSpace& space, const at::Tensor& inputs,
                            const at::Tensor& labels, const AttackOptions& options);

struct AttackResult {
  AttackKind kind = AttackKind::Fgsm;
  double eps = 0.0;
  double accuracy = 0.0;  // on the adversarial examples
  double loss = 0.0;      // mean cross-entropy on them
  std::vector<double> perClassAccuracy;  // NaN for classes without samples
};

struct RobustAccuracy {
  double cleanAccuracy = 0.0, cleanLoss = 0.0;
  std::vector<double> cleanPerClassAccuracy;
  std::vector<AttackResult> attacks;  // one per (attack, eps), in the order asked
  int64_t samples = 0;
};

// Robust accuracy of the model in eval mode (its mode is restored) against every attack.
RobustAccuracy robustAccuracy(training::Model& model, const training::Dataset& data, const InputSpace& space,
                              const std::vector<AttackOptions>& attacks, int64_t batchSize,
                              const JobControl& control = {});

}  // namespace flatland::analysis
