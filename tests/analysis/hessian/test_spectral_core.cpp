// Lanczos, power iteration, Hutchinson and SLQ on dense matrices with known spectra.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <numeric>
#include <random>

#include "flatland/analysis/density.h"
#include "flatland/analysis/lanczos.h"
#include "flatland/analysis/trace_estimator.h"
#include "flatland/errors.h"

using namespace flatland;
using namespace flatland::analysis;

namespace {

class DenseOperator : public SymmetricOperator {
 public:
  explicit DenseOperator(Eigen::MatrixXd a) : m_a(std::move(a)) {}
  int64_t rows() const override { return m_a.rows(); }
  void perform_op(const double* x, double* y) const override {
    Eigen::Map<Eigen::VectorXd>(y, m_a.rows()).noalias() =
        m_a * Eigen::Map<const Eigen::VectorXd>(x, m_a.rows());
    ++products;
  }
  const Eigen::MatrixXd& matrix() const { return m_a; }
  mutable int64_t products = 0;

 private:
  Eigen::MatrixXd m_a;
};

// Q diag(spectrum) Qᵀ with a random orthogonal Q (seeded).
Eigen::MatrixXd withSpectrum(const std::vector<double>& spectrum, uint64_t seed) {
  const Eigen::Index n = Eigen::Index(spectrum.size());
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd g(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) g(i, j) = normal(rng);
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(g);
  Eigen::MatrixXd q = qr.householderQ();
  Eigen::VectorXd d = Eigen::Map<const Eigen::VectorXd>(spectrum.data(), n);
  Eigen::MatrixXd a = q * d.asDiagonal() * q.transpose();
  return 0.5 * (a + a.transpose());
}

// A Hessian-like spectrum: a few outliers, a bulk near zero, some negative values.
std::vector<double> hessianLikeSpectrum(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> bulk(0.0, 0.05);
  std::vector<double> s;
  for (double outlier : {12.0, 7.5, 4.0, 2.5, 1.8}) s.push_back(outlier);
  for (double negative : {-0.9, -0.6, -0.4}) s.push_back(negative);
  while (int(s.size()) < n) s.push_back(bulk(rng));
  return s;
}

double integrate(const std::vector<double>& x, const std::vector<double>& y, double lo, double hi) {
  double sum = 0.0;
  for (size_t i = 0; i + 1 < x.size(); ++i)
    if (x[i] >= lo && x[i + 1] <= hi) sum += 0.5 * (y[i] + y[i + 1]) * (x[i + 1] - x[i]);
  return sum;
}

double argmaxIn(const std::vector<double>& x, const std::vector<double>& y, double lo, double hi) {
  double best = -1.0, where = NAN;
  for (size_t i = 0; i < x.size(); ++i)
    if (x[i] >= lo && x[i] <= hi && y[i] > best) best = y[i], where = x[i];
  return where;
}

}  // namespace

TEST(Lanczos, TopAndBottomMatchEigenDenseSolver) {
  const auto spectrum = hessianLikeSpectrum(300, 1);
  DenseOperator op(withSpectrum(spectrum, 2));
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(op.matrix());
  const auto& exact = dense.eigenvalues();  // ascending
  EigenOptions options;
  options.tol = 1e-10;
  auto top = lanczosEigen(op, 5, SpectrumEnd::Largest, options);
  ASSERT_TRUE(top.converged);
  ASSERT_EQ(top.values.size(), 5u);
  // tol = 1e-10 on the residual: eigenvalues agree with the dense solver to ~1e-9 (both are
  // backward stable; the dense one has error ~ n·ε·‖A‖ ≈ 1e-12).
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(top.values[i], exact[299 - i], 1e-8) << i;
  // Eigenvectors: unit, and A u = λ u to the same accuracy.
  for (int i = 0; i < 5; ++i) {
    Eigen::Map<const Eigen::VectorXd> u(top.vectors.data() + i * 300, 300);
    EXPECT_NEAR(u.norm(), 1.0, 1e-10);
    EXPECT_LT((op.matrix() * u - top.values[i] * u).norm(), 1e-7);
  }
  auto bottom = lanczosEigen(op, 3, SpectrumEnd::Smallest, options);
  ASSERT_TRUE(bottom.converged);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(bottom.values[i], exact[i], 1e-8) << i;
  EXPECT_EQ(bottom.products, op.products - top.products);
  EXPECT_GT(top.products, 0);
}

