// Each robust objective against a computation by hand. The model is a linear layer z = Wx + b
// with the cross-entropy, whose input and weight gradients are known in closed form:
// ∇ₓℓ = Wᵀ(p − e_y), ∂ℓ/∂W = (p − e_y)xᵀ, ∂ℓ/∂b = p − e_y, p = softmax(z). Everything runs in
// float64 on data without a pixel scale (no clamping); tolerances are stated where used.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>

#include "flatland/errors.h"
#include "flatland/training/model.h"
#include "flatland/training/robust_objective.h"
#include "flatland/training/sharpness_step.h"
#include "flatland/training/train_config.h"

using namespace flatland::training;

namespace {

constexpr double kTol = 1e-12;  // rounding only: the same arithmetic in another order

at::Tensor crossEntropy(const at::Tensor& logits, const at::Tensor& labels) {
  return torch::nll_loss(torch::log_softmax(logits, 1), labels);
}

struct Fixture {
  std::unique_ptr<Model> model;
  at::Tensor W, b, x, y;
  Dataset data;

  Fixture() {
    model = makeZooModel("linear", ModelShape{{2}, 3}, 0);
    model->to(torch::kCPU, torch::kFloat64);
    W = torch::tensor({0.5, -1.0, 0.25, 2.0, -0.75, 1.5}, torch::kFloat64).view({3, 2});
    b = torch::tensor({0.1, -0.2, 0.3}, torch::kFloat64);
    model->setFlatParameters(torch::cat({W.flatten(), b}));
    model->setTraining(true);
    x = torch::tensor({{1.0, 2.0}, {-0.5, 0.75}, {0.3, -1.2}}, torch::kFloat64);
    y = torch::tensor({0, 2, 1}, torch::kInt64);
    data.inputs = x;
    data.labels = y;
    data.numClasses = 3;
    data.spec = "test";
  }
  InputSpace space() const { return InputSpace(data, InputUnits::Data, true); }
  at::Tensor probabilities(const at::Tensor& inputs) const {
    return torch::softmax(torch::matmul(inputs, W.t()) + b, 1);
  }
  at::Tensor residual(const at::Tensor& inputs) const {  // p − e_y, per sample
    return probabilities(inputs) - torch::one_hot(y, 3).to(torch::kFloat64);
  }
  // Per-sample ∇ₓℓ_i = Wᵀ(p_i − e_{y_i}).
  at::Tensor inputGradient(const at::Tensor& inputs) const {
    return torch::matmul(residual(inputs), W);
  }
  double meanCrossEntropy(const at::Tensor& inputs) const {
    return -probabilities(inputs).log().gather(1, y.view({-1, 1})).mean().item<double>();
  }
};

void expectNear(const at::Tensor& actual, const at::Tensor& expected, double tol,
                const char* what) {
  EXPECT_LT((actual - expected).abs().max().item<double>(), tol) << what;
}

// Two PGD-ℓ∞ steps of 0.25·ε = 0.075 from the sample itself (deterministic).
RobustConfig pgdAtFromTheSample() {
  RobustConfig rc;
  rc.method = RobustMethod::PgdAt;
  rc.eps = 0.3;
  rc.steps = 2;
  rc.noRandomStart = true;
  return rc;
}

}  // namespace

