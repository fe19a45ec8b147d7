#include "flatland/training/class_balanced_loss.h"

#include <torch/nn/functional/loss.h>
#include <torch/types.h>

#include <cmath>

namespace flatland::training {

namespace F = torch::nn::functional;

namespace {

// LDAM's logit scale for raw (not cosine-normalised) logits; see makeLoss.
constexpr double kLdamScale = 1.0;

at::Tensor drwWeights(const std::vector<int64_t>& counts) {
  constexpr double beta = 0.9999;
  std::vector<double> w;
  double sum = 0.0;
  for (auto n : counts) {
    w.push_back(n > 0 ? (1.0 - beta) / (1.0 - std::pow(beta, double(n))) : 0.0);
    sum += w.back();
  }
  for (auto& v : w) v *= double(counts.size()) / sum;
  return torch::tensor(w, torch::kFloat64);
}

}  // namespace

LossFunction makeLoss(LossKind kind, const std::vector<int64_t>& counts, bool reweight) {
  at::Tensor weight = reweight ? drwWeights(counts) : at::Tensor();
  auto crossEntropy = [weight](const at::Tensor& logits, const at::Tensor& y) {
    auto options = F::CrossEntropyFuncOptions();
    if (weight.defined()) options.weight(weight.to(logits.device(), logits.scalar_type()));
    return F::cross_entropy(logits, y, options);
  };
  switch (kind) {
    case LossKind::CrossEntropy:
      return crossEntropy;
    case LossKind::Ldam: {
      // LDAM (Cao et al. 2019): subtract a margin Δ_y ∝ n_y^{-1/4} (largest 0.5) from the true
      // logit. The paper's scale s = 30 belongs to cosine logits (unit-norm features and class
      // weights, so |logit| ≤ 1); Flatland's models give raw logits, already O(1–10), and 30×
      // them made the first steps' loss ~300 and collapsed training to one class. Raw logits
      // take s = 1: the margins then act in the logits' own units.
      std::vector<double> margins;
      double largest = 0.0;
      for (auto n : counts) {
        margins.push_back(n > 0 ? std::pow(double(n), -0.25) : 0.0);
        largest = std::max(largest, margins.back());
      }
      for (auto& m : margins) m *= 0.5 / largest;
      auto marginTensor = torch::tensor(margins, torch::kFloat64);
      return [marginTensor, crossEntropy](const at::Tensor& logits, const at::Tensor& y) {
        auto m = marginTensor.to(logits.device(), logits.scalar_type()).index_select(0, y);
        auto adjusted =
            logits - F::one_hot(y, logits.size(1)).to(logits.scalar_type()) * m.unsqueeze(1);
        return crossEntropy(adjusted * kLdamScale, y);
      };
    }
    case LossKind::Vs: {
      // VS loss: multiplicative Δ_c = (n_c / n_max)^γ (γ = 0.2) and additive ι_c = τ·log π_c (τ =
      // 1).
      double nMax = 0, total = 0;
      for (auto n : counts) {
        nMax = std::max(nMax, double(n));
        total += double(n);
      }
      std::vector<double> scale, offset;
      for (auto n : counts) {
        scale.push_back(std::pow(std::max(double(n), 1.0) / nMax, 0.2));
        offset.push_back(std::log(std::max(double(n), 1.0) / total));
      }
      auto s = torch::tensor(scale, torch::kFloat64), o = torch::tensor(offset, torch::kFloat64);
      return [s, o, crossEntropy](const at::Tensor& logits, const at::Tensor& y) {
        auto dev = logits.device();
        return crossEntropy(
            logits * s.to(dev, logits.scalar_type()) + o.to(dev, logits.scalar_type()), y);
      };
    }
  }
  return crossEntropy;
}

}  // namespace flatland::training
