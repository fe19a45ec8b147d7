// Extreme eigenpairs of a symmetric operator known only through products: Lanczos (Spectra)
// and power iteration with deflation. Works on any operator, not only Hessians. Free of LibTorch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flatland/training/progress.h"

namespace flatland::analysis {

// A symmetric linear operator on R^n in the form Spectra expects (`Scalar`, `rows()`, `cols()`,
// `perform_op`). Implementations: HessianOperator, and dense matrices in the tests.
class SymmetricOperator {
 public:
  using Scalar = double;
  virtual ~SymmetricOperator() = default;
  virtual int64_t rows() const = 0;
  int64_t cols() const { return rows(); }
  // y = A x; x and y hold rows() doubles and do not overlap.
  virtual void perform_op(const double* x, double* y) const = 0;
};

enum class SpectrumEnd { Largest, Smallest };  // largest / smallest algebraic eigenvalues

struct EigenOptions {
  // Spectra's convergence test: ‖residual‖ ≤ tol · max(ε^(2/3), |θ|) for each Ritz pair. The
  // eigenvalue error of an isolated pair is below ‖residual‖²/gap, so 1e-3 gives eigenvalues to
  // a relative accuracy far better than 1e-3 in practice.
  double tol = 1e-3;
  // Lanczos basis size; 0: min(n, max(2k, k + 5)) for the largest eigenvalues, min(n, max(2k +
  // 1, k + 10)) for the smallest. Spectra builds the whole basis before its first convergence
  // test, so a smaller one stops sooner on a separated top spectrum (top-5 of an 18k-parameter
  // CNN: 18 products with 10 vectors, 22 with 15; docs/performance.md); the bottom, in the bulk
  // or a cluster at 0, did not converge with the small basis.
  int64_t ncv = 0;
  int64_t maxRestarts = 100;  // Spectra's maxit
  uint64_t seed = 0;          // start vector (Rademacher)
  bool vectors = true;        // keep eigenvectors
};

struct EigenResult {
  // k values: descending for Largest, ascending for Smallest. When Lanczos did not converge:
  // its current Ritz values (estimates) and no vectors.
  std::vector<double> values;
  std::vector<double> vectors;  // k × n, row-major, unit rows (empty unless requested)
  int64_t n = 0;
  bool converged = false;  // all k pairs met the tolerance
  int64_t convergedCount = 0;
  int64_t products = 0;    // operator applications
  int64_t iterations = 0;  // restarts (Lanczos) or sweeps (power iteration)
  double seconds = 0.0;
};

// Top-k (Largest) or bottom-k (Smallest) eigenpairs by implicitly restarted Lanczos
// (Spectra::SymEigsSolver). Throws InvalidArgument unless 1 ≤ k < n. Non-convergence is reported
// in the result, not thrown. Checks cancellation and reports progress after every product.
EigenResult lanczosEigen(const SymmetricOperator& op, int64_t k, SpectrumEnd end,
                         const EigenOptions& options = {}, const JobControl& control = {},
                         const std::string& stage = "lanczos");

struct PowerOptions {
  int64_t maxIterations = 100;  // PyHessian's defaults (Yao et al., 2020)
  double tol = 1e-3;            // stop when |λ_i − λ_{i−1}| / (|λ_{i−1}| + 1e-6) < tol
  uint64_t seed = 0;
};

// The k largest-magnitude eigenpairs by power iteration with deflation (each new vector is kept
// orthogonal to the ones found), as PyHessian does: the baseline Lanczos is compared against.
EigenResult powerIteration(const SymmetricOperator& op, int64_t k, const PowerOptions& options = {},
                           const JobControl& control = {}, const std::string& stage = "power");

// m steps of Lanczos with full re-orthogonalisation from the start vector v0 (any norm, not
// zero): the tridiagonal T (alpha: diagonal, beta: off-diagonal). Stops early when the Krylov
// space becomes invariant (alpha then has fewer than m entries).
struct Tridiagonal {
  std::vector<double> alpha;
  std::vector<double> beta;  // alpha.size() − 1 entries
};
Tridiagonal lanczosTridiagonal(const SymmetricOperator& op, std::vector<double> v0, int64_t m,
                               const JobControl& control = {}, const std::string& stage = "slq",
                               int64_t* products = nullptr);

// Rademacher (±1) vector of length n from a seeded generator.
std::vector<double> rademacher(int64_t n, uint64_t seed);

// A JobControl that forwards to `outer`, mapping the fraction into [begin, begin + span] and
// adding hvpOffset to the product count, so stages of one job report one continuous progress.
JobControl subJob(const JobControl& outer, double begin, double span, int64_t hvpOffset);

}  // namespace flatland::analysis