// PGD-AT: the update is the cross-entropy gradient at the PGD example, itself computed by hand:
// u ← x + clip_ε(u + α·sign(∇ₓℓ(u)) − x), from x (no random start).
TEST(RobustTraining, PgdAtGradientIsTheCrossEntropyGradientAtThePgdExample) {
  Fixture f;
  RobustConfig rc;
  rc.method = RobustMethod::PgdAt;
  rc.eps = 0.3;
  rc.steps = 3;
  rc.stepFraction = 0.4;
  rc.noRandomStart = true;
  auto objective = makeTrainingObjective(rc, crossEntropy, f.space(), 0);
  auto batch = objective->prepare(*f.model, f.x, f.y);
  for (auto& p : f.model->parameters())
    EXPECT_FALSE(p.grad().defined()) << "the attack touched grad()";
  EXPECT_TRUE(f.model->isTraining()) << "train mode not restored after the attack";

  at::Tensor u = f.x.clone();
  for (int s = 0; s < 3; ++s) {
    u = u + rc.stepFraction * rc.eps * f.inputGradient(u).sign();
    u = f.x + (u - f.x).clamp(-rc.eps, rc.eps);
  }
  expectNear(batch.inputs, u, kTol, "PGD example");

  auto result = computeUpdateGradient(*f.model, batch, objective->function(), OptimizerConfig{});
  auto r = f.residual(u);
  auto params = f.model->parameters();
  expectNear(params[0].grad(), torch::matmul(r.t(), u) / 3.0, kTol, "dL/dW at the PGD example");
  expectNear(params[1].grad(), r.mean(0), kTol, "dL/db at the PGD example");
  EXPECT_NEAR(result.loss, f.meanCrossEntropy(u), kTol);
  EXPECT_GT(result.loss, f.meanCrossEntropy(f.x)) << "the attack did not raise the loss";
}

// TRADES: the loss is CE(f(x), y) + β·KL(p(x) ‖ p(x')) with the x' it prepared, and that x' lies
// in the ε ball and has a larger KL than its start at x (≈ x + 0.001·noise).
TEST(RobustTraining, TradesLossIsCrossEntropyPlusBetaKl) {
  Fixture f;
  RobustConfig rc;
  rc.method = RobustMethod::Trades;
  rc.eps = 0.25;
  rc.steps = 4;
  rc.tradesBeta = 6.0;
  auto objective = makeTrainingObjective(rc, crossEntropy, f.space(), 5);
  auto batch = objective->prepare(*f.model, f.x, f.y);
  ASSERT_EQ(batch.extra.size(), 1u);
  auto adversarial = batch.extra[0];
  EXPECT_LE((adversarial - f.x).abs().max().item<double>(), rc.eps + kTol);

  auto p = f.probabilities(f.x), q = f.probabilities(adversarial);
  auto kl = (p * (p.log() - q.log())).sum(1).mean().item<double>();
  EXPECT_GT(kl, 1e-3) << "PGD on the KL left x' next to x";
  auto result = computeUpdateGradient(*f.model, batch, objective->function(), OptimizerConfig{});
  EXPECT_NEAR(result.loss, f.meanCrossEntropy(f.x) + rc.tradesBeta * kl, kTol);

  // The update differentiates both terms: against central differences of the same loss in W
  // (float64, step 1e-6: truncation ~1e-12, rounding ~1e-10).
  auto grads = f.model->parameters()[0].grad().clone();
  const double h = 1e-6;
  for (int64_t i = 0; i < 6; ++i) {
    auto lossAt = [&](double delta) {
      auto w = f.W.clone();
      w.view(-1)[i] += delta;
      auto pw = torch::softmax(torch::matmul(f.x, w.t()) + f.b, 1);
      auto qw = torch::softmax(torch::matmul(adversarial, w.t()) + f.b, 1);
      auto ce = -pw.log().gather(1, f.y.view({-1, 1})).mean();
      return (ce + rc.tradesBeta * (pw * (pw.log() - qw.log())).sum(1).mean()).item<double>();
    };
    EXPECT_NEAR(grads.view(-1)[i].item<double>(), (lossAt(h) - lossAt(-h)) / (2 * h), 1e-7)
        << "dL/dW " << i;
  }
}

