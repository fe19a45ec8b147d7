// The robust objectives of robust_objective.h, each written as its paper states it.
#include "flatland/training/robust_objective.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/nn/functional/loss.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>

#include "flatland/errors.h"
#include "flatland/training/adversarial_examples.h"
#include "flatland/training/attack_choices.h"

namespace flatland::training {

namespace F = torch::nn::functional;

double satDifficulty(double epochsDone, int64_t rampEpochs, int64_t totalEpochs) {
  const double ramp =
      rampEpochs > 0 ? double(rampEpochs) : std::max(1.0, 0.5 * double(totalEpochs));
  return std::clamp(epochsDone / ramp, 0.0, 1.0);
}

at::Tensor softmaxKl(const at::Tensor& logitsP, const at::Tensor& logitsQ) {
  auto logP = torch::log_softmax(logitsP, 1);
  auto logQ = torch::log_softmax(logitsQ, 1);
  return (logP.exp() * (logP - logQ)).sum(1).mean();
}

at::Tensor jensenShannon(const std::vector<at::Tensor>& logProbabilities) {
  if (logProbabilities.size() < 2)
    throw InvalidArgument("a Jensen-Shannon divergence needs at least two distributions");
  const double k = double(logProbabilities.size());
  auto logMixture = torch::logsumexp(torch::stack(logProbabilities), 0) - std::log(k);
  at::Tensor total;
  for (const auto& logP : logProbabilities) {
    auto kl = (logP.exp() * (logP - logMixture)).sum(1);
    total = total.defined() ? total + kl : kl;
  }
  return (total / k).mean();
}

at::Tensor tradesAdversarial(Model& model, const InputSpace& space, const at::Tensor& inputs,
                             double eps, int64_t steps, double stepFraction,
                             at::Generator& generator) {
  at::Tensor clean;
  {
    torch::NoGradGuard noGrad;
    clean = model.forward(inputs).detach();
  }
  const auto u0 = space.fromData(inputs).detach();
  auto noise = torch::randn(u0.sizes(), generator, torch::TensorOptions().dtype(torch::kFloat64))
                   .to(u0.options());
  auto u = space.clamp(u0 + 0.001 * noise);
  const double step = stepFraction * eps;
  for (int64_t s = 0; s < steps; ++s) {
    auto leaf = u.detach().requires_grad_(true);
    auto kl = softmaxKl(clean, model.forward(space.toData(leaf)));
    auto g = torch::autograd::grad({kl}, {leaf})[0];
    u = u.detach() + step * g.sign();
    u = space.clamp(u0 + (u - u0).clamp(-eps, eps));
  }
  return space.toData(u).detach();
}

at::Tensor perSampleInputGradient(Model& model, const InputSpace& space, const at::Tensor& inputs,
                                  const at::Tensor& labels, bool createGraph) {
  if (createGraph) useTwiceDifferentiableAttention();
  auto leaf = space.fromData(inputs).detach().requires_grad_(true);
  // The summed per-sample losses: their input gradient holds each sample's own ∇ₓℓ_i (in eval
  // mode the samples do not interact).
  auto loss = F::cross_entropy(model.forward(space.toData(leaf)), labels,
                               F::CrossEntropyFuncOptions().reduction(torch::kSum));
  return torch::autograd::grad({loss}, {leaf}, {}, createGraph, createGraph)[0];
}

namespace {

// The per-sample ℓ2 norm, shaped to broadcast over each sample.
at::Tensor sampleNorms(const at::Tensor& t) {
  std::vector<int64_t> shape(size_t(t.dim()), 1);
  shape[0] = t.size(0);
  return t.flatten(1).norm(2, 1).view(shape);
}

class Standard : public TrainingObjective {
 public:
  TrainingBatch prepare(Model&, const at::Tensor& inputs, const at::Tensor& labels) override {
    return {inputs, labels, {}};
  }
  ObjectiveValue loss(Model& model, const TrainingBatch& batch) const override {
    auto logits = model.forward(batch.inputs);
    return {m_base(logits, batch.labels), logits};
  }
};

// Madry et al. (2018): min_w E max_{‖δ‖∞ ≤ ε} ℓ(x + δ, y); the inner max by PGD (on the
// cross-entropy, as adversarialBatch does), the outer step on the base loss at x + δ. The
// accuracy reported is the one on the adversarial examples.
class PgdAt : public Standard {
 public:
  PgdAt(const RobustConfig& c, const InputSpace& space, uint64_t seed)
      : m_config(c), m_space(space), m_seed(seed) {}
  TrainingBatch prepare(Model& model, const at::Tensor& inputs, const at::Tensor& labels) override {
    AttackOptions o = attackOptions();
    o.seed = m_seed + 7919 * m_step++;
    if (!(o.eps > 0)) return {inputs, labels, {}};  // a curriculum's start: the clean batch
    EvalModeScope eval(model);
    return {adversarialBatch(model, m_space, inputs, labels, o), labels, {}};
  }

