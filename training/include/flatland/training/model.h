// One interface over built-in networks and TorchScript models: forward, parameters, buffers, mode.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace flatland::training {

struct NamedTensor {
  std::string name;
  at::Tensor tensor;
};

// What a model must accept and produce: inputs of sampleShape (batch dimension added) → logits
// of numClasses.
struct ModelShape {
  std::vector<int64_t> sampleShape;
  int64_t numClasses = 0;
};

// What an activation site hands on: (site index, the post-ReLU activation, whether the network is
// in training mode) → the tensor the network continues with. Quantization-aware training uses it.
using ActivationTransform =
    std::function<at::Tensor(int64_t site, const at::Tensor& activation, bool training)>;

// A forward pass fixed to a model's weights as they stood when it was made (see
// Model::inferenceForward).
using InferenceForward = std::function<at::Tensor(const at::Tensor&)>;

// K weight sets of one model, stacked along a new leading dimension: parameters[i] is
// [K, ...shape of parameter i] in namedParameters() order; buffers[j] is [K, ...] in
// namedBuffers() order, or undefined where every set uses the model's own buffer.
struct StackedWeights {
  int64_t sets = 0;
  std::vector<at::Tensor> parameters;
  std::vector<at::Tensor> buffers;
};

class Model {
 public:
  virtual ~Model() = default;

  // Logits, N×numClasses. Autograd flows to the parameters unless the caller disables it.
  virtual at::Tensor forward(const at::Tensor& inputs) = 0;
  // Trainable parameters, in a fixed order that every flat vector follows.
  virtual std::vector<NamedTensor> namedParameters() const = 0;
  // Non-trainable state such as BatchNorm running statistics.
  virtual std::vector<NamedTensor> namedBuffers() const = 0;
  virtual void setTraining(bool on) = 0;
  virtual bool isTraining() const = 0;
  // Moves and casts floating-point parameters and buffers (float64 for exact references).
  virtual void to(const c10::Device& device, c10::ScalarType dtype) = 0;
  // A deep copy with its own parameters and buffers.
  virtual std::unique_ptr<Model> clone() const = 0;
  // How the model was made: "zoo:cnn-small" or the TorchScript file.
  virtual std::string source() const = 0;

  // Activation sites: the outputs of the ReLUs of a zoo network, in forward order. A transform
  // adds no parameters or buffers, so flat vectors and checkpoints are the same with or without.
  // The default: no sites (TorchScript models, tanh networks).
  virtual int64_t activationSiteCount() const { return 0; }
  // Installs a transform at every site; an empty function restores plain activations. Models
  // without sites ignore it. clone() does not copy it.
  virtual void setActivationTransform(ActivationTransform transform) { (void)transform; }

  // A forward pass for the weights as they stand, for inference only (eval mode, no autograd):
  // what an evaluation that changes no weight between its batches may run instead of forward().
  // The default is forward() itself. A TorchScript model in float32 on the CPU gives a frozen copy
  // optimised for inference (BatchNorm folded into the convolutions, oneDNN kernels, pooling
  // without arg-max indices): 2-4x faster on small CNNs, equal up to float rounding. Stale once
  // the weights change; throws what LibTorch throws when a model cannot be frozen.
  virtual InferenceForward inferenceForward();

  // Whether forwardStacked works: zoo networks without an activation transform.
  virtual bool canStackWeights() const { return false; }
  // The logits of K weight sets on the same inputs in one pass, [K, N, numClasses], in eval
  // mode for inference (no autograd): convolutions grouped by set, linear layers as batched
  // matrix products. The model's own weights are not used or changed. Several loss-surface points
  // per pass: fewer, larger kernels (on the CPU faster for small CNNs, slower for ResNet-20 and
  // the ViT: docs/performance.md; on GPUs unmeasured). Throws ModelError when canStackWeights()
  // is false, the model is in training mode or the shapes do not match the model.
  virtual at::Tensor forwardStacked(const at::Tensor& inputs, const StackedWeights& weights);

  std::vector<at::Tensor> parameters() const;
  int64_t parameterCount() const;
  c10::Device device() const;
  c10::ScalarType dtype() const;
  void to(const c10::Device& device) { to(device, dtype()); }

  // All parameters as one detached 1-D tensor (a copy), in namedParameters() order.
  at::Tensor flatParameters() const;
  // Writes a flat vector into the parameters in place (no reallocation, no autograd).
  void setFlatParameters(const at::Tensor& flat);
  // Splits a flat vector into views shaped like the parameters.
  std::vector<at::Tensor> unflatten(const at::Tensor& flat) const;
  // Copies parameters and buffers from a model of the same architecture, matched by name.
  void copyStateFrom(const Model& other);
};

// Eval mode (BatchNorm running statistics, no dropout) for a scope; the previous mode comes back
// when the scope ends, exceptions included.
class EvalModeScope {
 public:
  explicit EvalModeScope(Model& model) : m_model(model), m_wasTraining(model.isTraining()) {
    model.setTraining(false);
  }
  ~EvalModeScope() { m_model.setTraining(m_wasTraining); }
  EvalModeScope(const EvalModeScope&) = delete;
  EvalModeScope& operator=(const EvalModeScope&) = delete;

 private:
  Model& m_model;
  bool m_wasTraining;
};

// Names of the built-in architectures: mlp, mlp-tanh, linear, cnn-small, cnn-smooth, lenet5,
// resnet20, vit-tiny.
std::vector<std::string> zooModelNames();

// Builds a built-in architecture for the given input shape and class count, seeded.
// Throws ModelError when the architecture cannot take that input (a CNN on tabular data).
std::unique_ptr<Model> makeZooModel(const std::string& name, const ModelShape& shape,
                                    uint64_t seed = 0);

// Loads a TorchScript module saved from PyTorch (torch.jit.script/trace, then .save).
std::unique_ptr<Model> loadTorchScriptModel(const std::string& path,
                                            const c10::Device& device = c10::Device(c10::kCPU));

// Runs two samples through the model and checks it accepts the input shape and produces one
// logit per class; throws ModelError naming both shapes otherwise.
void checkModelFitsData(Model& model, const ModelShape& shape);

// Fused attention kernels (flash, memory-efficient, cuDNN) have no second derivative: switches
// LibTorch's scaled_dot_product_attention to its math path for the whole process. Everything
// that differentiates twice (Hessian products, HERO, gradient norm penalties) calls it first; it
// only slows attention models, and only once something needs their second derivatives.
void useTwiceDifferentiableAttention();

// The one line of a LibTorch or TorchScript exception that says what went wrong.
std::string summarizeTorchError(const std::exception& error);

}  // namespace flatland::training
