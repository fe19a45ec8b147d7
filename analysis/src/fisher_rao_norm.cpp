#include "flatland/analysis/fisher_rao_norm.h"

#include <torch/autograd.h>
#include <torch/nn/functional/loss.h>
#include <torch/types.h>

#include <cmath>

#include "flatland/errors.h"

namespace flatland::analysis {

namespace {

at::Tensor perSampleLosses(const LossFunction& loss, const at::Tensor& logits,
                           const at::Tensor& labels) {
  namespace F = torch::nn::functional;
  if (!loss)
    return F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().reduction(torch::kNone));
  std::vector<at::Tensor> each;
  each.reserve(size_t(logits.size(0)));
  for (int64_t i = 0; i < logits.size(0); ++i)
    each.push_back(loss(logits.narrow(0, i, 1), labels.narrow(0, i, 1)));
  return torch::stack(each);
}

}  // namespace

FisherRaoNorm fisherRaoNorm(training::Model& model, const training::Dataset& data,
                            int64_t batchSize, const LossFunction& loss,
                            const JobControl& control) {
  if (data.size() == 0)
    throw InvalidArgument("the data set is empty: no Fisher-Rao norm to compute");
  if (batchSize < 1) throw InvalidArgument("the batch size must be at least 1");
  training::useTwiceDifferentiableAttention();
  const bool wasTraining = model.isTraining();
  model.setTraining(false);
  auto params = model.parameters();
  std::vector<at::Tensor> weights;
  for (auto& p : params) weights.push_back(p.detach());
  const int64_t n = data.size();
  double sum = 0.0, sumSquares = 0.0;
  try {
    for (int64_t start = 0; start < n; start += batchSize) {
      control.throwIfCancelled();
      const int64_t end = std::min(n, start + batchSize);
      auto x = data.inputs.slice(0, start, end).to(model.device(), model.dtype());
      auto y = data.labels.slice(0, start, end).to(model.device());
      auto losses = perSampleLosses(loss, model.forward(x), y);
      auto u = torch::zeros_like(losses).requires_grad_(true);
      // g(u) = ∇_w Σ_i u_i ℓ_i is linear in u; ∇_u ⟨g(u), w⟩ = (⟨∇_w ℓ_i, w⟩)_i.
      auto grads = torch::autograd::grad({(losses * u).sum()}, params, {}, true, true, true);
      at::Tensor dot = torch::zeros({}, losses.options());
      for (size_t i = 0; i < grads.size(); ++i)
        if (grads[i].defined()) dot = dot + (grads[i] * weights[i]).sum();
      auto projections = torch::autograd::grad({dot}, {u}, {}, false, false, true)[0];
      if (!projections.defined()) projections = torch::zeros_like(losses);
      projections = projections.detach().to(torch::kCPU, torch::kFloat64);
      sum += projections.sum().item<double>();
      sumSquares += projections.pow(2).sum().item<double>();
      control.report({double(end) / double(n), "Fisher-Rao norm", "", -1});
    }
  } catch (...) {
    model.setTraining(wasTraining);
    throw;
  }
  model.setTraining(wasTraining);
  FisherRaoNorm out;
  out.samples = n;
  out.squared = sumSquares / double(n);
  out.norm = std::sqrt(out.squared);
  out.meanProjection = sum / double(n);
  if (!std::isfinite(out.squared))
    throw NumericalError("the Fisher-Rao norm of " + model.source() +
                         " is not finite: the loss has diverged");
  return out;
}

}  // namespace flatland::analysis
