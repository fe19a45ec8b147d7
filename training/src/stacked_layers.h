// Layers of the zoo networks evaluated for K weight sets at once (Model::forwardStacked): the
// sets' convolutions become one grouped convolution, their linear layers one batched matrix
// product. Internal to the training library.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <unordered_map>
#include <vector>

#include "flatland/training/model.h"

namespace flatland::training::stacked {

// How an activation holds the K sets.
enum class Layout {
  Shared,   // [N, ...], the same for every set: the inputs, until the first layer with weights
  Grouped,  // [N, K·C, H, W], set k's channels at k·C … (k+1)·C - 1: feature maps
  PerSet,   // [K, N, ...]: features after flattening, tokens
};

struct Activation {
  at::Tensor tensor;
  Layout layout = Layout::Shared;
};

class Pass {
 public:
  // `parameters` and `buffers` are the model's live tensors, in the order `weights` follows.
  Pass(const std::vector<NamedTensor>& parameters, const std::vector<NamedTensor>& buffers,
       const StackedWeights& weights);

  int64_t sets() const { return m_sets; }
  // The K values of a live parameter or buffer, [K, ...]; a buffer no set moves is broadcast.
  at::Tensor stackOf(const at::Tensor& live) const;

  Activation conv(const torch::nn::Conv2dImpl& layer, const Activation& x) const;
  // Eval mode: normalised by the running statistics.
  Activation batchNorm(const torch::nn::BatchNorm2dImpl& layer, const Activation& x) const;
  Activation linear(const torch::nn::LinearImpl& layer, const Activation& x) const;
  Activation layerNorm(const torch::nn::LayerNormImpl& layer, const Activation& x) const;
  // Flattens all but the sample (and set) dimensions: a Grouped map becomes PerSet [K, N, F].
  Activation flatten(const Activation& x) const;
  // The final [K, N, classes].
  at::Tensor logits(const Activation& x) const;

 private:
  // A Shared image batch repeated for every set, [N, K·C, H, W].
  at::Tensor grouped(const Activation& x) const;

  int64_t m_sets = 0;
  std::unordered_map<const c10::TensorImpl*, at::Tensor> m_stacks;  // by the live tensor
};

}  // namespace flatland::training::stacked
