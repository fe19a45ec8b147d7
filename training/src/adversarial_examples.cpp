// FGSM and PGD as written in their papers; each step is one forward and one backward of the
// batch, with the gradient taken w.r.t. the inputs only (autograd::grad), never the parameters.
#include "flatland/training/adversarial_examples.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/nn/functional/loss.h>
#include <torch/types.h>

#include <cmath>

#include "flatland/errors.h"

namespace flatland::training {

namespace {

// The input gradient of the loss PyTorch users attack with, F.cross_entropy with its mean, so
// these attacks equal a direct PyTorch computation bit for bit; with `labelProbability`, also
// each sample's softmax probability of its label (from the same forward).
at::Tensor inputGradient(Model& model, const InputSpace& space, const at::Tensor& u,
                         const at::Tensor& y, at::Tensor* labelProbability = nullptr) {
  auto leaf = u.detach().requires_grad_(true);
  auto logits = model.forward(space.toData(leaf));
  auto loss = torch::nn::functional::cross_entropy(logits, y);
  auto g = torch::autograd::grad({loss}, {leaf})[0];
  if (labelProbability)
    *labelProbability = torch::softmax(logits.detach(), 1).gather(1, y.view({-1, 1})).view({-1});
  return g;
}

// The ℓ2 norm of each sample, shaped to broadcast over it.
at::Tensor sampleNorms(const at::Tensor& t) {
  std::vector<int64_t> shape(size_t(t.dim()), 1);
  shape[0] = t.size(0);
  return t.flatten(1).norm(2, 1).view(shape);
}

at::Tensor randomStart(const at::Tensor& like, AttackKind kind, double eps, at::Generator& gen) {
  auto options = torch::TensorOptions().dtype(torch::kFloat64);
  at::Tensor delta;
  if (kind == AttackKind::PgdL2) {
    // A uniformly random direction at a uniformly random radius in [0, eps].
    auto direction = torch::randn(like.sizes(), gen, options);
    auto radius = torch::rand({like.size(0)}, gen, options);
    std::vector<int64_t> shape(size_t(like.dim()), 1);
    shape[0] = like.size(0);
    delta = direction / sampleNorms(direction).clamp_min(1e-12) * radius.view(shape) * eps;
  } else {
    delta = (torch::rand(like.sizes(), gen, options) * 2 - 1) * eps;
  }
  return delta.to(like.options());
}

// One PGD try from u0 (this space's units).
at::Tensor pgd(Model& model, const InputSpace& space, const at::Tensor& u0, const at::Tensor& y,
               const AttackOptions& o, at::Generator& gen) {
  const double step = o.stepFraction * o.eps;
  at::Tensor u = u0;
  if (o.randomStart) u = space.clamp(u0 + randomStart(u0, o.kind, o.eps, gen));
  for (int64_t s = 0; s < o.steps; ++s) {
    const at::Tensor previous = u;
    at::Tensor probability;
    auto g = inputGradient(model, space, u, y, o.stopProbability > 0 ? &probability : nullptr);
    if (o.kind == AttackKind::PgdL2) {
      // As the common PyTorch implementations write it (torchattacks' PGDL2): the gradient over
      // its norm + 1e-10, then the displacement scaled back onto the ball.
      u = u + step * (g / (sampleNorms(g) + 1e-10));
      auto delta = u - u0;
      delta = delta * (o.eps / sampleNorms(delta)).clamp_max(1.0);
      u = space.clamp(u0 + delta);
    } else {
      u = u + step * g.sign();
      u = space.clamp(u0 + (u - u0).clamp(-o.eps, o.eps));
    }
    // P-SAT: a sample at or below the stopping probability stays where it was.
    if (probability.defined()) {
      std::vector<int64_t> shape(size_t(u.dim()), 1);
      shape[0] = u.size(0);
      u = torch::where((probability > o.stopProbability).view(shape), u, previous);
    }
  }
  return u.detach();
}

}  // namespace

at::Tensor adversarialBatch(Model& model, const InputSpace& space, const at::Tensor& inputs,
                            const at::Tensor& labels, const AttackOptions& o) {
  if (!(o.eps > 0) || !std::isfinite(o.eps))
    throw InvalidArgument("the attack radius eps must be positive");
  if (o.kind != AttackKind::Fgsm && (o.steps < 1 || !(o.stepFraction > 0) || o.restarts < 1))
    throw InvalidArgument("PGD needs at least one step, a positive step size and at least one try");
  if (!(o.stopProbability >= 0 && o.stopProbability <= 1))
    throw InvalidArgument("the stopping probability of PGD must be in [0, 1]");
  const auto u0 = space.fromData(inputs).detach();
  if (o.kind == AttackKind::Fgsm)
    return space.toData(space.clamp(u0 + o.eps * inputGradient(model, space, u0, labels).sign()))
        .detach();

  auto gen = at::detail::createCPUGenerator(o.seed);
  at::Tensor best, bestWrong, bestLoss;
  for (int64_t r = 0; r < o.restarts; ++r) {
    auto u = pgd(model, space, u0, labels, o, gen);
    at::Tensor losses, wrong;
    {
      torch::NoGradGuard noGrad;
      auto logits = model.forward(space.toData(u));
      losses = -torch::log_softmax(logits, 1).gather(1, labels.view({-1, 1})).view({-1});
      wrong = logits.argmax(1) != labels;
    }
    if (r == 0) {
      best = u, bestWrong = wrong, bestLoss = losses;
      continue;
    }
    // Misclassified beats correct; between equals, the higher loss.
    auto better = (wrong & ~bestWrong) | ((wrong == bestWrong) & (losses > bestLoss));
    std::vector<int64_t> shape(size_t(u.dim()), 1);
    shape[0] = u.size(0);
    best = torch::where(better.view(shape), u, best);
    bestWrong = bestWrong | wrong;
    bestLoss = torch::where(better, losses, bestLoss);
  }
  return space.toData(best).detach();
}

}  // namespace flatland::training
