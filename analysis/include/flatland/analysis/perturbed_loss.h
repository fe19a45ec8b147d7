// Loss, accuracy and loss gradient of a model over a data set at the weights it holds now, batch by
// batch: the evaluations every sharpness measure repeats at perturbed weights.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "flatland/analysis/hessian_operator.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"
#include "flatland/training/progress.h"

namespace flatland::analysis {

struct LossAccuracy {
  double loss = 0.0;      // mean over the samples (batch means weighted by batch size)
  double accuracy = 0.0;  // fraction of samples whose largest logit is the label
  int64_t samples = 0;
};

struct LossGradient {
  LossAccuracy value;
  at::Tensor gradient;  // flat, over the trainable parameters, in the model's dtype and device
};

// Mean loss (`loss`, or cross-entropy when empty) and accuracy, without autograd. The model is used
// in the mode it is in (the callers put it in eval mode). Throws InvalidArgument for an empty set
// or a batch size below 1.
LossAccuracy evaluateLoss(training::Model& model, const training::Dataset& data, int64_t batchSize,
                          const LossFunction& loss = {}, const JobControl& control = {});

// The same with the gradient of the mean loss over the trainable parameters (one backward per
// batch, accumulated with the batch's weight |b|/N).
LossGradient evaluateLossGradient(training::Model& model, const training::Dataset& data,
                                  int64_t batchSize, const LossFunction& loss = {},
                                  const JobControl& control = {});

// Puts a model in eval mode (BatchNorm running statistics, no dropout) and, on destruction, its
// weights, buffers and mode back as they were: every measure moves the weights in place, and
// some (a connecting curve's points) recompute the BatchNorm statistics.
class PerturbationScope {
 public:
  explicit PerturbationScope(training::Model& model);
  ~PerturbationScope();
  PerturbationScope(const PerturbationScope&) = delete;
  PerturbationScope& operator=(const PerturbationScope&) = delete;

  const at::Tensor& origin() const { return m_origin; }  // flat, model dtype and device
  // Sets the weights to origin + delta (flat, same dtype and device).
  void moveTo(const at::Tensor& delta);
  void restore();  // the weights and buffers

 private:
  training::Model& m_model;
  at::Tensor m_origin;
  std::vector<at::Tensor> m_buffers;
  bool m_wasTraining;
};

}  // namespace flatland::analysis