 protected:
  virtual AttackOptions attackOptions() const {
    AttackOptions o;
    o.kind = AttackKind::PgdLinf;
    o.eps = m_config.eps;
    o.steps = m_config.steps;
    o.stepFraction = m_config.stepFraction;
    o.randomStart = !m_config.noRandomStart;
    return o;
  }
  RobustConfig m_config;

 private:
  InputSpace m_space;
  uint64_t m_seed;
  uint64_t m_step = 0;
};

// SAT (robust_objective.h): PGD-AT whose attack follows the curriculum's difficulty.
class Sat : public PgdAt {
 public:
  using PgdAt::PgdAt;
  void setEpochProgress(double epochsDone, int64_t totalEpochs) override {
    m_difficulty = satDifficulty(epochsDone, m_config.satRampEpochs, totalEpochs);
  }

 protected:
  AttackOptions attackOptions() const override {
    AttackOptions o = PgdAt::attackOptions();
    if (m_config.method == RobustMethod::HSat)
      o.eps *= m_difficulty;
    else
      o.stopProbability = 1.0 - m_difficulty;
    return o;
  }

 private:
  double m_difficulty = 0.0;
};

// Zhang et al. (2019), TRADES: base(f(x), y) + β·KL(f(x) ‖ f(x')); x' (batch.extra[0]) from
// tradesAdversarial in eval mode; both forwards of the loss in the caller's mode.
class Trades : public TrainingObjective {
 public:
  Trades(const RobustConfig& c, const InputSpace& space, uint64_t seed)
      : m_config(c), m_space(space), m_generator(at::detail::createCPUGenerator(seed)) {}
  TrainingBatch prepare(Model& model, const at::Tensor& inputs, const at::Tensor& labels) override {
    EvalModeScope eval(model);
    auto adversarial = tradesAdversarial(model, m_space, inputs, m_config.eps, m_config.steps,
                                         m_config.stepFraction, m_generator);
    return {inputs, labels, {adversarial}};
  }
  ObjectiveValue loss(Model& model, const TrainingBatch& batch) const override {
    auto logits = model.forward(batch.inputs);
    auto adversarialLogits = model.forward(batch.extra.at(0));
    return {
        m_base(logits, batch.labels) + m_config.tradesBeta * softmaxKl(logits, adversarialLogits),
        logits};
  }

 private:
  RobustConfig m_config;
  InputSpace m_space;
  at::Generator m_generator;
};

// Moosavi-Dezfooli et al. (2019), CURE: base(f(x), y) + γ·mean_i ‖∇ℓ_i(x_i + h z_i) − ∇ℓ_i(x_i)‖²,
// z (batch.extra[0], the space's units) fixed at the weights of prepare().
class Cure : public TrainingObjective {
 public:
  Cure(const RobustConfig& c, const InputSpace& space) : m_config(c), m_space(space) {
    useTwiceDifferentiableAttention();
  }
  TrainingBatch prepare(Model& model, const at::Tensor& inputs, const at::Tensor& labels) override {
    EvalModeScope eval(model);
    auto sign = perSampleInputGradient(model, m_space, inputs, labels, false).sign();
    auto z = sign / sampleNorms(sign).clamp_min(1e-12);  // 0 where the gradient vanishes
    return {inputs, labels, {z.detach()}};
  }
  ObjectiveValue loss(Model& model, const TrainingBatch& batch) const override {
    auto logits = model.forward(batch.inputs);
    at::Tensor penalty;
    {
      EvalModeScope eval(model);
      auto shifted =
          m_space.toData(m_space.fromData(batch.inputs) + m_config.cureH * batch.extra.at(0));
      auto g0 = perSampleInputGradient(model, m_space, batch.inputs, batch.labels, true);
      auto g1 = perSampleInputGradient(model, m_space, shifted, batch.labels, true);
      penalty = (g1 - g0).pow(2).flatten(1).sum(1).mean();
    }
    return {m_base(logits, batch.labels) + m_config.cureGamma * penalty, logits};
  }