TEST(Lanczos, NeedsFarFewerProductsThanPowerIterationAtTheSameAccuracy) {
  const auto spectrum = hessianLikeSpectrum(300, 3);
  DenseOperator op(withSpectrum(spectrum, 4));
  auto power = powerIteration(op, 1);
  EigenOptions options;
  options.tol = 1e-3;
  auto lanczos = lanczosEigen(op, 1, SpectrumEnd::Largest, options);
  // Power iteration stops on a relative change < 1e-3, which with the gap 12 → 7.5 means an
  // error of order 1e-3·λ; Lanczos with tol 1e-3 on the residual is far more accurate.
  EXPECT_NEAR(power.values[0], 12.0, 12.0 * 5e-3);
  EXPECT_NEAR(lanczos.values[0], 12.0, 12.0 * 1e-6);
  EXPECT_LE(lanczos.products, power.products + 20);
}

TEST(PowerIteration, DeflationFindsTheLargestMagnitudeEigenvalues) {
  DenseOperator op(withSpectrum({10.0, -6.0, 3.0, 1.0, 0.5, 0.2, 0.1, 0.05, 0.0, 0.0}, 5));
  PowerOptions options;
  options.maxIterations = 1000;
  options.tol = 1e-10;
  auto result = powerIteration(op, 2, options);
  ASSERT_EQ(result.values.size(), 2u);
  // Tight tolerance and many iterations: the ratio 6/10 per step makes 1e-8 reachable.
  EXPECT_NEAR(result.values[0], 10.0, 1e-6);
  EXPECT_NEAR(result.values[1], -6.0, 1e-6);
  EXPECT_TRUE(result.converged);
}

TEST(Lanczos, BadArgumentsAreClearErrors) {
  DenseOperator op(Eigen::MatrixXd::Identity(6, 6));
  EXPECT_THROW(lanczosEigen(op, 6, SpectrumEnd::Largest), InvalidArgument);
  EXPECT_THROW(lanczosEigen(op, 0, SpectrumEnd::Largest), InvalidArgument);
  EXPECT_THROW(powerIteration(op, 7), InvalidArgument);
  try {
    lanczosEigen(op, 10, SpectrumEnd::Smallest);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("k = 10"), std::string::npos) << e.what();
  }
}

TEST(Lanczos, CancellationStopsBetweenProducts) {
  DenseOperator op(withSpectrum(hessianLikeSpectrum(100, 6), 7));
  CancelToken token;
  JobControl control;
  control.cancel = &token;
  int64_t reports = 0;
  control.onProgress = [&](const ProgressEvent& e) {
    EXPECT_GE(e.fraction, 0.0);
    EXPECT_LE(e.fraction, 1.0);
    if (++reports == 5) token.cancel();
  };
  EXPECT_THROW(lanczosEigen(op, 3, SpectrumEnd::Largest, {}, control), Cancelled);
  EXPECT_EQ(op.products, 5);
}

TEST(Hutchinson, TraceWithinFourStandardErrorsOfExact) {
  const auto spectrum = hessianLikeSpectrum(200, 8);
  DenseOperator op(withSpectrum(spectrum, 9));
  const double exact = op.matrix().trace();
  TraceOptions options;
  options.maxSamples = 400;
  options.targetRelStderr = 0.0;  // use the whole budget
  auto result = hutchinsonTrace(op, options);
  EXPECT_EQ(result.samples, 400);
  EXPECT_GT(result.standardError, 0.0);
  // Unbiased estimator: |mean − tr| < 4 SE fails with probability ~6e-5 under normality; the
  // seed is fixed, so the test is deterministic.
  EXPECT_LT(std::abs(result.mean - exact), 4.0 * result.standardError)
      << result.mean << " vs " << exact << " ± " << result.standardError;
  // The standard error matches the theory: sd² = 2 Σ_{i≠j} a_ij² for Rademacher vectors.
  const auto& a = op.matrix();
  const double offDiagonal = a.squaredNorm() - a.diagonal().squaredNorm();
  EXPECT_NEAR(result.standardError, std::sqrt(2.0 * offDiagonal / 400.0),
              0.2 * std::sqrt(2.0 * offDiagonal / 400.0));
}

TEST(Hutchinson, StopsOnTheTargetStandardError) {
  DenseOperator op(withSpectrum(hessianLikeSpectrum(100, 10), 11));
  TraceOptions options;
  options.maxSamples = 10000;
  options.targetRelStderr = 0.05;
  auto result = hutchinsonTrace(op, options);
  EXPECT_TRUE(result.reachedTarget);
  EXPECT_LT(result.samples, 10000);
  EXPECT_LE(result.standardError, 0.05 * std::abs(result.mean));
  // A diagonal matrix has zero variance: the minimum number of samples, exact trace.
  DenseOperator diagonal(Eigen::VectorXd::LinSpaced(20, 1.0, 5.0).asDiagonal());
  auto exact = hutchinsonTrace(diagonal, options);
  EXPECT_EQ(exact.samples, options.minSamples);
  EXPECT_NEAR(exact.mean, 60.0, 1e-10);
}