// CURE: the penalty is γ·mean_i ‖∇ℓ_i(x_i + h z_i) − ∇ℓ_i(x_i)‖² with z = sign(∇ℓ)/‖sign(∇ℓ)‖,
// the input gradients in closed form; its weight gradient (a double backward) matches central
// differences of the regularised loss.
TEST(RobustTraining, CurePenaltyIsTheFiniteDifferenceOfInputGradients) {
  Fixture f;
  RobustConfig rc;
  rc.method = RobustMethod::Cure;
  rc.cureGamma = 4.0;
  rc.cureH = 0.5;
  auto objective = makeTrainingObjective(rc, crossEntropy, f.space(), 0);
  auto batch = objective->prepare(*f.model, f.x, f.y);
  auto sign = f.inputGradient(f.x).sign();
  auto z = sign / sign.norm(2, 1, true);
  expectNear(batch.extra.at(0), z, kTol, "CURE direction z");

  auto cureLoss = [&](const at::Tensor& w, const at::Tensor& bias) {
    auto gradAt = [&](const at::Tensor& inputs) {
      auto p = torch::softmax(torch::matmul(inputs, w.t()) + bias, 1);
      return torch::matmul(p - torch::one_hot(f.y, 3).to(torch::kFloat64), w);
    };
    auto p = torch::softmax(torch::matmul(f.x, w.t()) + bias, 1);
    auto ce = -p.log().gather(1, f.y.view({-1, 1})).mean();
    auto penalty = (gradAt(f.x + rc.cureH * z) - gradAt(f.x)).pow(2).sum(1).mean();
    return (ce + rc.cureGamma * penalty).item<double>();
  };
  auto result = computeUpdateGradient(*f.model, batch, objective->function(), OptimizerConfig{});
  const double expected = cureLoss(f.W, f.b);
  EXPECT_NEAR(result.loss, expected, kTol);
  EXPECT_GT(expected - f.meanCrossEntropy(f.x), 1e-4)
      << "the penalty vanished: the test would not see it";

  // Central differences in float64, step 1e-6: truncation ~1e-12 × third derivative, rounding
  // ~1e-16/1e-6; 1e-7 leaves room for both.
  auto params = f.model->parameters();
  const double h = 1e-6;
  for (int64_t i = 0; i < 6; ++i) {
    auto plus = f.W.clone(), minus = f.W.clone();
    plus.view(-1)[i] += h;
    minus.view(-1)[i] -= h;
    EXPECT_NEAR(params[0].grad().view(-1)[i].item<double>(),
                (cureLoss(plus, f.b) - cureLoss(minus, f.b)) / (2 * h), 1e-7)
        << "dL/dW " << i;
  }
  for (int64_t i = 0; i < 3; ++i) {
    auto plus = f.b.clone(), minus = f.b.clone();
    plus[i] += h;
    minus[i] -= h;
    EXPECT_NEAR(params[1].grad()[i].item<double>(),
                (cureLoss(f.W, plus) - cureLoss(f.W, minus)) / (2 * h), 1e-7)
        << "dL/db " << i;
  }
}

// JS(p, q) = ½[KL(p ‖ m) + KL(q ‖ m)], m = (p + q)/2, on given probabilities, written out.
TEST(RobustTraining, JensenShannonEqualsItsClosedForm) {
  auto p = torch::tensor({{0.5, 0.5}, {0.2, 0.8}}, torch::kFloat64);
  auto q = torch::tensor({{0.9, 0.1}, {0.2, 0.8}}, torch::kFloat64);
  const double first = 0.5 * (0.5 * std::log(0.5 / 0.7) + 0.5 * std::log(0.5 / 0.3) +
                              0.9 * std::log(0.9 / 0.7) + 0.1 * std::log(0.1 / 0.3));
  const double expected = (first + 0.0) / 2.0;  // the second sample's two distributions agree
  EXPECT_NEAR(jensenShannon({p.log(), q.log()}).item<double>(), expected, kTol);
  // Three distributions: (1/3) Σ KL(p_k ‖ m), m their mean.
  auto r = torch::tensor({{0.3, 0.7}, {0.6, 0.4}}, torch::kFloat64);
  auto m = (p + q + r) / 3.0;
  auto direct =
      ((p * (p / m).log()).sum(1) + (q * (q / m).log()).sum(1) + (r * (r / m).log()).sum(1))
          .mean() /
      3.0;
  EXPECT_NEAR(jensenShannon({p.log(), q.log(), r.log()}).item<double>(), direct.item<double>(),
              kTol);
  EXPECT_THROW(jensenShannon({p.log()}), flatland::InvalidArgument);
}

