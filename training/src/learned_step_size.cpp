#include "flatland/training/learned_step_size.h"

#include <torch/types.h>

#include <cmath>

#include "flatland/errors.h"

namespace flatland::training {

at::Tensor lsqFakeQuantize(const at::Tensor& v, const at::Tensor& step, double qn, double qp,
                           double gradScale) {
  // Same value as step, gradient multiplied by g (LSQ's grad_scale).
  auto s = step * gradScale + (step - step * gradScale).detach();
  auto clipped = torch::clamp(v / s, -qn, qp);
  // round() with a straight-through gradient (LSQ's round_pass).
  auto rounded = clipped + (torch::round(clipped) - clipped).detach();
  return rounded * s;
}

double lsqGradScale(int64_t n, double qp) {
  if (n <= 0 || qp <= 0) throw InvalidArgument("the LSQ gradient scale needs N > 0 and Q_P > 0");
  return 1.0 / std::sqrt(double(n) * qp);
}

at::Tensor lsqInitialStep(const at::Tensor& v, double qp, QuantGranularity granularity) {
  auto magnitude = v.detach().abs();
  at::Tensor mean;
  if (granularity == QuantGranularity::PerChannel && v.dim() >= 2) {
    std::vector<int64_t> shape(v.dim(), 1);
    shape[0] = v.size(0);
    mean = magnitude.reshape({v.size(0), -1}).mean(1).view(shape);
  } else {
    mean = magnitude.mean();
  }
  return (2.0 * mean / std::sqrt(qp)).clamp_min(kMinLsqStep);
}

}  // namespace flatland::training
