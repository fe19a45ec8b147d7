// PAC-Bayes flatness (Jiang et al. 2019, after Dziugaite & Roy 2017): the largest σ for which the
// expected loss increase under w + N(0, σ²I) stays at most a threshold, found by bisection with a
// fixed set of draws (the same ε_k at every σ, so the estimate is a smooth function of σ).
#pragma once

#include <cstdint>

#include "flatland/analysis/average_sharpness.h"

namespace flatland::analysis {

struct PacBayesOptions {
  double threshold = 0.1;   // on the mean loss increase
  int64_t iterations = 20;  // bisection halvings of the bracket after it is found
  double sigmaStart =
      0.01;  // the first upper guess; doubled until the increase exceeds the threshold
  double sigmaLimit = 100;     // give up doubling here (the loss barely depends on the weights)
  AverageCaseOptions average;  // draws, seed, batch size, loss
};

struct PacBayesFlatness {
  double threshold = 0.0;
  double sigma = 0.0;       // the largest σ of the final bracket whose increase is ≤ threshold
  double increase = 0.0;    // the mean increase at sigma
  double sigmaUpper = 0.0;  // the bracket's other end (increase > threshold), or sigmaLimit
  bool bracketed = false;   // false: even sigmaLimit stays under the threshold
  int64_t evaluations = 0;  // σ values tried
};

// The mean increase is estimated with gaussianSharpness over options.average.draws draws seeded
// with options.average.seed: the value at σ is exactly gaussianSharpness(σ)'s. Throws
// InvalidArgument for a threshold ≤ 0 or a bad bracket setting, Cancelled between draws.
PacBayesFlatness pacBayesFlatness(training::Model& model, const training::Dataset& data,
                                  const PacBayesOptions& options, const JobControl& control = {});

}  // namespace flatland::analysis
