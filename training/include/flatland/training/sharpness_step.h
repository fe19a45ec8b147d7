// The gradient a base optimizer steps with, under SAM, ASAM, m-sharpness, gradient norm penalty,
// HERO and AWP (adversarial weight perturbation; with a robust objective its ascent is on the
// adversarial loss, as in Wu et al. 2020). Each rule is written out in sharpness_step.cpp with its
// paper.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <vector>

#include "flatland/training/model.h"
#include "flatland/training/train_config.h"

namespace flatland::training {

// A differentiable loss: logits and labels → scalar mean over the batch.
using LossFunction = std::function<at::Tensor(const at::Tensor& logits, const at::Tensor& labels)>;

// A batch as a training objective sees it: inputs, labels, and per-sample tensors the objective
// prepared at the current weights before the step (adversarial or noisy copies, CURE's
// direction; see robust_objective.h). Every tensor has the samples along dimension 0, so
// m-sharpness slices them all alike.
struct TrainingBatch {
  at::Tensor inputs, labels;
  std::vector<at::Tensor> extra;
  TrainingBatch slice(int64_t start, int64_t end) const;
};

struct ObjectiveValue {
  at::Tensor loss;    // scalar, differentiable w.r.t. the model's parameters
  at::Tensor logits;  // whose argmax counts as the batch's correct answers
};

// A differentiable training objective at the model's current weights. Plain training is
// lossFn(model(inputs), labels); robust objectives need the model and the inputs.
using Objective = std::function<ObjectiveValue(Model& model, const TrainingBatch& batch)>;

struct StepResult {
  double loss = 0.0;    // loss at the unperturbed weights (what the user sees as training loss)
  int64_t correct = 0;  // correctly classified samples of the batch, unperturbed
  std::vector<at::Tensor> perturbation;  // ε of the (last) perturbed pass; empty for plain steps
};

// Writes the update gradient into each parameter's grad(). On return the parameters hold exactly
// their values on entry, and the buffers (BatchNorm running statistics) have seen only the
// unperturbed pass(es). The model must be in training mode; the caller runs the base optimizer.
// auxiliary: leaf tensors outside the model that its forward depends on (LSQ's activation
// steps). They are never perturbed; each gets, in its grad(), its gradient from the pass(es)
// the weights' update comes from (HERO: without the penalty, which is over the weights).
StepResult computeUpdateGradient(Model& model, const at::Tensor& inputs, const at::Tensor& labels,
                                 const LossFunction& loss, const OptimizerConfig& config,
                                 const std::vector<at::Tensor>& auxiliary = {});
// The same rules for any objective: each (perturbed) pass evaluates objective(model, batch).
StepResult computeUpdateGradient(Model& model, const TrainingBatch& batch,
                                 const Objective& objective, const OptimizerConfig& config,
                                 const std::vector<at::Tensor>& auxiliary = {});

}  // namespace flatland::training
