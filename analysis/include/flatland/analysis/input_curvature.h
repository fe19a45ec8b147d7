// Curvature of the loss in input space, per sample: the top eigenvalue of the input Hessian
// ∇²ₓℓ(x, y) by Lanczos on input-Hessian-vector products, and CURE's finite-difference estimate
// (Moosavi-Dezfooli et al., 2019).
#pragma once

#include <cstdint>
#include <vector>

#include "flatland/analysis/input_space.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"
#include "flatland/training/progress.h"

namespace flatland::analysis {

struct InputCurvatureOptions {
  int64_t batchSize = 100;  // samples whose Lanczos runs go in lock-step (one batched product)
  int64_t maxSteps = 100;   // Lanczos steps per sample at most; capped at the input dimension
  // Stop a sample once its top Ritz pair's residual β_j |s_j| ≤ tol · |θ|; the eigenvalue's
  // error is then below (tol θ)² / gap, far below tol.
  double tol = 1e-4;
  double cureStep = 0.01;  // h, in the input space's units
  uint64_t seed = 0;       // Lanczos start vectors (Rademacher)
};

struct InputCurvature {
  std::vector<int64_t> labels, predictions;
  std::vector<double> loss;       // per-sample cross-entropy
  std::vector<double> lambdaMax;  // top eigenvalue of ∇²ₓℓ(x, y), in the space's units
  // ‖∇ℓ(x + h z) − ∇ℓ(x)‖ / h with z = sign(∇ℓ) / ‖sign(∇ℓ)‖: the finite-difference ‖H z‖ along
  // CURE's direction (0 where the gradient is 0).
  std::vector<double> cure;
  std::vector<int64_t> steps;      // Lanczos steps each sample took
  std::vector<int64_t> converged;  // 1 when the tolerance was met (or the Krylov space is whole)
  int64_t products = 0;            // batched input-Hessian-vector products
  double cureStep = 0.0;
};

// Every sample of `data` (take the first K before calling), with the model in eval mode (its
// mode is restored): per-sample losses do not depend on each other, so one product of the
// batch's summed loss gives every sample's own Hessian-vector product at once.
// Throws NumericalError when a loss or product is not finite, Cancelled between products.
InputCurvature inputCurvature(training::Model& model, const training::Dataset& data,
                              const InputSpace& space, const InputCurvatureOptions& options = {},
                              const JobControl& control = {});

}  // namespace flatland::analysis
