// Robust training objectives, each on top of a base loss (cross-entropy, LDAM, VS) and under any
// optimizer rule of sharpness_step.h:
//   pgd-at     (Madry et al., 2018): the base loss on PGD-ℓ∞ adversarial examples of the batch;
//   trades     (Zhang et al., 2019): base(f(x), y) + β·KL(f(x) ‖ f(x')), x' by PGD on the KL
//              started at x + 0.001·N(0, I);
//   cure       (Moosavi-Dezfooli et al., 2019): base(f(x), y) + γ·mean_i ‖∇ₓℓ_i(x_i + h z_i) −
//              ∇ₓℓ_i(x_i)‖², z_i = sign(∇ₓℓ_i(x_i)) / ‖sign(∇ₓℓ_i(x_i))‖, ℓ_i the cross-entropy;
//   noise-jsd  (AugMix-style, Hendrycks et al., 2020): base(f(x), y) + λ·JS(p(x), p(x + σ_1 n_1),
//              …), one Gaussian-noise copy per σ.
//   h-sat, p-sat (Sitawarin et al., 2021, smooth adversarial training): PGD-AT with a curriculum
//              whose difficulty d rises linearly from 0 to 1 over the ramp (satDifficulty). h-sat
//              attacks with radius d·ε: the paper's Hessian analysis finds the adversarial loss's
//              λ_max growing with ε, so ramping ε ramps the curvature the optimizer meets. p-sat
//              attacks with the full ε but stops each sample once the softmax probability of its
//              label falls to 1 − d (AttackOptions::stopProbability): difficulty by probability.
//              Flatland's reading of the method; the paper's exact schedules may differ.
// prepare() runs once per step at the current weights, before any perturbed pass of SAM and its
// kin, so those passes see the same adversarial or noisy inputs. Attacks (PGD-AT's and TRADES'
// x', CURE's z) are crafted with the model in eval mode (BatchNorm uses and keeps its running
// statistics) and the mode is restored; the update's loss is computed in the caller's mode
// (train). CURE's penalty is evaluated in eval mode as well: per-sample input gradients are only
// per sample when BatchNorm does not mix the batch. Gradients w.r.t. inputs are taken with
// autograd::grad and never accumulate into the parameters' grad(). All distances (ε, h, σ) are in
// the input space's units (input_space.h); the model always receives data units, and perturbed
// inputs are clamped to valid pixels where the space knows them.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "flatland/training/input_space.h"
#include "flatland/training/model.h"
#include "flatland/training/sharpness_step.h"
#include "flatland/training/train_config.h"

namespace flatland::training {

class TrainingObjective {
 public:
  virtual ~TrainingObjective() = default;
  // The base loss (cross-entropy, LDAM, VS, with or without DRW weights); changes by epoch.
  void setBaseLoss(LossFunction loss) { m_base = std::move(loss); }
  // Once per step at the current weights: the batch with what the loss needs (batch.extra).
  virtual TrainingBatch prepare(Model& model, const at::Tensor& inputs,
                                const at::Tensor& labels) = 0;
  // Where training stands, before each step: epochs done (fractional) of `totalEpochs`. Only
  // curricula (SAT) use it.
  virtual void setEpochProgress(double /*epochsDone*/, int64_t /*totalEpochs*/) {}
  // The differentiable loss of a prepared batch at the model's current weights.
  virtual ObjectiveValue loss(Model& model, const TrainingBatch& batch) const = 0;
  Objective function() const {
    return [this](Model& model, const TrainingBatch& batch) { return loss(model, batch); };
  }

 protected:
  LossFunction m_base;
};

// The objective of config.robust (RobustMethod::None: the base loss on the batch as loaded).
// space: the training data's input space in config.robust.epsUnits. seed: of the random starts
// and the noise (each step draws afresh).
std::unique_ptr<TrainingObjective> makeTrainingObjective(const RobustConfig& config,
                                                         LossFunction base, const InputSpace& space,
                                                         uint64_t seed);

// SAT's difficulty d ∈ [0, 1] after `epochsDone` epochs: epochsDone / ramp, at most 1; ramp =
// rampEpochs, or half of totalEpochs (at least one epoch) when rampEpochs is 0.
double satDifficulty(double epochsDone, int64_t rampEpochs, int64_t totalEpochs);

// KL(p ‖ q) between the softmax of two logit batches, summed over classes, mean over samples
// (TRADES' KL with reduction batchmean). Differentiable in both.
at::Tensor softmaxKl(const at::Tensor& logitsP, const at::Tensor& logitsQ);
// Jensen–Shannon divergence among K distributions given by their log-probabilities (each N×C):
// (1/K) Σ_k KL(p_k ‖ M), M = (1/K) Σ_k p_k, summed over classes, mean over samples.
at::Tensor jensenShannon(const std::vector<at::Tensor>& logProbabilities);
// TRADES' adversarial inputs (data units): PGD-ℓ∞ steps of options.stepFraction·eps on
// KL(f(x) ‖ f(x')) from x + 0.001·N(0, I) (in the space's units), within the ε ball and clamped.
// The model as it is (the caller sets eval mode); parameters' gradients untouched.
at::Tensor tradesAdversarial(Model& model, const InputSpace& space, const at::Tensor& inputs,
                             double eps, int64_t steps, double stepFraction,
                             at::Generator& generator);
// CURE's per-sample input gradients of the cross-entropy, in the space's units (N×…), with the
// graph kept (createGraph) for a derivative w.r.t. the weights.
at::Tensor perSampleInputGradient(Model& model, const InputSpace& space, const at::Tensor& inputs,
                                  const at::Tensor& labels, bool createGraph);

}  // namespace flatland::training
