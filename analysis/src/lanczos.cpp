// Lanczos (Spectra) and power iteration on any SymmetricOperator.
#include "flatland/analysis/lanczos.h"

#include <Spectra/SymEigsSolver.h>
#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "flatland/errors.h"

namespace flatland::analysis {

namespace {

using Clock = std::chrono::steady_clock;
using Vec = Eigen::VectorXd;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Wraps an operator for Spectra: counts products, checks cancellation before each one and
// reports progress after it.
class CountingOperator {
 public:
  using Scalar = double;
  CountingOperator(const SymmetricOperator& op, const JobControl& control, std::string stage,
                   int64_t expected)
      : m_op(op),
        m_control(control),
        m_stage(std::move(stage)),
        m_expected(std::max<int64_t>(1, expected)) {}
  Eigen::Index rows() const { return m_op.rows(); }
  Eigen::Index cols() const { return m_op.rows(); }
  void perform_op(const double* x, double* y) const {
    m_control.throwIfCancelled();
    m_op.perform_op(x, y);
    ++m_count;
    ProgressEvent event;
    // The number of products is not known in advance: approach 1 without reaching it.
    event.fraction = double(m_count) / double(m_count + m_expected);
    event.stage = m_stage;
    event.hvpCount = m_count;
    m_control.report(event);
  }
  int64_t count() const { return m_count; }

