// The space input-space analyses (attacks, input curvature, corruptions) measure in: the data's
// own units, or [0, 1] pixels for sets with a known pixel scale. Distances (ε, curvature) are in
// these units; the model always receives inputs in the data's units.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "flatland/training/attack_choices.h"
#include "flatland/training/dataset.h"

namespace flatland::training {

class InputSpace {
 public:
  // Pixel units need a set with a known pixel scale (Fashion-MNIST, CIFAR-10); throws
  // InvalidArgument otherwise. clamp keeps every perturbed input a valid image (pixels in
  // [0, 1], in either unit); for sets without a pixel scale there is no range to clamp to.
  InputSpace(const Dataset& data, InputUnits units, bool clamp);

  InputUnits units() const { return m_units; }
  // Whether perturbed inputs are clamped (asked for, and a valid range is known).
  bool clamps() const { return m_clampLow.defined(); }
  // Inputs in the data's units (N×…) → the same inputs in this space's units, and back.
  at::Tensor fromData(const at::Tensor& inputs) const;
  at::Tensor toData(const at::Tensor& inputs) const;
  // Inputs in this space's units → the nearest valid inputs (unchanged when not clamping).
  at::Tensor clamp(const at::Tensor& inputs) const;
  // Whether the space knows the data's pixels ([0, 1]): corruptions need them.
  bool knowsPixels() const { return m_pixelKnown; }
  // Inputs in the data's units → pixels in [0, 1] and back; identity without a pixel scale.
  at::Tensor dataToPixels(const at::Tensor& inputs) const;
  at::Tensor pixelsToData(const at::Tensor& pixels) const;

 private:
  InputUnits m_units;
  bool m_pixelKnown = false;
  std::vector<double> m_mean, m_std;
  at::Tensor m_clampLow, m_clampHigh;  // in this space's units, broadcast over a batch
  at::Tensor channelShaped(const std::vector<double>& values, const at::Tensor& like) const;
};

}  // namespace flatland::training