// Noise consistency: CE on the clean batch (and with noiseCe the mean over all copies) + λ·JS of
// the softmax on the clean batch and on its noisy copies (one per σ, ‖x' − x‖ of order σ).
TEST(RobustTraining, NoiseJsdIsCrossEntropyPlusLambdaJs) {
  for (bool noiseCe : {false, true}) {
    Fixture f;
    RobustConfig rc;
    rc.method = RobustMethod::NoiseJsd;
    rc.noiseSigmas = "0.1,0.5";
    rc.jsdLambda = 12.0;
    rc.noiseCe = noiseCe;
    auto objective = makeTrainingObjective(rc, crossEntropy, f.space(), 3);
    auto batch = objective->prepare(*f.model, f.x, f.y);
    ASSERT_EQ(batch.extra.size(), 2u);
    EXPECT_LT((batch.extra[0] - f.x).abs().max().item<double>(),
              (batch.extra[1] - f.x).abs().max().item<double>());
    auto p0 = f.probabilities(f.x), p1 = f.probabilities(batch.extra[0]),
         p2 = f.probabilities(batch.extra[1]);
    auto m = (p0 + p1 + p2) / 3.0;
    auto js =
        ((p0 * (p0 / m).log()).sum(1) + (p1 * (p1 / m).log()).sum(1) + (p2 * (p2 / m).log()).sum(1))
            .mean() /
        3.0;
    double ce = f.meanCrossEntropy(f.x);
    if (noiseCe)
      ce = (ce + f.meanCrossEntropy(batch.extra[0]) + f.meanCrossEntropy(batch.extra[1])) / 3.0;
    auto result = computeUpdateGradient(*f.model, batch, objective->function(), OptimizerConfig{});
    EXPECT_NEAR(result.loss, ce + rc.jsdLambda * js.item<double>(), kTol) << "noiseCe " << noiseCe;
  }
}

// The objectives compose with SAM: the perturbed pass sees the batch prepared at w, so PGD-AT
// under SAM equals SAM on the PGD examples.
TEST(RobustTraining, PgdAtComposesWithSam) {
  Fixture f, g;
  const RobustConfig rc = pgdAtFromTheSample();
  OptimizerConfig sam;
  sam.method = SharpnessMethod::Sam;
  sam.rho = 0.1;
  auto objective = makeTrainingObjective(rc, crossEntropy, f.space(), 0);
  auto batch = objective->prepare(*f.model, f.x, f.y);
  computeUpdateGradient(*f.model, batch, objective->function(), sam);
  computeUpdateGradient(*g.model, batch.inputs, g.y, crossEntropy, sam);
  for (size_t i = 0; i < 2; ++i)
    expectNear(f.model->parameters()[i].grad(), g.model->parameters()[i].grad(), kTol,
               "SAM on PGD examples");
}

// Attacks are crafted in eval mode: BatchNorm's running statistics see only the update's
// train-mode pass(es), and the model is back in train mode.
TEST(RobustTraining, AttacksLeaveBatchNormStatisticsAlone) {
  for (auto method : {RobustMethod::PgdAt, RobustMethod::Trades, RobustMethod::Cure}) {
    auto model = makeZooModel("resnet20", ModelShape{{3, 8, 8}, 4}, 1);
    model->setTraining(true);
    auto reference = model->clone();
    auto x = torch::randn({6, 3, 8, 8});
    auto y = torch::tensor({0, 1, 2, 3, 0, 1}, torch::kInt64);
    Dataset data;
    data.inputs = x;
    data.labels = y;
    data.numClasses = 4;
    RobustConfig rc;
    rc.method = method;
    rc.steps = 2;
    auto objective =
        makeTrainingObjective(rc, crossEntropy, InputSpace(data, InputUnits::Data, true), 0);
    auto batch = objective->prepare(*model, x, y);
    EXPECT_TRUE(model->isTraining());
    auto a = model->namedBuffers(), b = reference->namedBuffers();
    for (size_t i = 0; i < a.size(); ++i)
      EXPECT_TRUE(torch::equal(a[i].tensor, b[i].tensor)) << a[i].name << " method " << int(method);
  }
}

