#include "flatland/training/input_space.h"

#include <torch/types.h>

#include "flatland/errors.h"

namespace flatland::training {

InputSpace::InputSpace(const Dataset& data, InputUnits units, bool clamp) : m_units(units) {
  m_pixelKnown = !data.pixelMean.empty() && data.pixelMean.size() == data.pixelStd.size() &&
                 data.inputs.dim() >= 2 && data.inputs.size(1) == int64_t(data.pixelMean.size());
  if (units == InputUnits::Pixel && !m_pixelKnown)
    throw InvalidArgument(
        "pixel units need a data set with a known pixel scale (fashion-mnist, cifar10); " +
        data.spec + " is measured in its own units: use --eps-units data");
  if (m_pixelKnown) {
    m_mean = data.pixelMean;
    m_std = data.pixelStd;
  }
  if (clamp && m_pixelKnown) {
    auto options = data.inputs.options();
    auto zeros = torch::zeros({1, data.inputs.size(1)}, options);
    auto ones = torch::ones({1, data.inputs.size(1)}, options);
    // Shaped [1, C, 1, …] so they broadcast over a batch of samples.
    std::vector<int64_t> shape(size_t(data.inputs.dim()), 1);
    shape[1] = data.inputs.size(1);
    if (units == InputUnits::Pixel) {
      m_clampLow = zeros.view(shape);
      m_clampHigh = ones.view(shape);
    } else {
      m_clampLow = pixelsToData(zeros.view(shape));
      m_clampHigh = pixelsToData(ones.view(shape));
    }
  }
}

at::Tensor InputSpace::channelShaped(const std::vector<double>& values,
                                     const at::Tensor& like) const {
  std::vector<int64_t> shape(size_t(like.dim()), 1);
  shape[1] = int64_t(values.size());
  return torch::tensor(values, like.options().dtype(torch::kDouble))
      .to(like.scalar_type())
      .view(shape);
}

at::Tensor InputSpace::dataToPixels(const at::Tensor& inputs) const {
  if (!m_pixelKnown) return inputs;
  return inputs * channelShaped(m_std, inputs) + channelShaped(m_mean, inputs);
}

at::Tensor InputSpace::pixelsToData(const at::Tensor& pixels) const {
  if (!m_pixelKnown) return pixels;
  return (pixels - channelShaped(m_mean, pixels)) / channelShaped(m_std, pixels);
}

at::Tensor InputSpace::fromData(const at::Tensor& inputs) const {
  return m_units == InputUnits::Pixel ? dataToPixels(inputs) : inputs;
}

at::Tensor InputSpace::toData(const at::Tensor& inputs) const {
  return m_units == InputUnits::Pixel ? pixelsToData(inputs) : inputs;
}

at::Tensor InputSpace::clamp(const at::Tensor& inputs) const {
  if (!clamps()) return inputs;
  return torch::minimum(torch::maximum(inputs, m_clampLow.to(inputs.options())),
                        m_clampHigh.to(inputs.options()));
}

}  // namespace flatland::training
