// The quantizers of one quantization-aware training run, owned by its Trainer: one per weight
// tensor (rank ≥ 2, per output channel) and one per activation site of the model. Everything here
// lives outside the model's parameters and buffers, so flat vectors and checkpoints are unchanged.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "flatland/training/activation_quantizer.h"
#include "flatland/training/model.h"
#include "flatland/training/project_file.h"
#include "flatland/training/train_config.h"

namespace flatland::training {

class QatState {
 public:
  // weightBits / activationBits: 0 leaves that part in float. Installs the activation quantizers
  // on the model's activation sites (a model without sites keeps float activations: see
  // activationsUnavailable()). Under Lsq the weight steps start at 2·mean|w_c|/sqrt(Q_P).
  QatState(Model& model, int weightBits, int activationBits, QatMethod method);
  // Removes the activation quantizers from the model.
  ~QatState();
  QatState(const QatState&) = delete;
  QatState& operator=(const QatState&) = delete;

  QatMethod method() const { return m_method; }
  int weightBits() const { return m_weightBits; }
  int activationBits() const { return m_activationBits; }
  // Activation quantization was asked for but the model has no activation sites (a TorchScript
  // model or a tanh network): the run quantizes weights only.
  bool activationsUnavailable() const { return m_activationBits > 0 && m_activations.empty(); }
  int64_t activationSiteCount() const { return int64_t(m_activations.size()); }
  ActivationQuantizer& activationQuantizer(int64_t site) { return m_activations.at(site); }

  // The quantizer of one site, as the installed transform calls it.
  at::Tensor quantizeActivation(int64_t site, const at::Tensor& x, bool training);
  // The deployed value of parameter i (its index in namedParameters()); parameters that stay in
  // float come back unchanged. Detached.
  at::Tensor quantizedWeight(size_t i) const;

  // Lsq: the learned steps, trained by the same kind of optimizer as the weights; empty for Ste.
  std::vector<at::Tensor> weightSteps() const;
  std::vector<at::Tensor> activationSteps() const;
  // Call before each training step (see ActivationQuantizer::beginStep).
  void beginStep();
  // Lsq: keeps every learned step ≥ kMinLsqStep after an optimizer update.
  void clampSteps();

  // What a run records under /runs/NAME/qat (docs/project-file.md).
  Node record() const;

  // While alive, the model's weights hold their quantized values (a forward pass sees the
  // deployed weights); the destructor writes the float weights back. A null state, or one
  // without weight bits, leaves the weights alone.
  class WeightScope {
   public:
    explicit WeightScope(QatState* state);
    ~WeightScope();
    WeightScope(const WeightScope&) = delete;
    WeightScope& operator=(const WeightScope&) = delete;
    // Turns the gradients in the parameters' grad(), taken at the quantized weights, into
    // gradients of the float weights (straight through; under Lsq zero outside the clip range)
    // and, under Lsq, of the weight steps (their grad()).
    void backpropagate();

   private:
    QatState* m_state;
    std::vector<at::Tensor> m_float;  // undefined where the weight stays in float
  };

 private:
  double weightLevels() const;  // Q_N = Q_P = 2^{b−1} − 1 (symmetric)

  Model& m_model;
  int m_weightBits;
  int m_activationBits;
  QatMethod m_method;
  std::vector<at::Tensor> m_weightSteps;  // Lsq, per parameter: [C, 1, …] or undefined
  std::vector<ActivationQuantizer> m_activations;
};

}  // namespace flatland::training
