#include "flatland/training/activation_quantizer.h"

#include <torch/types.h>

#include <cmath>

#include "flatland/errors.h"
#include "flatland/training/learned_step_size.h"

namespace flatland::training {

at::Tensor fakeQuantizeActivation(const at::Tensor& x, double clip, int bits) {
  if (bits < 2 || bits > 16)
    throw InvalidArgument("activation bit widths must be between 2 and 16");
  if (clip <= 0) return x * 0.0;  // keeps the graph; value and gradient 0
  const double qp = double((int64_t(1) << bits) - 1);
  const double s = clip / qp;
  auto v = x.detach();
  auto q = torch::clamp(torch::round(v / s), 0.0, qp) * s;
  auto inside = ((v >= 0) & (v <= clip)).to(x.scalar_type());
  // Value q; gradient 1 inside the clip range, 0 outside (straight-through estimator).
  return q + (x - v) * inside;
}

ActivationQuantizer::ActivationQuantizer(int bits, QatMethod method,
                                         const c10::TensorOptions& options)
    : m_bits(bits), m_method(method) {
  if (bits < 2 || bits > 8) throw InvalidArgument("activation bit widths must be between 2 and 8");
  if (method == QatMethod::Lsq) m_learnedStep = torch::ones({}, options).set_requires_grad(true);
}

double ActivationQuantizer::levels() const { return double((int64_t(1) << m_bits) - 1); }

double ActivationQuantizer::step() const {
  if (m_method == QatMethod::Lsq) return m_learnedStep.item<double>();
  return m_clip / levels();
}

double ActivationQuantizer::clip() const { return step() * levels(); }

void ActivationQuantizer::setClip(double clip) {
  m_clip = clip;
  m_calibrated = true;
}

void ActivationQuantizer::calibrate(const at::Tensor& x) {
  torch::NoGradGuard noGrad;
  if (m_method == QatMethod::Lsq)
    m_learnedStep.copy_(lsqInitialStep(x, levels(), QuantGranularity::PerTensor).squeeze());
  else
    m_clip = x.detach().max().item<double>();
  m_calibrated = true;
}

at::Tensor ActivationQuantizer::operator()(const at::Tensor& x, bool training) {
  if (!m_calibrated) {
    // An all-zero first batch says nothing about the range: wait for one with signal.
    if (x.numel() == 0 || x.detach().max().item<double>() <= 0) return x;
    calibrate(x);
    m_mayObserve = false;
  } else if (m_method == QatMethod::Ste && training && m_mayObserve) {
    m_clip = (1.0 - kClipMomentum) * m_clip + kClipMomentum * x.detach().max().item<double>();
    m_mayObserve = false;
  }
  if (m_method == QatMethod::Ste) return fakeQuantizeActivation(x, m_clip, m_bits);
  const int64_t features = x.dim() >= 1 && x.size(0) > 0 ? x.numel() / x.size(0) : x.numel();
  return lsqFakeQuantize(x, m_learnedStep, 0.0, levels(), lsqGradScale(features, levels()));
}

}  // namespace flatland::training