 private:
  RobustConfig m_config;
  InputSpace m_space;
};

// Gaussian-noise consistency: one forward of [x, x + σ_1 n_1, …] (so BatchNorm sees them as one
// batch, as AugMix does), base(f(x), y) (or its mean over all copies with noiseCe) + λ·JS among
// the softmax of all copies. The copies (batch.extra) are drawn in prepare(), clamped to pixels.
class NoiseJsd : public TrainingObjective {
 public:
  NoiseJsd(const RobustConfig& c, const InputSpace& space, uint64_t seed)
      : m_config(c),
        m_space(space),
        m_sigmas(parsePositiveList(c.noiseSigmas, "--noise-sigmas")),
        m_generator(at::detail::createCPUGenerator(seed)) {}
  TrainingBatch prepare(Model&, const at::Tensor& inputs, const at::Tensor& labels) override {
    TrainingBatch batch{inputs, labels, {}};
    const auto u0 = space().fromData(inputs);
    for (double sigma : m_sigmas) {
      auto noise =
          torch::randn(u0.sizes(), m_generator, torch::TensorOptions().dtype(torch::kFloat64));
      batch.extra.push_back(
          space().toData(space().clamp(u0 + sigma * noise.to(u0.options()))).detach());
    }
    return batch;
  }
  ObjectiveValue loss(Model& model, const TrainingBatch& batch) const override {
    std::vector<at::Tensor> all = {batch.inputs};
    all.insert(all.end(), batch.extra.begin(), batch.extra.end());
    auto logits = model.forward(torch::cat(all)).split(batch.inputs.size(0));
    at::Tensor base = m_base(logits[0], batch.labels);
    if (m_config.noiseCe) {
      for (size_t k = 1; k < logits.size(); ++k) base = base + m_base(logits[k], batch.labels);
      base = base / double(logits.size());
    }
    std::vector<at::Tensor> logProbabilities;
    for (const auto& l : logits) logProbabilities.push_back(torch::log_softmax(l, 1));
    return {base + m_config.jsdLambda * jensenShannon(logProbabilities), logits[0]};
  }

 private:
  const InputSpace& space() const { return m_space; }
  RobustConfig m_config;
  InputSpace m_space;
  std::vector<double> m_sigmas;
  at::Generator m_generator;
};

}  // namespace

std::unique_ptr<TrainingObjective> makeTrainingObjective(const RobustConfig& config,
                                                         LossFunction base, const InputSpace& space,
                                                         uint64_t seed) {
  std::unique_ptr<TrainingObjective> objective;
  switch (config.method) {
    case RobustMethod::None:
      objective = std::make_unique<Standard>();
      break;
    case RobustMethod::PgdAt:
      objective = std::make_unique<PgdAt>(config, space, seed);
      break;
    case RobustMethod::Trades:
      objective = std::make_unique<Trades>(config, space, seed);
      break;
    case RobustMethod::Cure:
      objective = std::make_unique<Cure>(config, space);
      break;
    case RobustMethod::NoiseJsd:
      objective = std::make_unique<NoiseJsd>(config, space, seed);
      break;
    case RobustMethod::HSat:
    case RobustMethod::PSat:
      objective = std::make_unique<Sat>(config, space, seed);
      break;
  }
  objective->setBaseLoss(std::move(base));
  return objective;
}

}  // namespace flatland::training
