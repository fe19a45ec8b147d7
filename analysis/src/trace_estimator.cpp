// Hutchinson's trace estimator with a standard-error stopping rule.
#include "flatland/analysis/trace_estimator.h"

#include <Eigen/Dense>

#include <chrono>
#include <cmath>

#include "flatland/errors.h"

namespace flatland::analysis {

TraceResult hutchinsonTrace(const SymmetricOperator& op, const TraceOptions& options,
                            const JobControl& control, const std::string& stage) {
  if (options.maxSamples < 1) throw InvalidArgument("the trace needs at least one sample");
  const auto start = std::chrono::steady_clock::now();
  const int64_t n = op.rows();
  const int64_t minSamples = std::max<int64_t>(2, std::min(options.minSamples, options.maxSamples));
  TraceResult result;
  std::vector<double> product(static_cast<size_t>(n));
  // Welford's running mean and variance.
  double mean = 0.0, m2 = 0.0;
  for (int64_t s = 0; s < options.maxSamples; ++s) {
    control.throwIfCancelled();
    // Distinct, reproducible seeds per sample (a large odd stride keeps streams apart).
    const auto v = rademacher(n, options.seed + 0x9E3779B97F4A7C15ULL * uint64_t(s + 1));
    op.perform_op(v.data(), product.data());
    double q = 0.0;
    for (int64_t i = 0; i < n; ++i) q += v[i] * product[i];
    if (!std::isfinite(q))
      throw NumericalError("a Hutchinson sample vᵀHv is not finite (NaN or inf)");
    result.values.push_back(q);
    const double delta = q - mean;
    mean += delta / double(s + 1);
    m2 += delta * (q - mean);
    result.samples = s + 1;
    result.mean = mean;
    result.standardError = s > 0 ? std::sqrt(m2 / double(s) / double(s + 1)) : INFINITY;
    ProgressEvent event;
    event.fraction = double(s + 1) / double(options.maxSamples);
    event.stage = stage;
    event.hvpCount = s + 1;
    control.report(event);
    const double target = std::max(options.targetStderr, options.targetRelStderr * std::abs(mean));
    if (result.samples >= minSamples && result.standardError <= target) {
      result.reachedTarget = true;
      break;
    }
  }
  if (result.samples == 1) result.standardError = 0.0;  // one sample: no spread to report
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

TraceResult hutchPlusPlusTrace(const SymmetricOperator& op, int64_t products, uint64_t seed,
                               const JobControl& control, const std::string& stage) {
  if (products < 3) throw InvalidArgument("Hutch++ needs a budget of at least 3 products");
  const auto start = std::chrono::steady_clock::now();
  const int64_t n = op.rows();
  const int64_t k = std::min(products / 3, n);
  int64_t done = 0;
  const int64_t total = 3 * k;
  auto apply = [&](const double* x, double* y) {
    control.throwIfCancelled();
    op.perform_op(x, y);
    ++done;
    ProgressEvent event;
    event.fraction = double(done) / double(total);
    event.stage = stage;
    event.hvpCount = done;
    control.report(event);
  };
  // Sketch: Q = orth(A S), S Rademacher n × k.
  Eigen::MatrixXd sketch(n, k);
  for (int64_t j = 0; j < k; ++j) {
    const auto s = rademacher(n, seed + 0x9E3779B97F4A7C15ULL * uint64_t(j + 1));
    apply(s.data(), sketch.col(j).data());
  }
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(sketch);
  const Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(n, k);
  // Exact part: tr(Qᵀ A Q).
  double exact = 0.0;
  Eigen::VectorXd aq(n);
  for (int64_t j = 0; j < k; ++j) {
    apply(q.col(j).data(), aq.data());
    exact += q.col(j).dot(aq);
  }
  // Residual: Hutchinson on (I − QQᵀ) A (I − QQᵀ).
  TraceResult result;
  double mean = 0.0, m2 = 0.0;
  Eigen::VectorXd w(n), aw(n);
  for (int64_t j = 0; j < k; ++j) {
    const auto g = rademacher(n, seed + 0xC2B2AE3D27D4EB4FULL * uint64_t(j + 1));
    w = Eigen::Map<const Eigen::VectorXd>(g.data(), n);
    w -= q * (q.transpose() * w);
    apply(w.data(), aw.data());
    const double sample = w.dot(aw);
    if (!std::isfinite(sample)) throw NumericalError("a Hutch++ sample is not finite (NaN or inf)");
    result.values.push_back(sample);
    const double delta = sample - mean;
    mean += delta / double(j + 1);
    m2 += delta * (sample - mean);
  }
  result.samples = done;
  result.mean = exact + mean;
  result.standardError = k > 1 ? std::sqrt(m2 / double(k - 1) / double(k)) : 0.0;
  result.reachedTarget = false;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

TraceResult estimateTrace(const SymmetricOperator& op, const TraceOptions& options,
                          const JobControl& control, const std::string& stage) {
  if (options.method == TraceOptions::Method::HutchPlusPlus)
    return hutchPlusPlusTrace(op, options.maxSamples, options.seed, control, stage);
  return hutchinsonTrace(op, options, control, stage);
}

}  // namespace flatland::analysis