TEST(RobustTraining, SatDifficultyRampsLinearlyOverTheRamp) {
  EXPECT_EQ(satDifficulty(0.0, 0, 10), 0.0);
  EXPECT_DOUBLE_EQ(satDifficulty(2.5, 0, 10), 0.5);  // ramp 0: half of the 10 epochs
  EXPECT_EQ(satDifficulty(5.0, 0, 10), 1.0);
  EXPECT_EQ(satDifficulty(9.0, 0, 10), 1.0);
  EXPECT_DOUBLE_EQ(satDifficulty(1.0, 4, 10), 0.25);
  EXPECT_DOUBLE_EQ(satDifficulty(0.5, 0, 1), 0.5);  // one epoch: the ramp is at least one epoch
}

namespace {

// PGD-ℓ∞ from x (no random start) by hand; a sample stops before a step once the softmax
// probability of its label is at or below `stop` (stop 0: never).
at::Tensor handPgd(const Fixture& f, double eps, int steps, double fraction, double stop) {
  at::Tensor u = f.x.clone();
  for (int s = 0; s < steps; ++s) {
    auto moving = (f.probabilities(u).gather(1, f.y.view({-1, 1})) > stop).to(torch::kFloat64);
    auto next = u + fraction * eps * f.inputGradient(u).sign();
    next = f.x + (next - f.x).clamp(-eps, eps);
    u = moving * next + (1 - moving) * u;
  }
  return u;
}

RobustConfig satConfig(RobustMethod method) {
  RobustConfig rc;
  rc.method = method;
  rc.eps = 0.3;
  rc.steps = 3;
  rc.stepFraction = 0.4;
  rc.noRandomStart = true;
  rc.satRampEpochs = 10;
  return rc;
}

}  // namespace

// H-SAT: clean at the start, PGD of radius d·ε on the way, PGD-AT's example at the ramp's end.
TEST(RobustTraining, HSatAttacksWithTheCurriculumsRadius) {
  Fixture f;
  const RobustConfig rc = satConfig(RobustMethod::HSat);
  auto objective = makeTrainingObjective(rc, crossEntropy, f.space(), 0);
  objective->setEpochProgress(0.0, 20);
  EXPECT_TRUE(torch::equal(objective->prepare(*f.model, f.x, f.y).inputs, f.x));
  objective->setEpochProgress(4.0, 20);  // d = 0.4
  expectNear(objective->prepare(*f.model, f.x, f.y).inputs, handPgd(f, 0.4 * rc.eps, 3, 0.4, 0),
             kTol, "H-SAT at d = 0.4");
  objective->setEpochProgress(15.0, 20);
  expectNear(objective->prepare(*f.model, f.x, f.y).inputs, handPgd(f, rc.eps, 3, 0.4, 0), kTol,
             "H-SAT after the ramp");
  EXPECT_TRUE(f.model->isTraining());
}