// An absolute target (TraceOptions::targetStderr) stops the estimate as soon
// as either target is met: a loose one stops it well before the relative target alone would.
TEST(Hutchinson, AbsoluteTargetStopsEarlierWhenEitherTargetIsMet) {
  DenseOperator op(withSpectrum(hessianLikeSpectrum(100, 10), 11));
  const auto& a = op.matrix();
  const double sampleSd = std::sqrt(2.0 * (a.squaredNorm() - a.diagonal().squaredNorm()));
  TraceOptions relativeOnly;
  relativeOnly.maxSamples = 10000;
  relativeOnly.targetRelStderr = 0.01;
  const auto slow = hutchinsonTrace(op, relativeOnly);
  ASSERT_TRUE(slow.reachedTarget);

  TraceOptions loose = relativeOnly;
  loose.targetStderr = sampleSd / std::sqrt(30.0);  // met after about 30 samples
  const auto fast = hutchinsonTrace(op, loose);
  EXPECT_TRUE(fast.reachedTarget);
  EXPECT_LE(fast.standardError, loose.targetStderr);
  EXPECT_LT(fast.samples, slow.samples / 4) << fast.samples << " vs " << slow.samples;
  EXPECT_GE(fast.samples, loose.minSamples);

  // The absolute target alone works too; a tight absolute target leaves the relative one in charge.
  TraceOptions absoluteOnly = loose;
  absoluteOnly.targetRelStderr = 0.0;
  const auto absolute = hutchinsonTrace(op, absoluteOnly);
  EXPECT_TRUE(absolute.reachedTarget);
  EXPECT_LE(absolute.standardError, absoluteOnly.targetStderr);
  TraceOptions tight = relativeOnly;
  tight.targetStderr = 1e-12;
  EXPECT_EQ(hutchinsonTrace(op, tight).samples, slow.samples);
}

TEST(Slq, UniformSpectrumIntegratesToOne) {
  DenseOperator op(withSpectrum(
      [] {
        std::vector<double> s;
        for (int i = 0; i < 50; ++i) s.push_back(1.0 + 4.0 * i / 49.0);
        return s;
      }(),
      12));
  DensityOptions options;
  options.steps = 30;
  options.vectors = 4;
  auto density = slqDensity(op, options);
  EXPECT_EQ(density.products, 120);
  ASSERT_EQ(density.grid.size(), 10000u);
  // Each kernel is a normalised Gaussian, so the curve holds exactly the kernel mass that falls
  // on the grid: Σ w·[Φ((hi − x)/σ) − Φ((lo − x)/σ)] (the extreme nodes sit only 0.01 ≈ 1.6σ
  // from the ends, so that is visibly below 1). The trapezoid rule on 10000 points (step σ/16)
  // matches it to far better than 1e-3.
  const double sigma = std::sqrt(density.kernelVariance);
  const double lo = density.grid.front(), hi = density.grid.back();
  auto phi = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
  double onGrid = 0.0;
  for (size_t r = 0; r < density.nodes.size(); ++r)
    for (size_t i = 0; i < density.nodes[r].size(); ++i)
      onGrid += density.weights[r][i] / double(density.nodes.size()) *
                (phi((hi - density.nodes[r][i]) / sigma) - phi((lo - density.nodes[r][i]) / sigma));
  EXPECT_LT(onGrid, 1.0);
  EXPECT_NEAR(integrate(density.grid, density.values, -1e9, 1e9), onGrid, 1e-3);
  for (size_t r = 0; r < density.weights.size(); ++r) {
    const double sum = std::accumulate(density.weights[r].begin(), density.weights[r].end(), 0.0);
    EXPECT_NEAR(sum, 1.0, 1e-6) << r;
    for (double x : density.nodes[r]) {
      EXPECT_GE(x, 1.0 - 1e-8);
      EXPECT_LE(x, 5.0 + 1e-8);
    }
  }
  // PyHessian's kernel variance: 1e-5 · max(1, range).
  EXPECT_NEAR(density.kernelVariance, 1e-5 * (density.grid.back() - density.grid.front()), 1e-12);
}

