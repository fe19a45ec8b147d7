#include "flatland/training/sharpness_step.h"

#include <torch/autograd.h>
#include <torch/types.h>

#include <cmath>

#include "flatland/errors.h"

namespace flatland::training {

namespace {

using Tensors = std::vector<at::Tensor>;

struct Pass {
  at::Tensor loss;
  at::Tensor logits;
  Tensors grads;
  Tensors auxGrads;  // of the auxiliary tensors, detached
};

// Forward and first backward at the current weights. With createGraph the gradients stay
// differentiable (HERO's penalty needs their derivative).
Pass gradientAt(Model& model, const TrainingBatch& batch, const Objective& objective,
                const Tensors& aux, bool createGraph = false) {
  if (createGraph) useTwiceDifferentiableAttention();
  Pass pass;
  auto value = objective(model, batch);
  pass.logits = value.logits;
  pass.loss = value.loss;
  if (!std::isfinite(pass.loss.item<double>()))
    throw NumericalError("the training loss became " + std::to_string(pass.loss.item<double>()) +
                         ": the run diverged (lower the learning rate or rho)");
  auto inputs = model.parameters();
  const size_t count = inputs.size();
  inputs.insert(inputs.end(), aux.begin(), aux.end());
  auto grads = torch::autograd::grad({pass.loss}, inputs, {}, createGraph, createGraph,
                                     /*allow_unused=*/true);
  for (size_t i = 0; i < grads.size(); ++i)
    if (!grads[i].defined()) grads[i] = torch::zeros_like(inputs[i]);
  pass.grads.assign(grads.begin(), grads.begin() + long(count));
  for (size_t i = count; i < grads.size(); ++i) pass.auxGrads.push_back(grads[i].detach());
  return pass;
}

double globalNorm(const Tensors& tensors) {
  double sum = 0.0;
  for (auto& t : tensors) sum += t.detach().pow(2).sum().item<double>();
  return std::sqrt(sum);
}

Tensors detached(const Tensors& tensors) {
  Tensors out;
  for (auto& t : tensors) out.push_back(t.detach());
  return out;
}

// Saves weights and buffers before a perturbed pass and puts them back exactly afterwards
// (copies, not w − ε, so no rounding drift).
class PerturbationScope {
 public:
  explicit PerturbationScope(Model& model) : m_model(model) {
    for (auto& p : model.parameters()) m_weights.push_back(p.detach().clone());
    for (auto& b : model.namedBuffers()) m_buffers.push_back(b.tensor.detach().clone());
  }
  void perturb(const Tensors& epsilon) {
    torch::NoGradGuard noGrad;
    auto params = m_model.parameters();
    for (size_t i = 0; i < params.size(); ++i) params[i].add_(epsilon[i]);
  }
  ~PerturbationScope() {
    torch::NoGradGuard noGrad;
    auto params = m_model.parameters();
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(m_weights[i]);
    auto buffers = m_model.namedBuffers();
    for (size_t i = 0; i < buffers.size(); ++i) buffers[i].tensor.copy_(m_buffers[i]);
  }
  const Tensors& weights() const { return m_weights; }