 private:
  const SymmetricOperator& m_op;
  const JobControl& m_control;
  std::string m_stage;
  int64_t m_expected;
  mutable int64_t m_count = 0;
};

// Spectra returns converged pairs only; this exposes the current Ritz values, so a run that did
// not converge still reports its best estimates.
class RitzSolver : public Spectra::SymEigsSolver<CountingOperator> {
 public:
  using Spectra::SymEigsSolver<CountingOperator>::SymEigsSolver;
  Vec ritzValues(Eigen::Index k) const { return m_ritz_val.head(k); }
};

void checkFinite(double value, const char* what) {
  if (!std::isfinite(value))
    throw NumericalError(std::string(what) +
                         " is not finite (NaN or inf): the operator produced "
                         "non-finite products");
}

}  // namespace

std::vector<double> rademacher(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> v(static_cast<size_t>(n));
  for (auto& x : v) x = (rng() >> 63) ? 1.0 : -1.0;
  return v;
}

JobControl subJob(const JobControl& outer, double begin, double span, int64_t hvpOffset) {
  JobControl inner;
  inner.cancel = outer.cancel;
  if (outer.onProgress) {
    auto forward = outer.onProgress;
    inner.onProgress = [forward, begin, span, hvpOffset](const ProgressEvent& e) {
      ProgressEvent mapped = e;
      mapped.fraction = begin + span * std::clamp(e.fraction, 0.0, 1.0);
      if (e.hvpCount >= 0) mapped.hvpCount = hvpOffset + e.hvpCount;
      forward(mapped);
    };
  }
  return inner;
}

EigenResult lanczosEigen(const SymmetricOperator& op, int64_t k, SpectrumEnd end,
                         const EigenOptions& options, const JobControl& control,
                         const std::string& stage) {
  const int64_t n = op.rows();
  if (k < 1 || k >= n)
    throw InvalidArgument("the number of eigenvalues k = " + std::to_string(k) +
                          " must be between 1 and " + std::to_string(n - 1) +
                          " (one less than the operator's dimension " + std::to_string(n) + ")");
  if (!(options.tol > 0.0)) throw InvalidArgument("the eigenvalue tolerance must be positive");
  // The top of a Hessian's spectrum is separated, so a small basis converges sooner; its bottom
  // sits in the bulk, often a cluster at 0, which needs the larger basis to resolve at all.
  int64_t ncv = options.ncv;
  if (ncv <= 0)
    ncv = end == SpectrumEnd::Largest ? std::max<int64_t>(2 * k, k + 5)
                                      : std::max<int64_t>(2 * k + 1, k + 10);
  ncv = std::min(std::max(ncv, k + 1), n);
  const auto start = Clock::now();
  CountingOperator counted(op, control, stage, ncv);
  RitzSolver solver(counted, k, ncv);
  const auto init = rademacher(n, options.seed);
  solver.init(init.data());
  const auto rule = end == SpectrumEnd::Largest ? Spectra::SortRule::LargestAlge
                                                : Spectra::SortRule::SmallestAlge;
  const auto converged = solver.compute(rule, options.maxRestarts, options.tol, rule);

  EigenResult result;
  result.n = n;
  result.convergedCount = converged;
  result.converged = solver.info() == Spectra::CompInfo::Successful;
  result.products = counted.count();
  result.iterations = solver.num_iterations();
  // Converged: the k pairs. Not converged: the k current Ritz values as estimates, and no
  // eigenvectors (the caller sees converged = false).
  const Vec values = converged == k ? solver.eigenvalues() : solver.ritzValues(k);
  Eigen::MatrixXd vectors;
  if (options.vectors && converged == k) vectors = solver.eigenvectors();
  for (Eigen::Index i = 0; i < values.size(); ++i) {
    checkFinite(values[i], "an eigenvalue");
    result.values.push_back(values[i]);
  }
  if (vectors.size() > 0) {
    result.vectors.resize(size_t(vectors.cols()) * size_t(n));
    for (Eigen::Index j = 0; j < vectors.cols(); ++j)
      for (int64_t i = 0; i < n; ++i) result.vectors[size_t(j) * n + i] = vectors(i, j);
  }
  result.seconds = secondsSince(start);
  return result;
}

EigenResult powerIteration(const SymmetricOperator& op, int64_t k, const PowerOptions& options,
                           const JobControl& control, const std::string& stage) {
  const int64_t n = op.rows();
  if (k < 1 || k > n)
    throw InvalidArgument("the number of eigenvalues k = " + std::to_string(k) +
                          " must be between 1 and the operator's dimension " + std::to_string(n));
  const auto start = Clock::now();
  CountingOperator counted(op, control, stage, k * options.maxIterations / 4);
  EigenResult result;
  result.n = n;
  result.converged = true;
  std::vector<Vec> found;
  Vec hv(n);
  for (int64_t i = 0; i < k; ++i) {
    const auto init = rademacher(n, options.seed + uint64_t(i));
    Vec v = Eigen::Map<const Vec>(init.data(), n);
    auto deflate = [&](Vec& x) {
      for (const auto& u : found) x -= u.dot(x) * u;
    };
    deflate(v);
    v.normalize();
    double lambda = 0.0;
    bool have = false, converged = false;
    for (int64_t it = 0; it < options.maxIterations; ++it) {
      counted.perform_op(v.data(), hv.data());
      ++result.iterations;
      const double estimate = v.dot(hv);
      checkFinite(estimate, "a power-iteration eigenvalue estimate");
      deflate(hv);  // H restricted to the complement of the found eigenvectors
      const double norm = hv.norm();
      if (have && std::abs(estimate - lambda) / (std::abs(lambda) + 1e-6) < options.tol) {
        lambda = estimate;
        converged = true;
        break;
      }
      lambda = estimate;
      have = true;
      if (norm == 0.0) {  // v lies in the null space: its eigenvalue is 0
        converged = true;
        break;
      }
      v = hv / norm;
    }
    result.values.push_back(lambda);
    result.vectors.insert(result.vectors.end(), v.data(), v.data() + n);
    if (converged) ++result.convergedCount;
    result.converged = result.converged && converged;
    found.push_back(v);
  }
  result.products = counted.count();
  result.seconds = secondsSince(start);
  return result;
}

Tridiagonal lanczosTridiagonal(const SymmetricOperator& op, std::vector<double> v0, int64_t m,
                               const JobControl& control, const std::string& stage,
                               int64_t* products) {
  const int64_t n = op.rows();
  if (int64_t(v0.size()) != n)
    throw InvalidArgument("the Lanczos start vector has " + std::to_string(v0.size()) +
                          " entries, the operator " + std::to_string(n));
  if (m < 1) throw InvalidArgument("the number of Lanczos steps must be at least 1");
  m = std::min(m, n);
  CountingOperator counted(op, control, stage, m);
  Eigen::MatrixXd basis(n, m);
  Vec v = Eigen::Map<const Vec>(v0.data(), n);
  const double norm0 = v.norm();
  if (!(norm0 > 0.0) || !std::isfinite(norm0))
    throw InvalidArgument("the Lanczos start vector must be finite and non-zero");
  v /= norm0;
  Tridiagonal t;
  Vec w(n);
  // Breakdown threshold: β below this (relative to the operator's scale seen so far) means the
  // Krylov space is invariant and T's eigenvalues are exact eigenvalues of the operator.
  double scale = 0.0;
  for (int64_t j = 0; j < m; ++j) {
    basis.col(j) = v;
    counted.perform_op(v.data(), w.data());
    const double alpha = v.dot(w);
    checkFinite(alpha, "a Lanczos coefficient");
    t.alpha.push_back(alpha);
    scale = std::max(scale, std::abs(alpha));
    if (j + 1 == m) break;
    // Full re-orthogonalisation, twice ("twice is enough", Parlett): keeps the basis orthogonal
    // to working precision, so no spurious copies of converged Ritz values appear.
    for (int pass = 0; pass < 2; ++pass) {
      const Vec coefficients = basis.leftCols(j + 1).transpose() * w;
      w.noalias() -= basis.leftCols(j + 1) * coefficients;
    }
    const double beta = w.norm();
    scale = std::max(scale, beta);
    if (beta <= 1e-12 * std::max(scale, 1e-300)) break;
    t.beta.push_back(beta);
    v = w / beta;
  }
  if (products) *products += counted.count();
  return t;
}

}  // namespace flatland::analysis