TEST(Slq, TwoClustersHoldHalfTheMassEach) {
  std::mt19937_64 rng(13);
  std::normal_distribution<double> spread(0.0, 0.1);
  std::vector<double> s;
  for (int i = 0; i < 30; ++i) s.push_back(1.0 + spread(rng));
  for (int i = 0; i < 30; ++i) s.push_back(5.0 + spread(rng));
  DenseOperator op(withSpectrum(s, 14));
  DensityOptions options;
  options.steps = 20;
  options.vectors = 5;
  auto density = slqDensity(op, options);
  // A cluster's mass is the squared projection of the start vectors on its 30 eigenvectors out of
  // 60: Beta(15, 15) per vector (mean 0.5, sd 0.09), sd 0.04 over 5 vectors, so ±0.15 is ~3.7 sd.
  // Each cluster's peak lies within its spread (sd 0.1) plus the kernel width of its centre.
  EXPECT_NEAR(integrate(density.grid, density.values, -1e9, 3.0), 0.5, 0.15);
  EXPECT_NEAR(integrate(density.grid, density.values, 3.0, 1e9), 0.5, 0.15);
  EXPECT_NEAR(argmaxIn(density.grid, density.values, -1e9, 3.0), 1.0, 0.3);
  EXPECT_NEAR(argmaxIn(density.grid, density.values, 3.0, 1e9), 5.0, 0.3);
  for (const auto& w : density.weights)
    EXPECT_NEAR(std::accumulate(w.begin(), w.end(), 0.0), 1.0, 1e-6);
}

TEST(Slq, FullLengthLanczosGivesTheExactEigenvalues) {
  std::vector<double> s;
  for (int i = 0; i < 40; ++i) s.push_back(-2.0 + 0.17 * i + 0.01 * (i % 3));
  DenseOperator op(withSpectrum(s, 15));
  DensityOptions options;
  options.steps = 40;  // m = dimension
  auto density = slqDensity(op, options);
  ASSERT_EQ(density.nodes.size(), 1u);
  ASSERT_EQ(density.nodes[0].size(), 40u);
  std::sort(s.begin(), s.end());
  // Full re-orthogonalisation keeps the basis orthogonal, so the 40 Ritz values are the
  // eigenvalues up to rounding (~1e-13 here; 1e-8 leaves room).
  for (int i = 0; i < 40; ++i) EXPECT_NEAR(density.nodes[0][size_t(i)], s[size_t(i)], 1e-8) << i;
  EXPECT_NEAR(std::accumulate(density.weights[0].begin(), density.weights[0].end(), 0.0), 1.0,
              1e-6);
}

TEST(Slq, InvariantSubspaceStopsEarlyWithExactNodes) {
  // Only 3 distinct eigenvalues: the Krylov space has dimension 3, Lanczos stops there.
  DenseOperator op(withSpectrum({1, 1, 1, 2, 2, 2, 7, 7, 7, 7}, 16));
  DensityOptions options;
  options.steps = 10;
  auto density = slqDensity(op, options);
  ASSERT_EQ(density.nodes[0].size(), 3u);
  EXPECT_NEAR(density.nodes[0][0], 1.0, 1e-8);
  EXPECT_NEAR(density.nodes[0][1], 2.0, 1e-8);
  EXPECT_NEAR(density.nodes[0][2], 7.0, 1e-8);
}

TEST(HutchPlusPlus, UnbiasedAndFarTighterThanHutchinsonOnADominantSpectrum) {
  const auto spectrum = hessianLikeSpectrum(200, 17);
  DenseOperator op(withSpectrum(spectrum, 18));
  const double exact = op.matrix().trace();
  auto plus = hutchPlusPlusTrace(op, 99, 3);
  EXPECT_EQ(plus.samples, 99);
  EXPECT_EQ(op.products, 99);
  EXPECT_LT(std::abs(plus.mean - exact), 4.0 * plus.standardError + 1e-9);
  TraceOptions options;
  options.maxSamples = 99;
  options.targetRelStderr = 0.0;
  auto plain = hutchinsonTrace(op, options);
  // With the 8 large eigenvalues inside the 33-column sketch, only the small bulk remains for
  // the stochastic part: the standard error drops by far more than 3×.
  EXPECT_LT(plus.standardError * 3.0, plain.standardError);
  // Through estimateTrace.
  options.method = TraceOptions::Method::HutchPlusPlus;
  EXPECT_NEAR(estimateTrace(op, options).mean, exact, 4.0 * plus.standardError + 1e-9);
  EXPECT_THROW(hutchPlusPlusTrace(op, 2), InvalidArgument);
}
