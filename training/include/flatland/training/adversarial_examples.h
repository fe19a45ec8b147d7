// Adversarial examples in input space: FGSM (Goodfellow et al., 2015), PGD under ℓ∞ and ℓ2
// (Madry et al., 2018), batched on the model's device. Used by the robustness analyses and by
// robust training (robust_objective.h). Gradients are taken w.r.t. the inputs only
// (autograd::grad), never accumulated into the parameters' grad().
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "flatland/training/attack_choices.h"
#include "flatland/training/input_space.h"
#include "flatland/training/model.h"

namespace flatland::training {

struct AttackOptions {
  AttackKind kind = AttackKind::PgdLinf;
  double eps = 0.1;            // radius, in the input space's units
  int64_t steps = 10;          // PGD
  double stepFraction = 0.25;  // PGD step size as a fraction of eps
  bool randomStart = true;     // PGD: start uniformly in the ℓ∞ ball / the ℓ2 ball
  int64_t restarts = 1;        // PGD: tries per sample; the worst one counts
  uint64_t seed = 0;           // random starts
  // PGD: a sample stops moving once the softmax probability of its label is at or below this
  // (checked before each step; 0: never stops). P-SAT's curriculum (robust_objective.h) lowers
  // it from 1 (the clean sample, or its random start) to 0 (full PGD).
  double stopProbability = 0.0;
};

// Adversarial versions of a batch (inputs in the data's units; returns the same units), for
// the model as it is (the caller sets eval mode). Maximises the mean cross-entropy. With several
// restarts, each sample keeps the try it is misclassified under, else the one of highest loss.
// Parameters' gradients are left untouched.
at::Tensor adversarialBatch(Model& model, const InputSpace& space, const at::Tensor& inputs,
                            const at::Tensor& labels, const AttackOptions& options);

}  // namespace flatland::training
