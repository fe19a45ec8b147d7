// Learned Step Size Quantization (LSQ; Esser et al., ICLR 2020): fake quantization whose step size
// s is a tensor trained by gradient descent along with the weights.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "flatland/training/quantization.h"

namespace flatland::training {

// The smallest step size LSQ keeps (a step of 0 would divide by zero).
inline constexpr double kMinLsqStep = 1e-8;

// v̂ = round(clamp(v/s, −Q_N, Q_P))·s, differentiable in v and s:
//   ∂v̂/∂v = 1 inside [−Q_N·s, Q_P·s], 0 outside (straight-through estimator);
//   ∂v̂/∂s = (−v/s + round(v/s)) inside, −Q_N below, Q_P above, all multiplied by gradScale.
// step is a scalar (per tensor) or broadcasts against v (per channel: [C, 1, …]).
at::Tensor lsqFakeQuantize(const at::Tensor& v, const at::Tensor& step, double qn, double qp,
                           double gradScale);

// The LSQ gradient scale g = 1/sqrt(N·Q_P), N the number of values that share one step.
double lsqGradScale(int64_t n, double qp);

// The LSQ initial step s = 2·mean|v|/sqrt(Q_P) (at least kMinLsqStep): a scalar per tensor, or
// one per slice along dim 0 shaped [C, 1, …] per channel. Detached.
at::Tensor lsqInitialStep(const at::Tensor& v, double qp, QuantGranularity granularity);

}  // namespace flatland::training
