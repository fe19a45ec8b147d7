// Unsigned fake quantization of post-ReLU activations for quantization-aware training: a fixed
// step from a running clip value, or a learned step (LSQ).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/TensorOptions.h>

#include "flatland/training/train_config.h"

namespace flatland::training {

// Fixed-step unsigned b-bit quantization of x on [0, clip]: s = clip/(2^b − 1),
// q = clamp(round(x/s), 0, 2^b − 1)·s. Straight-through gradient: 1 where 0 ≤ x ≤ clip, 0
// elsewhere. A clip ≤ 0 maps everything to 0.
at::Tensor fakeQuantizeActivation(const at::Tensor& x, double clip, int bits);

// The quantizer of one activation site. The first batch it sees calibrates it: the fixed step
// takes the batch max as its clip α, LSQ sets s = 2·mean|x|/sqrt(Q_P). After that:
// - Ste: in training mode α follows an exponential moving average of the batch max,
//   α ← (1 − m)·α + m·max(x) with m = kClipMomentum (BatchNorm's momentum: short runs adapt
//   within a few dozen steps, one outlier batch moves α by a tenth). A max rather than a
//   percentile costs one reduction per batch and never clips a value of the batch it came from.
//   In eval mode α is frozen.
// - Lsq: s is a leaf tensor trained by the optimizer; the gradient scale uses N = the features
//   of one sample (Esser et al.: "N_F, the number of features in a layer").
class ActivationQuantizer {
 public:
  static constexpr double kClipMomentum = 0.1;

  // options: dtype and device of the learned step (LSQ).
  ActivationQuantizer(int bits, QatMethod method, const c10::TensorOptions& options);

  at::Tensor operator()(const at::Tensor& x, bool training);
  // Allows one update of the running clip in the next training-mode call. The trainer calls it
  // once per step, so the extra forward passes of SAM and its kin do not move α.
  void beginStep() { m_mayObserve = true; }

  int bits() const { return m_bits; }
  double levels() const;  // Q_P = 2^b − 1
  bool calibrated() const { return m_calibrated; }
  double step() const;  // s: α/Q_P for Ste, the learned value for Lsq
  double clip() const;  // the top of the grid, s·Q_P
  // Lsq: the step tensor the optimizer trains (shape [], requires grad); undefined for Ste.
  const at::Tensor& learnedStep() const { return m_learnedStep; }
  // Ste: sets the clip α and marks the quantizer calibrated.
  void setClip(double clip);

 private:
  void calibrate(const at::Tensor& x);

  int m_bits;
  QatMethod m_method;
  double m_clip = 0.0;
  bool m_calibrated = false;
  bool m_mayObserve = true;
  at::Tensor m_learnedStep;
};

}  // namespace flatland::training