// P-SAT: the full radius, each sample stopping once p_y falls to 1 − d; at d = 0 the batch is
// clean, at d = 1 it is PGD-AT's.
TEST(RobustTraining, PSatStopsEachSampleAtTheCurriculumsProbability) {
  Fixture f;
  const RobustConfig rc = satConfig(RobustMethod::PSat);
  auto objective = makeTrainingObjective(rc, crossEntropy, f.space(), 0);
  objective->setEpochProgress(0.0, 20);
  EXPECT_TRUE(torch::equal(objective->prepare(*f.model, f.x, f.y).inputs, f.x));
  // A target between the samples' clean probabilities: some stop at once, others move.
  auto clean = std::get<0>(f.probabilities(f.x).gather(1, f.y.view({-1, 1})).flatten().sort());
  const double target = 0.5 * (clean[0].item<double>() + clean[1].item<double>());
  objective->setEpochProgress(10.0 * (1.0 - target), 20);
  auto batch = objective->prepare(*f.model, f.x, f.y);
  auto expected = handPgd(f, rc.eps, 3, 0.4, target);
  expectNear(batch.inputs, expected, 1e-9, "P-SAT");  // d round trip: 1 − (1 − p) within 1e-16
  auto unmoved = (expected - f.x).abs().sum(1) == 0;
  EXPECT_GT(unmoved.sum().item<int64_t>(), 0) << "no sample stopped: the test proves nothing";
  EXPECT_LT(unmoved.sum().item<int64_t>(), 3) << "every sample stopped: the test proves nothing";
  objective->setEpochProgress(12.0, 20);
  expectNear(objective->prepare(*f.model, f.x, f.y).inputs, handPgd(f, rc.eps, 3, 0.4, 0), kTol,
             "P-SAT after the ramp");
}

// AWP composes with PGD-AT as in Wu et al.: the weight ascent is on the adversarial loss, i.e.
// AWP on the PGD examples.
TEST(RobustTraining, AwpComposesWithPgdAt) {
  Fixture f, g;
  const RobustConfig rc = pgdAtFromTheSample();
  OptimizerConfig awp;
  awp.method = SharpnessMethod::Awp;
  awp.awpGamma = 0.02;
  auto objective = makeTrainingObjective(rc, crossEntropy, f.space(), 0);
  auto batch = objective->prepare(*f.model, f.x, f.y);
  auto result = computeUpdateGradient(*f.model, batch, objective->function(), awp);
  // By hand: ε_W = γ‖W‖·g_W/‖g_W‖ on the PGD examples; the gradient at W + ε_W.
  auto r = f.residual(batch.inputs);
  auto gW = torch::matmul(r.t(), batch.inputs) / 3.0;
  auto epsW = awp.awpGamma * f.W.norm() * gW / gW.norm();
  expectNear(result.perturbation[0], epsW, kTol, "AWP epsilon on the adversarial loss");
  g.model->setFlatParameters(torch::cat({(f.W + epsW).flatten(), f.b}));
  computeUpdateGradient(*g.model, batch.inputs, g.y, crossEntropy, OptimizerConfig{});
  for (size_t i = 0; i < 2; ++i)
    expectNear(f.model->parameters()[i].grad(), g.model->parameters()[i].grad(), kTol,
               "AWP update = gradient at the perturbed weights");
}

TEST(RobustTraining, ValidateRefusesBadSettings) {
  TrainConfig c;
  c.robust.method = RobustMethod::NoiseJsd;
  c.robust.noiseSigmas = "0.1,-1";
  EXPECT_THROW(validate(c), flatland::InvalidArgument);
  c.robust.noiseSigmas = "0.1";
  EXPECT_NO_THROW(validate(c));
  c.robust.method = RobustMethod::Cure;
  c.optimizer.method = SharpnessMethod::Hero;
  EXPECT_THROW(validate(c), flatland::InvalidArgument);
  c.optimizer.method = SharpnessMethod::Sam;
  c.robust.eps = 0;
  EXPECT_THROW(validate(c), flatland::InvalidArgument);
  c.robust.eps = 0.1;
  c.robust.satRampEpochs = -1;
  EXPECT_THROW(validate(c), flatland::InvalidArgument);
  c.robust.satRampEpochs = 0;
  c.optimizer.method = SharpnessMethod::Awp;
  c.optimizer.awpGamma = 0;
  EXPECT_THROW(validate(c), flatland::InvalidArgument);
}
