// The Fisher–Rao norm of Liang et al. (2019): ‖w‖²_fr = ⟨w, I(w) w⟩ with the empirical Fisher
// I = E_(x,y)[∇_w ℓ ∇_w ℓᵀ] over the data's own labels, i.e.
//   ‖w‖²_fr = E_(x,y)[⟨w, ∇_w ℓ(f_w(x), y)⟩²]   (the mean over the samples, every trainable
//   parameter).
// For a ReLU network without biases and with L hidden layers, ⟨w, ∇_w ℓ⟩ = (L+1)·⟨∂ℓ/∂f, f⟩
// (Liang et al., Lemma 2.1), so this equals their (L+1)²·E[⟨∂ℓ/∂f, f⟩²]; with biases or BatchNorm
// it is the same quadratic form of the Fisher, which no longer reduces to the outputs.
#pragma once

#include <cstdint>

#include "flatland/analysis/hessian_operator.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"
#include "flatland/training/progress.h"

namespace flatland::analysis {

struct FisherRaoNorm {
  double squared = 0.0;         // E[⟨w, ∇_w ℓ_i⟩²]
  double norm = 0.0;            // its square root
  double meanProjection = 0.0;  // E[⟨w, ∇_w ℓ_i⟩] = ⟨w, ∇_w L⟩
  int64_t samples = 0;
};

// Per-sample ⟨w, ∇_w ℓ_i⟩ is a Jacobian-vector product of the per-sample losses along w, computed
// exactly by two reverse passes (the double-vjp identity Jw = ∇_u ⟨∇_w(uᵀℓ), w⟩). The model is
// evaluated in eval mode and left as it was. `loss` gives the batch mean; per-sample losses are it
// applied to each row (cross-entropy when empty, computed for the whole batch at once).
FisherRaoNorm fisherRaoNorm(training::Model& model, const training::Dataset& data,
                            int64_t batchSize, const LossFunction& loss = {},
                            const JobControl& control = {});

}  // namespace flatland::analysis