 private:
  Model& m_model;
  Tensors m_weights;
  Tensors m_buffers;
};

// SAM (Foret et al., 2021): ε = ρ·g / (‖g‖₂ + 1e-12), one global norm over all parameters.
Tensors samEpsilon(const Tensors& g, double rho) {
  const double scale = rho / (globalNorm(g) + 1e-12);
  Tensors eps;
  for (auto& gi : g) eps.push_back(gi.detach() * scale);
  return eps;
}

// ASAM (Kwon et al., 2021): ε = ρ·T_w² g / ‖T_w g‖ with T_w = |w| + η, element-wise.
Tensors asamEpsilon(const Tensors& g, const Tensors& w, double rho, double eta) {
  Tensors tg, t;
  for (size_t i = 0; i < g.size(); ++i) {
    t.push_back(w[i].abs() + eta);
    tg.push_back(t.back() * g[i].detach());
  }
  const double scale = rho / (globalNorm(tg) + 1e-12);
  Tensors eps;
  for (size_t i = 0; i < g.size(); ++i) eps.push_back(t[i] * tg[i] * scale);
  return eps;
}

// AWP (Wu et al., 2020): each weight matrix or filter bank (tensors of rank ≥ 2) moves by
// γ·‖w_l‖ along its own gradient, ε_l = γ·‖w_l‖·g_l / (‖g_l‖ + 1e-20); biases and BatchNorm
// parameters stay (their code skips tensors of rank ≤ 1). The norms are per tensor, as their
// layer-wise scaling of one ascent step is.
Tensors awpEpsilon(const Tensors& g, const Tensors& w, double gamma) {
  Tensors eps;
  for (size_t i = 0; i < g.size(); ++i) {
    if (w[i].dim() < 2) {
      eps.push_back(torch::zeros_like(w[i]));
      continue;
    }
    // Tensor arithmetic throughout: no host round trip per layer on a GPU.
    const auto gi = g[i].detach();
    eps.push_back(gi * (gamma * w[i].norm() / (gi.norm() + 1e-20)));
  }
  return eps;
}

int64_t correctOf(const at::Tensor& logits, const at::Tensor& y) {
  return (logits.detach().argmax(1) == y).sum().item<int64_t>();
}

void setGradients(const Tensors& targets, const Tensors& grads) {
  for (size_t i = 0; i < targets.size(); ++i) targets[i].mutable_grad() = grads[i].detach().clone();
}

void setGradients(Model& model, const Tensors& grads) { setGradients(model.parameters(), grads); }

// a·x + b·y element by element (for the auxiliary gradients of GNP's mix).
Tensors mix(const Tensors& x, double a, const Tensors& y, double b) {
  Tensors out;
  for (size_t i = 0; i < x.size(); ++i) out.push_back(x[i] * a + y[i] * b);
  return out;
}

// The perturbed gradient of one (sub-)batch: g' = ∇L(w + ε(g)). The auxiliary tensors are not
// perturbed; their gradients at w + ε come back in auxGrads.
Pass perturbedGradient(Model& model, const TrainingBatch& batch, const Objective& lossFn,
                       const OptimizerConfig& c, const Tensors& g, const Tensors& aux,
                       Tensors* epsilonOut) {
  PerturbationScope scope(model);
  Tensors eps = c.method == SharpnessMethod::Asam
                    ? asamEpsilon(g, scope.weights(), c.rho, c.asamEta)
                : c.method == SharpnessMethod::Awp ? awpEpsilon(g, scope.weights(), c.awpGamma)
                                                   : samEpsilon(g, c.rho);
  scope.perturb(eps);
  auto pass = gradientAt(model, batch, lossFn, aux);
  if (epsilonOut) *epsilonOut = eps;
  pass.grads = detached(pass.grads);
  return pass;
}

StepResult samStep(Model& model, const TrainingBatch& batch, const Objective& lossFn,
                   const OptimizerConfig& c, const Tensors& aux) {
  StepResult result;
  const int64_t n = batch.inputs.size(0);
  // m-sharpness (Andriushchenko & Flammarion, 2022): one ε per sub-batch of m samples, and the
  // perturbed gradients averaged, weighted by sub-batch size.
  const int64_t m = c.mSharpness > 0 ? c.mSharpness : n;
  Tensors sum, auxSum;
  double lossSum = 0.0;
  for (int64_t start = 0; start < n; start += m) {
    const int64_t end = std::min(n, start + m);
    auto sub = batch.slice(start, end);
    auto pass = gradientAt(model, sub, lossFn, {});  // updates BatchNorm statistics: unperturbed
    lossSum += pass.loss.item<double>() * double(end - start);
    result.correct += correctOf(pass.logits, sub.labels);
    auto perturbed =
        perturbedGradient(model, sub, lossFn, c, detached(pass.grads), aux, &result.perturbation);
    const double weight = double(end - start) / double(n);
    auto accumulate = [weight](Tensors& total, const Tensors& part) {
      for (size_t i = 0; i < part.size(); ++i) {
        if (total.size() <= i)
          total.push_back(part[i] * weight);
        else
          total[i] += part[i] * weight;
      }
    };
    accumulate(sum, perturbed.grads);
    accumulate(auxSum, perturbed.auxGrads);
  }
  result.loss = lossSum / double(n);
  setGradients(model, sum);
  setGradients(aux, auxSum);
  return result;
}

// Gradient norm penalty (Zhao et al., 2022): minimise L + λ‖∇L‖ with the first-order update
// (1 − α)·g + α·∇L(w + r·g/‖g‖), α = λ/r. α = 1 is SAM with ρ = r.
StepResult gnpStep(Model& model, const TrainingBatch& batch, const Objective& lossFn,
                   const OptimizerConfig& c, const Tensors& aux) {
  StepResult result;
  auto pass = gradientAt(model, batch, lossFn, aux);
  result.loss = pass.loss.item<double>();
  result.correct = correctOf(pass.logits, batch.labels);
  Tensors g = detached(pass.grads);
  Pass perturbed;
  {
    PerturbationScope scope(model);
    result.perturbation = samEpsilon(g, c.gnpR);
    scope.perturb(result.perturbation);
    perturbed = gradientAt(model, batch, lossFn, aux);
  }
  setGradients(model, mix(g, 1.0 - c.gnpAlpha, detached(perturbed.grads), c.gnpAlpha));
  setGradients(aux, mix(pass.auxGrads, 1.0 - c.gnpAlpha, perturbed.auxGrads, c.gnpAlpha));
  return result;
}

// HERO (Yang et al., 2022): at w + ε (an adaptive SAM step of radius ρ) take g₁ with its graph;
// the penalty R = λ·Σ_layers mean((g₁ − g₀)²) over conv/linear weights (tensors of rank ≥ 2),
// g₀ = ∇L(w) detached, approximates λ‖Hε‖². The update is g₁ + ∇R, a double backward.
StepResult heroStep(Model& model, const TrainingBatch& batch, const Objective& lossFn,
                    const OptimizerConfig& c, const Tensors& aux) {
  StepResult result;
  auto first = gradientAt(model, batch, lossFn, {});
  result.loss = first.loss.item<double>();
  result.correct = correctOf(first.logits, batch.labels);
  Tensors g0 = detached(first.grads);
  Tensors update;
  {
    PerturbationScope scope(model);
    result.perturbation =
        c.heroAdaptive ? asamEpsilon(g0, scope.weights(), c.rho, c.asamEta) : samEpsilon(g0, c.rho);
    scope.perturb(result.perturbation);
    auto second = gradientAt(model, batch, lossFn, aux, /*createGraph=*/true);
    setGradients(aux, second.auxGrads);  // the penalty is over the weights only
    auto params = model.parameters();
    at::Tensor penalty = torch::zeros({}, second.loss.options());
    for (size_t i = 0; i < params.size(); ++i)
      if (params[i].dim() >= 2) penalty = penalty + (second.grads[i] - g0[i]).pow(2).mean();
    penalty = penalty * c.heroLambda;
    Tensors penaltyGrad;
    if (penalty.requires_grad()) {
      penaltyGrad =
          torch::autograd::grad({penalty}, params, {}, false, false, /*allow_unused=*/true);
    }
    for (size_t i = 0; i < params.size(); ++i) {
      auto g = second.grads[i].detach();
      if (i < penaltyGrad.size() && penaltyGrad[i].defined()) g = g + penaltyGrad[i];
      update.push_back(g);
    }
  }
  setGradients(model, update);
  return result;
}

}  // namespace

TrainingBatch TrainingBatch::slice(int64_t start, int64_t end) const {
  TrainingBatch out{inputs.slice(0, start, end), labels.slice(0, start, end), {}};
  for (const auto& t : extra) out.extra.push_back(t.slice(0, start, end));
  return out;
}

StepResult computeUpdateGradient(Model& model, const TrainingBatch& batch,
                                 const Objective& objective, const OptimizerConfig& c,
                                 const std::vector<at::Tensor>& auxiliary) {
  switch (c.method) {
    case SharpnessMethod::Sam:
    case SharpnessMethod::Asam:
    case SharpnessMethod::Awp:
      return samStep(model, batch, objective, c, auxiliary);
    case SharpnessMethod::Gnp:
      return gnpStep(model, batch, objective, c, auxiliary);
    case SharpnessMethod::Hero:
      return heroStep(model, batch, objective, c, auxiliary);
    case SharpnessMethod::None:
      break;
  }
  auto pass = gradientAt(model, batch, objective, auxiliary);
  setGradients(model, pass.grads);
  setGradients(auxiliary, pass.auxGrads);
  return {pass.loss.item<double>(), correctOf(pass.logits, batch.labels), {}};
}

StepResult computeUpdateGradient(Model& model, const at::Tensor& x, const at::Tensor& y,
                                 const LossFunction& lossFn, const OptimizerConfig& c,
                                 const std::vector<at::Tensor>& auxiliary) {
  Objective objective = [&lossFn](Model& m, const TrainingBatch& batch) {
    auto logits = m.forward(batch.inputs);
    return ObjectiveValue{lossFn(logits, batch.labels), logits};
  };
  return computeUpdateGradient(model, TrainingBatch{x, y, {}}, objective, c, auxiliary);
}

}  // namespace flatland::training
