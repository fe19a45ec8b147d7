// Stochastic Lanczos quadrature and Gaussian smoothing of the resulting spectral density.
#include "flatland/analysis/density.h"

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "flatland/errors.h"

namespace flatland::analysis {

void quadratureFromTridiagonal(const Tridiagonal& t, std::vector<double>& nodes,
                               std::vector<double>& weights) {
  const Eigen::Index m = Eigen::Index(t.alpha.size());
  nodes.clear();
  weights.clear();
  if (m == 0) return;
  Eigen::VectorXd diag = Eigen::Map<const Eigen::VectorXd>(t.alpha.data(), m);
  Eigen::VectorXd sub(std::max<Eigen::Index>(m - 1, 0));
  for (Eigen::Index i = 0; i + 1 < m; ++i) sub[i] = t.beta[size_t(i)];
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver;
  solver.computeFromTridiagonal(diag, sub, Eigen::ComputeEigenvectors);
  if (solver.info() != Eigen::Success)
    throw NumericalError("the eigen-decomposition of the Lanczos tridiagonal failed");
  // Gauss quadrature for the spectral measure of the start vector (Golub & Welsch, 1969):
  // nodes are T's eigenvalues, weights the squared first components of its eigenvectors.
  for (Eigen::Index i = 0; i < m; ++i) {
    nodes.push_back(solver.eigenvalues()[i]);
    const double first = solver.eigenvectors()(0, i);
    weights.push_back(first * first);
  }
}

void smoothDensity(SpectralDensity& density, int64_t gridPoints, double sigmaSquared) {
  if (gridPoints < 2) throw InvalidArgument("the density grid needs at least 2 points");
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& row : density.nodes)
    for (double x : row) lo = std::min(lo, x), hi = std::max(hi, x);
  if (!std::isfinite(lo) || !std::isfinite(hi))
    throw NumericalError("the spectral density has no finite nodes");
  // PyHessian's grid and kernel width (Yao et al., 2020).
  lo -= 0.01;
  hi += 0.01;
  const double variance = sigmaSquared * std::max(1.0, hi - lo);
  density.kernelVariance = variance;
  density.grid.resize(size_t(gridPoints));
  density.values.assign(size_t(gridPoints), 0.0);
  const double step = (hi - lo) / double(gridPoints - 1);
  for (int64_t g = 0; g < gridPoints; ++g) density.grid[size_t(g)] = lo + step * double(g);
  const double norm = 1.0 / std::sqrt(2.0 * M_PI * variance);
  const double rows = double(std::max<size_t>(1, density.nodes.size()));
  // Only grid points within 8σ of a node get a contribution (exp(−32) ≈ 1e-14).
  const double cutoff = 8.0 * std::sqrt(variance);
  for (size_t r = 0; r < density.nodes.size(); ++r) {
    for (size_t i = 0; i < density.nodes[r].size(); ++i) {
      const double x = density.nodes[r][i], w = density.weights[r][i] / rows;
      const int64_t first = std::max<int64_t>(0, int64_t(std::floor((x - cutoff - lo) / step)));
      const int64_t last =
          std::min<int64_t>(gridPoints - 1, int64_t(std::ceil((x + cutoff - lo) / step)));
      for (int64_t g = first; g <= last; ++g) {
        const double d = density.grid[size_t(g)] - x;
        density.values[size_t(g)] += w * norm * std::exp(-d * d / (2.0 * variance));
      }
    }
  }
}

SpectralDensity slqDensity(const SymmetricOperator& op, const DensityOptions& options,
                           const JobControl& control, const std::string& stage) {
  if (options.vectors < 1) throw InvalidArgument("the density needs at least one start vector");
  if (options.steps < 1) throw InvalidArgument("the density needs at least one Lanczos step");
  const auto start = std::chrono::steady_clock::now();
  SpectralDensity density;
  const int64_t n = op.rows();
  const int64_t m = std::min(options.steps, n);
  WorkerGroup* group = options.workers;
  const bool shared = group && !group->alone();
  std::vector<int64_t> own;
  for (int64_t r = 0; r < options.vectors; ++r)
    if (dealtTo(group, r)) own.push_back(r);
  density.nodes.resize(size_t(options.vectors));
  density.weights.resize(size_t(options.vectors));
  for (size_t k = 0; k < own.size(); ++k) {
    const int64_t r = own[k];
    auto inner =
        subJob(control, double(k) / double(own.size()), 1.0 / double(own.size()), density.products);
    // Each step is one product; report the fraction of this vector's m steps.
    JobControl stepControl;
    stepControl.cancel = control.cancel;
    if (inner.onProgress) {
      auto forward = inner.onProgress;
      stepControl.onProgress = [forward, m](const ProgressEvent& e) {
        ProgressEvent mapped = e;
        mapped.fraction = double(e.hvpCount) / double(m);
        forward(mapped);
      };
    }
    const int64_t productsBefore = density.products;
    auto v0 = rademacher(n, options.seed + 0xD1B54A32D192ED03ULL * uint64_t(r + 1));
    const auto t = lanczosTridiagonal(op, std::move(v0), m, stepControl, stage, &density.products);
    auto& nodes = density.nodes[size_t(r)];
    auto& weights = density.weights[size_t(r)];
    quadratureFromTridiagonal(t, nodes, weights);
    if (shared && !group->isRoot()) {
      // [row, products, nodes..., weights...]: the two halves have the same length.
      std::vector<double> row = {double(r), double(density.products - productsBefore)};
      row.insert(row.end(), nodes.begin(), nodes.end());
      row.insert(row.end(), weights.begin(), weights.end());
      group->sendToRoot(kDensityRowTag, row);
    }
  }
  if (shared && !group->isRoot()) {
    density.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return density;
  }
  if (shared) {
    // Messages from one rank arrive in the order it sent them, so taking each rank's rows in
    // turn never mixes up two densities (the per-class job runs several one after the other).
    for (int from = 1; from < group->size(); ++from) {
      for (int64_t r = from; r < options.vectors; r += group->size()) {
        auto message = group->receive(kDensityRowTag, true, from);
        const auto& v = message->values;
        if (v.size() < 2 || (v.size() - 2) % 2 != 0 || int64_t(v[0]) != r)
          throw Error("rank " + std::to_string(from) + " sent a malformed density row");
        const size_t half = (v.size() - 2) / 2;
        density.products += int64_t(v[1]);
        density.nodes[size_t(r)].assign(v.begin() + 2, v.begin() + 2 + std::ptrdiff_t(half));
        density.weights[size_t(r)].assign(v.begin() + 2 + std::ptrdiff_t(half), v.end());
      }
    }
  }
  smoothDensity(density, options.gridPoints, options.sigmaSquared);
  density.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return density;
}

}  // namespace flatland::analysis
