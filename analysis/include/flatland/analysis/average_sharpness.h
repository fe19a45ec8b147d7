// Average-case sharpness: the expected loss increase under random weight perturbations.
// Gaussian: E_δ∼N(0,σ²I)[L(w + δ)] − L(w) over every trainable parameter (Jiang et al. 2019's
// "sharpness" family), with its standard error over the draws. Random filter-normalised: w + ρ·d
// with d a Gaussian direction scaled filter by filter to the weights' norms and zero on 1-D
// tensors (Li et al. 2018; analysis::randomDirections), the loss and accuracy's mean and spread
// over the draws at each radius ρ.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "flatland/analysis/hessian_operator.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"
#include "flatland/training/progress.h"

namespace flatland::analysis {

struct AverageCaseOptions {
  int64_t draws = 10;        // perturbations per σ or ρ
  uint64_t seed = 0;         // draw k uses seed + k, the same at every σ and ρ
  int64_t batchSize = 1000;  // samples per forward pass
  LossFunction loss;         // empty: cross-entropy
};

// ε_k ∼ N(0, I) over `count` entries, the k-th Gaussian draw of the measures seeded with `seed`
// (generated on the CPU in float64, so any device gives the same draw), in `like`'s dtype and
// device.
at::Tensor gaussianDraw(int64_t count, uint64_t seed, int64_t k, const at::TensorOptions& like);

struct GaussianSharpness {
  double sigma = 0.0;
  double baseLoss = 0.0, baseAccuracy = 0.0;
  double increase = 0.0;        // mean over draws of L(w + σε_k) − L(w)
  double increaseStderr = 0.0;  // sample standard deviation (n − 1) / √draws; 0 for one draw
  double accuracy = 0.0;        // mean accuracy at the perturbed weights
  int64_t draws = 0;
};

// Throws InvalidArgument (σ < 0, draws < 1), NumericalError (a non-finite loss: choose a smaller
// σ), Cancelled between draws. The weights are put back before returning or throwing.
GaussianSharpness gaussianSharpness(training::Model& model, const training::Dataset& data,
                                    double sigma, const AverageCaseOptions& options,
                                    const JobControl& control = {});

// The loss and accuracy at w + ρ·d_k for draws d_k = randomDirections(model, 1, seed + k)
// (filter-normalised, 1-D tensors zero).
struct RandomDirectionPoint {
  double rho = 0.0;
  double lossMean = 0.0, lossStd = 0.0;  // over the draws (std: n − 1; 0 for one draw)
  double accuracyMean = 0.0, accuracyStd = 0.0;
  double increase = 0.0;  // lossMean − L(w)
};

std::vector<RandomDirectionPoint> randomDirectionProfile(training::Model& model,
                                                         const training::Dataset& data,
                                                         const std::vector<double>& radii,
                                                         const AverageCaseOptions& options,
                                                         const JobControl& control = {});

}  // namespace flatland::analysis
