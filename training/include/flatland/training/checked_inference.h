// The forward pass an evaluation runs: a model's fast inference pass once it has been checked
// against the plain one, the plain one otherwise.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "flatland/training/model.h"

namespace flatland::training {

// Hands out Model::inferenceForward (for a TorchScript CNN on the CPU a frozen copy optimised for
// inference: ~20 ms to make, forward passes 2-4x faster) after checking it once against
// Model::forward on a probe batch; a model that cannot be frozen, or whose fast pass disagrees,
// runs its plain forward pass. Set FLATLAND_FROZEN_INFERENCE=0 to use the plain pass always (to
// measure the fast one, or to rule it out). Call inside c10::InferenceMode.
class CheckedInference {
 public:
  // `samples`: how many inputs each pass (each set of weights) evaluates. Making a frozen copy
  // costs about a plain forward pass over 1,000 inputs, so fewer run the plain pass.
  CheckedInference(Model& model, int64_t samples);

  // The forward pass for the weights as they stand; `probe` is a batch of inputs (its first 64
  // rows are used) for the one-time check.
  const InferenceForward& forward(const at::Tensor& probe);
  // The weights changed: the next forward() makes a new pass.
  void weightsChanged() { m_current = nullptr; }

 private:
  enum class Fast { untried, used, refused };
  Model* m_model;
  Fast m_fast = Fast::untried;
  InferenceForward m_current;
};

}  // namespace flatland::training
