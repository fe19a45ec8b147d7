// Spectral density of a symmetric operator by stochastic Lanczos quadrature (Ghorbani et al.,
// 2019; Lin, Saad & Yang, 2016), with the Gaussian smoothing PyHessian uses.
#pragma once

#include <cstdint>
#include <vector>

#include "flatland/analysis/lanczos.h"
#include "flatland/analysis/worker_group.h"

namespace flatland::analysis {

struct DensityOptions {
  int64_t steps = 100;  // m, Lanczos steps per vector (capped at the dimension)
  int64_t vectors = 1;  // n_v, random start vectors
  int64_t gridPoints = 10000;
  double sigmaSquared = 1e-5;  // kernel variance = sigmaSquared · max(1, grid range)
  uint64_t seed = 0;
  // Start vectors are independent: with a group of several ranks, rank k runs the vectors
  // r ≡ k (mod N) and the root gathers every row (the same rows a single process computes, as
  // vector r's start is seeded by r alone). Only the root's result is whole; the others return
  // their own rows, unsmoothed. Not owned.
  WorkerGroup* workers = nullptr;
};

struct SpectralDensity {
  // Per start vector: Ritz values (nodes, ascending) and squared first components of T's
  // eigenvectors (weights, each row sums to 1). Rows may be shorter than m when Lanczos found an
  // invariant subspace early; `steps` is the longest row.
  std::vector<std::vector<double>> nodes;
  std::vector<std::vector<double>> weights;
  std::vector<double> grid;
  std::vector<double> values;   // smoothed density on the grid
  double kernelVariance = 0.0;  // of each Gaussian kernel: sigmaSquared · max(1, grid range)
  int64_t products = 0;
  double seconds = 0.0;
};

// Runs SLQ and smooths the result on the default grid.
SpectralDensity slqDensity(const SymmetricOperator& op, const DensityOptions& options = {},
                           const JobControl& control = {}, const std::string& stage = "density");

// Nodes and weights of one Gauss quadrature from a Lanczos tridiagonal.
void quadratureFromTridiagonal(const Tridiagonal& t, std::vector<double>& nodes,
                               std::vector<double>& weights);

// Smooths nodes/weights (averaged over rows) with Gaussian kernels on gridPoints points over
// [min node − 0.01, max node + 0.01]. The kernel variance is PyHessian's sigmaSquared·max(1, grid
// range) (DensityOptions::sigmaSquared), stored as kernelVariance. Each kernel integrates to 1,
// so the curve does too, up to the tails cut by the grid. Fills grid, values and kernelVariance.
void smoothDensity(SpectralDensity& density, int64_t gridPoints, double sigmaSquared);

}  // namespace flatland::analysis
