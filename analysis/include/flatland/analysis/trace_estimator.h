// Stochastic trace of a symmetric operator: Hutchinson's estimator with Rademacher vectors.
#pragma once

#include <cstdint>
#include <vector>

#include "flatland/analysis/lanczos.h"

namespace flatland::analysis {

struct TraceOptions {
  // Stop once at least minSamples were drawn and the standard error of the mean is at most
  // max(targetStderr, targetRelStderr·|mean|), or after maxSamples products.
  int64_t minSamples = 10;
  int64_t maxSamples = 100;
  double targetStderr = 0.0;
  double targetRelStderr = 0.01;
  uint64_t seed = 0;
  // Hutch++ (Meyer, Musco, Musco & Woodruff, 2021): spends the whole budget of maxSamples
  // products (no early stop): a third sketches the dominant subspace Q, a third takes tr(QᵀAQ)
  // exactly, a third runs Hutchinson on the complement. Far lower variance when a few
  // eigenvalues dominate, as in Hessians.
  enum class Method { Hutchinson, HutchPlusPlus };
  Method method = Method::Hutchinson;
};

struct TraceResult {
  double mean = 0.0;
  double standardError = 0.0;  // standard error of the mean (sample sd / √samples)
  int64_t samples = 0;         // = products (all of them, for Hutch++)
  bool reachedTarget = false;
  std::vector<double> values;  // vᵀAv of each sample (Hutch++: of the residual samples)
  double seconds = 0.0;
};

// tr(A) ≈ mean of vᵀAv over Rademacher vectors v (Hutchinson, 1989); unbiased, with variance
// 2·Σ_{i≠j} A_ij² per sample. Checks cancellation between products.
TraceResult hutchinsonTrace(const SymmetricOperator& op, const TraceOptions& options = {},
                            const JobControl& control = {}, const std::string& stage = "trace");

// Hutch++ with a budget of `products` (≥ 3; rounded down to a multiple of 3). The standard error
// is that of the Hutchinson part (the sketched part is exact).
TraceResult hutchPlusPlusTrace(const SymmetricOperator& op, int64_t products, uint64_t seed = 0,
                               const JobControl& control = {}, const std::string& stage = "trace");

// The method options.method names.
TraceResult estimateTrace(const SymmetricOperator& op, const TraceOptions& options = {},
                          const JobControl& control = {}, const std::string& stage = "trace");

}  // namespace flatland::analysis
