// Worst-case ε-sharpness: max over ‖δ‖ ≤ ρ of L(w + δ) − L(w), by projected gradient ascent in
// weight space (Foret et al. 2021; Andriushchenko et al. 2023), in the ℓ2 or ℓ∞ ball, plain or
// adaptive (ASAM, Kwon et al. 2021: δ = T_w z with ‖z‖ ≤ ρ, T_w = |w| + η element-wise, biases
// included, as the ASAM step of training/sharpness_step.cpp), with m-sharpness (the maximum taken
// on each m-sample sub-batch separately and averaged, Andriushchenko & Flammarion 2022).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flatland/analysis/hessian_operator.h"
#include "flatland/analysis/perturbation_norm.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"
#include "flatland/training/progress.h"

namespace flatland::analysis {

struct WorstCaseOptions {
  double rho = 0.05;
  PerturbationNorm norm = PerturbationNorm::L2;
  bool adaptive = false;
  double eta = 0.01;   // adaptive: T_w = |w| + η (Kwon et al. 2021)
  int64_t m = 0;       // sub-batch size; 0: the whole set is one batch
  int64_t steps = 10;  // ascent steps per (sub-)batch
  // Step length as a fraction of ρ: ℓ2 steps z += stepSize·ρ·ĝ (ĝ the unit ascent direction
  // T_w∇L / ‖T_w∇L‖), ℓ∞ steps z += stepSize·ρ·sign(∇L); then z is projected onto the ball.
  double stepSize = 0.5;
  // The ascent starts at a random z of half the radius (a Gaussian direction for ℓ2, uniform
  // entries in [−ρ/2, ρ/2] for ℓ∞) drawn from `seed`: at an exact minimum the gradient is zero
  // and an ascent from δ = 0 would never move.
  uint64_t seed = 0;
  int64_t batchSize = 1000;  // samples per forward pass
  LossFunction loss;         // empty: cross-entropy
};

struct WorstCaseResult {
  double rho = 0.0;
  double baseLoss = 0.0, baseAccuracy = 0.0;
  // At each sub-batch's worst δ found (the largest loss seen on the ascent, δ = 0 included),
  // averaged over sub-batches weighted by their size (all are m samples but possibly the last).
  double perturbedLoss = 0.0, perturbedAccuracy = 0.0;
  double sharpness = 0.0;  // perturbedLoss − baseLoss ≥ 0
  int64_t subBatches = 0;
  int64_t gradients = 0;  // loss-gradient evaluations over (sub-)batches
};

// Puts the weights back before returning or throwing; the model is evaluated in eval mode.
// Throws InvalidArgument for a radius, step count, step size or m out of range, NumericalError
// when the loss at perturbed weights is not finite (a smaller ρ helps), Cancelled between
// gradient evaluations.
WorstCaseResult worstCaseSharpness(training::Model& model, const training::Dataset& data,
                                   const WorstCaseOptions& options, const JobControl& control = {});

}  // namespace flatland::analysis
