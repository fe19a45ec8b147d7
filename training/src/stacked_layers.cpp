#include "stacked_layers.h"

#include <ATen/ATen.h>
#include <torch/enum.h>
#include <torch/nn/functional/conv.h>

#include "flatland/errors.h"

namespace flatland::training::stacked {

namespace F = torch::nn::functional;

namespace {

std::string shapeText(const at::Tensor& t) { return c10::str(t.sizes()); }

}  // namespace

Pass::Pass(const std::vector<NamedTensor>& parameters, const std::vector<NamedTensor>& buffers,
           const StackedWeights& weights)
    : m_sets(weights.sets) {
  if (m_sets < 1) throw ModelError("a stacked pass needs at least one weight set");
  if (weights.parameters.size() != parameters.size())
    throw ModelError("stacked weights have " + std::to_string(weights.parameters.size()) +
                     " parameter tensors, the model " + std::to_string(parameters.size()));
  if (!weights.buffers.empty() && weights.buffers.size() != buffers.size())
    throw ModelError("stacked weights have " + std::to_string(weights.buffers.size()) +
                     " buffers, the model " + std::to_string(buffers.size()));
  auto add = [&](const NamedTensor& live, const at::Tensor& stack) {
    auto expected = live.tensor.sizes().vec();
    expected.insert(expected.begin(), m_sets);
    if (stack.sizes().vec() != expected)
      throw ModelError("the stacked values of '" + live.name + "' have shape " + shapeText(stack) +
                       ", expected " + c10::str(c10::IntArrayRef(expected)));
    m_stacks[live.tensor.unsafeGetTensorImpl()] = stack;
  };
  for (size_t i = 0; i < parameters.size(); ++i) add(parameters[i], weights.parameters[i]);
  for (size_t j = 0; j < weights.buffers.size(); ++j)
    if (weights.buffers[j].defined()) add(buffers[j], weights.buffers[j]);
}

at::Tensor Pass::stackOf(const at::Tensor& live) const {
  auto it = m_stacks.find(live.unsafeGetTensorImpl());
  if (it != m_stacks.end()) return it->second;
  auto sizes = live.sizes().vec();
  sizes.insert(sizes.begin(), m_sets);
  return live.unsqueeze(0).expand(sizes);
}

at::Tensor Pass::grouped(const Activation& x) const {
  if (x.layout == Layout::Grouped) return x.tensor;
  if (x.layout != Layout::Shared || x.tensor.dim() != 4)
    throw ModelError("a stacked convolution or BatchNorm needs image activations, got " +
                     shapeText(x.tensor));
  return x.tensor.repeat({1, m_sets, 1, 1});
}

Activation Pass::conv(const torch::nn::Conv2dImpl& layer, const Activation& x) const {
  const auto& o = layer.options;
  if (o.groups() != 1 || torch::enumtype::get_enum_name(o.padding_mode()) != "kZeros")
    throw ModelError("stacked passes support ungrouped, zero-padded convolutions only");
  // [K, out, in, kh, kw] → [K·out, in, kh, kw]: set k's filters are output group k.
  const auto w = stackOf(layer.weight);
  auto options =
      F::Conv2dFuncOptions().stride(o.stride()).padding(o.padding()).dilation(o.dilation());
  if (layer.bias.defined()) options.bias(stackOf(layer.bias).reshape({-1}));
  const auto kernels = w.reshape({m_sets * w.size(1), w.size(2), w.size(3), w.size(4)});
  // Shared inputs go to every set's filters as they are (one ordinary convolution); grouped
  // ones go to their own set's filters.
  if (x.layout == Layout::Shared) return {F::conv2d(x.tensor, kernels, options), Layout::Grouped};
  return {F::conv2d(grouped(x), kernels, options.groups(m_sets)), Layout::Grouped};
}

Activation Pass::batchNorm(const torch::nn::BatchNorm2dImpl& layer, const Activation& x) const {
  auto flat = [&](const at::Tensor& live) {
    return live.defined() ? stackOf(live).reshape({-1}) : at::Tensor();
  };
  return {at::batch_norm(grouped(x), flat(layer.weight), flat(layer.bias), flat(layer.running_mean),
                         flat(layer.running_var), false, 0.0, layer.options.eps(), true),
          Layout::Grouped};
}

Activation Pass::linear(const torch::nn::LinearImpl& layer, const Activation& x) const {
  const auto w = stackOf(layer.weight);  // [K, out, in]
  const int64_t out = w.size(1), in = w.size(2);
  const auto b = layer.bias.defined() ? stackOf(layer.bias) : at::zeros({m_sets, out}, w.options());
  if (x.layout == Layout::Grouped) throw ModelError("a stacked linear layer needs flat features");
  if (x.layout == Layout::Shared) {
    // One product with every set's rows: [..., in] → [..., K·out] → [K, ..., out].
    auto y = at::linear(x.tensor, w.reshape({m_sets * out, in}), b.reshape({-1}));
    auto sizes = y.sizes().vec();
    sizes.back() = m_sets;
    sizes.push_back(out);
    return {y.view(sizes).movedim(-2, 0), Layout::PerSet};
  }
  // [K, M, in] · [K, in, out] + [K, 1, out]
  auto sizes = x.tensor.sizes().vec();
  auto rows = x.tensor.reshape({m_sets, -1, in});
  auto y = at::baddbmm(b.unsqueeze(1), rows, w.transpose(1, 2));
  sizes.back() = out;
  return {y.view(sizes), Layout::PerSet};
}

Activation Pass::layerNorm(const torch::nn::LayerNormImpl& layer, const Activation& x) const {
  if (x.layout != Layout::PerSet) throw ModelError("a stacked LayerNorm needs per-set features");
  const auto& shape = layer.options.normalized_shape();
  auto y = at::layer_norm(x.tensor, shape, {}, {}, layer.options.eps());
  if (!layer.options.elementwise_affine()) return {y, Layout::PerSet};
  // [K, ...shape] broadcast over the dimensions between the set and the normalised ones.
  auto view = [&](const at::Tensor& live) {
    auto s = stackOf(live);
    std::vector<int64_t> sizes(size_t(x.tensor.dim()), 1);
    sizes[0] = m_sets;
    for (size_t i = 0; i < shape.size(); ++i) sizes[sizes.size() - shape.size() + i] = shape[i];
    return s.reshape(sizes);
  };
  return {y * view(layer.weight) + view(layer.bias), Layout::PerSet};
}

Activation Pass::flatten(const Activation& x) const {
  switch (x.layout) {
    case Layout::Shared:
      return {x.tensor.flatten(1), Layout::Shared};
    case Layout::Grouped: {
      const int64_t n = x.tensor.size(0);
      return {x.tensor.reshape({n, m_sets, -1}).transpose(0, 1), Layout::PerSet};
    }
    case Layout::PerSet:
      return {x.tensor.flatten(2), Layout::PerSet};
  }
  throw std::logic_error("unreachable");
}

at::Tensor Pass::logits(const Activation& x) const {
  if (x.layout == Layout::PerSet) return x.tensor;
  if (x.layout == Layout::Shared) return x.tensor.unsqueeze(0).expand({m_sets, -1, -1});
  throw ModelError("a stacked pass ended on feature maps, not logits");
}

}  // namespace flatland::training::stacked
