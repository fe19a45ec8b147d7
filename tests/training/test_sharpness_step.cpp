// Each sharpness-aware rule against a step computed by hand. The model is a linear layer
// z = Wx + b with the loss L = ½‖z‖², whose gradient is known in closed form:
// ∂L/∂W = z xᵀ, ∂L/∂b = z (one sample). Everything runs in float64; the tolerance 1e-12 is
// rounding only.
#include <gtest/gtest.h>
#include <torch/types.h>

#include "flatland/errors.h"
#include "flatland/training/model.h"
#include "flatland/training/sharpness_step.h"

using namespace flatland::training;

namespace {

constexpr double kTol = 1e-12;

struct Fixture {
  std::unique_ptr<Model> model;
  at::Tensor W, b, x;

  Fixture() {
    model = makeZooModel("linear", ModelShape{{2}, 3}, 0);
    model->to(torch::kCPU, torch::kFloat64);
    W = torch::tensor({0.5, -1.0, 0.25, 2.0, -0.75, 1.5}, torch::kFloat64).view({3, 2});
    b = torch::tensor({0.1, -0.2, 0.3}, torch::kFloat64);
    model->setFlatParameters(torch::cat({W.flatten(), b}));
    model->setTraining(true);
    x = torch::tensor({{1.0, 2.0}}, torch::kFloat64);
  }
};

LossFunction halfSquare() {
  return
      [](const at::Tensor& logits, const at::Tensor&) { return 0.5 * logits.pow(2).sum(1).mean(); };
}

// Closed-form gradient of ½‖Wx + b‖² for one sample x (1×2).
std::pair<at::Tensor, at::Tensor> gradient(const at::Tensor& W, const at::Tensor& b,
                                           const at::Tensor& x) {
  auto z = torch::matmul(W, x.t()).flatten() + b;
  return {torch::outer(z, x.flatten()), z};
}

double norm2(const at::Tensor& a, const at::Tensor& c) {
  return std::sqrt(a.pow(2).sum().item<double>() + c.pow(2).sum().item<double>());
}

void expectNear(const at::Tensor& actual, const at::Tensor& expected, const char* what) {
  EXPECT_LT((actual - expected).abs().max().item<double>(), kTol) << what;
}

void expectRestored(const Fixture& f) {
  auto params = f.model->parameters();
  EXPECT_TRUE(torch::equal(params[0], f.W)) << "weights not restored exactly";
  EXPECT_TRUE(torch::equal(params[1], f.b)) << "bias not restored exactly";
}

}  // namespace

TEST(SharpnessStep, PlainGradient) {
  Fixture f;
  OptimizerConfig c;
  auto result =
      computeUpdateGradient(*f.model, f.x, torch::zeros({1}, torch::kInt64), halfSquare(), c);
  auto [gW, gb] = gradient(f.W, f.b, f.x);
  auto params = f.model->parameters();
  expectNear(params[0].grad(), gW, "dL/dW");
  expectNear(params[1].grad(), gb, "dL/db");
  EXPECT_NEAR(result.loss, 0.5 * gb.pow(2).sum().item<double>(), kTol);
  EXPECT_TRUE(result.perturbation.empty());
}

TEST(SharpnessStep, SamPerturbsAlongTheNormalisedGradientAndRestores) {
  Fixture f;
  OptimizerConfig c;
  c.method = SharpnessMethod::Sam;
  c.rho = 0.05;
  auto result =
      computeUpdateGradient(*f.model, f.x, torch::zeros({1}, torch::kInt64), halfSquare(), c);
  auto [gW, gb] = gradient(f.W, f.b, f.x);
  const double scale = c.rho / (norm2(gW, gb) + 1e-12);
  auto epsW = gW * scale, epsb = gb * scale;
  expectNear(result.perturbation[0], epsW, "epsilon W");
  expectNear(result.perturbation[1], epsb, "epsilon b");
  auto [g2W, g2b] = gradient(f.W + epsW, f.b + epsb, f.x);
  auto params = f.model->parameters();
  expectNear(params[0].grad(), g2W, "perturbed dL/dW");
  expectNear(params[1].grad(), g2b, "perturbed dL/db");
  expectRestored(f);
}

TEST(SharpnessStep, AsamScalesByWeightMagnitude) {
  Fixture f;
  OptimizerConfig c;
  c.method = SharpnessMethod::Asam;
  c.rho = 0.5;
  c.asamEta = 0.01;
  auto result =
      computeUpdateGradient(*f.model, f.x, torch::zeros({1}, torch::kInt64), halfSquare(), c);
  auto [gW, gb] = gradient(f.W, f.b, f.x);
  auto tW = f.W.abs() + c.asamEta, tb = f.b.abs() + c.asamEta;
  const double denominator = norm2(tW * gW, tb * gb) + 1e-12;
  auto epsW = c.rho * tW * tW * gW / denominator, epsb = c.rho * tb * tb * gb / denominator;
  expectNear(result.perturbation[0], epsW, "ASAM epsilon W");
  expectNear(result.perturbation[1], epsb, "ASAM epsilon b");
  auto [g2W, g2b] = gradient(f.W + epsW, f.b + epsb, f.x);
  expectNear(f.model->parameters()[0].grad(), g2W, "ASAM perturbed dL/dW");
  expectRestored(f);
}

// AWP moves the weight matrix by γ‖W‖ along its own gradient direction and leaves the bias (rank
// 1) in place; the update is the gradient there.
TEST(SharpnessStep, AwpMovesEachWeightMatrixByGammaTimesItsNorm) {
  Fixture f;
  OptimizerConfig c;
  c.method = SharpnessMethod::Awp;
  c.awpGamma = 0.01;
  auto result =
      computeUpdateGradient(*f.model, f.x, torch::zeros({1}, torch::kInt64), halfSquare(), c);
  auto [gW, gb] = gradient(f.W, f.b, f.x);
  auto epsW = c.awpGamma * f.W.norm() * gW / (gW.norm() + 1e-20);
  expectNear(result.perturbation[0], epsW, "AWP epsilon W");
  EXPECT_TRUE(torch::equal(result.perturbation[1], torch::zeros_like(f.b))) << "bias moved";
  EXPECT_NEAR(result.perturbation[0].norm().item<double>(), c.awpGamma * f.W.norm().item<double>(),
              kTol);
  auto [g2W, g2b] = gradient(f.W + epsW, f.b, f.x);
  auto params = f.model->parameters();
  expectNear(params[0].grad(), g2W, "AWP perturbed dL/dW");
  expectNear(params[1].grad(), g2b, "AWP perturbed dL/db");
  expectRestored(f);
}

TEST(SharpnessStep, MSharpnessAveragesPerSubBatchPerturbedGradients) {
  Fixture f;
  auto x = torch::tensor({{1.0, 2.0}, {-0.5, 0.75}}, torch::kFloat64);
  OptimizerConfig c;
  c.method = SharpnessMethod::Sam;
  c.rho = 0.1;
  c.mSharpness = 1;
  computeUpdateGradient(*f.model, x, torch::zeros({2}, torch::kInt64), halfSquare(), c);
  at::Tensor expectW = torch::zeros_like(f.W), expectB = torch::zeros_like(f.b);
  for (int i = 0; i < 2; ++i) {
    auto xi = x.slice(0, i, i + 1);
    auto [gW, gb] = gradient(f.W, f.b, xi);
    const double scale = c.rho / (norm2(gW, gb) + 1e-12);
    auto [g2W, g2b] = gradient(f.W + gW * scale, f.b + gb * scale, xi);
    expectW += g2W / 2.0;
    expectB += g2b / 2.0;
  }
  expectNear(f.model->parameters()[0].grad(), expectW, "m-sharpness dL/dW");
  expectNear(f.model->parameters()[1].grad(), expectB, "m-sharpness dL/db");
  expectRestored(f);
}

TEST(SharpnessStep, GradientNormPenaltyMixesPlainAndPerturbedGradients) {
  Fixture f;
  OptimizerConfig c;
  c.method = SharpnessMethod::Gnp;
  c.gnpR = 0.1;
  c.gnpAlpha = 0.8;
  computeUpdateGradient(*f.model, f.x, torch::zeros({1}, torch::kInt64), halfSquare(), c);
  auto [gW, gb] = gradient(f.W, f.b, f.x);
  const double scale = c.gnpR / (norm2(gW, gb) + 1e-12);
  auto [grW, grb] = gradient(f.W + gW * scale, f.b + gb * scale, f.x);
  expectNear(f.model->parameters()[0].grad(), 0.2 * gW + 0.8 * grW, "GNP dL/dW");
  expectNear(f.model->parameters()[1].grad(), 0.2 * gb + 0.8 * grb, "GNP dL/db");
  expectRestored(f);
}

// HERO: update = g₁ + ∇R, R = λ·mean((g₁_W − g₀_W)²) over the weight matrix only. With
// D = g₁_W − g₀_W and n = |W|: ∂R/∂W = λ(2/n)(Dx)xᵀ and ∂R/∂b = λ(2/n)Dx (derived by hand from
// ∂(z xᵀ)_ij/∂W_kl = δ_ik x_j x_l and ∂(z xᵀ)_ij/∂b_k = δ_ik x_j).
TEST(SharpnessStep, HeroAddsTheHessianPenaltyGradient) {
  for (bool adaptive : {false, true}) {
    Fixture f;
    OptimizerConfig c;
    c.method = SharpnessMethod::Hero;
    c.rho = 0.5;
    c.heroLambda = 5.0;
    c.heroAdaptive = adaptive;
    auto result =
        computeUpdateGradient(*f.model, f.x, torch::zeros({1}, torch::kInt64), halfSquare(), c);
    auto [gW, gb] = gradient(f.W, f.b, f.x);
    at::Tensor epsW, epsb;
    if (adaptive) {
      auto tW = f.W.abs() + c.asamEta, tb = f.b.abs() + c.asamEta;
      const double denominator = norm2(tW * gW, tb * gb) + 1e-12;
      epsW = c.rho * tW * tW * gW / denominator;
      epsb = c.rho * tb * tb * gb / denominator;
    } else {
      const double scale = c.rho / (norm2(gW, gb) + 1e-12);
      epsW = gW * scale;
      epsb = gb * scale;
    }
    expectNear(result.perturbation[0], epsW, "HERO epsilon");
    auto [g1W, g1b] = gradient(f.W + epsW, f.b + epsb, f.x);
    auto D = g1W - gW;
    const double k = c.heroLambda * 2.0 / double(D.numel());
    auto Dx = torch::matmul(D, f.x.t()).flatten();
    expectNear(f.model->parameters()[0].grad(), g1W + k * torch::outer(Dx, f.x.flatten()),
               "HERO dL/dW");
    expectNear(f.model->parameters()[1].grad(), g1b + k * Dx, "HERO dL/db");
    expectRestored(f);
  }
}

// BatchNorm running statistics must come from the unperturbed pass only (Foret 2021's recipe).
TEST(SharpnessStep, BatchNormStatisticsSeeOnlyTheUnperturbedPass) {
  for (auto method :
       {SharpnessMethod::Sam, SharpnessMethod::Asam, SharpnessMethod::Gnp, SharpnessMethod::Hero}) {
    auto model = makeZooModel("resnet20", ModelShape{{3, 8, 8}, 4}, 1);
    model->setTraining(true);
    auto reference = model->clone();
    auto x = torch::randn({6, 3, 8, 8});
    auto y = torch::tensor({0, 1, 2, 3, 0, 1}, torch::kInt64);
    {
      torch::NoGradGuard noGrad;
      reference->forward(x);  // one unperturbed pass
    }
    OptimizerConfig c;
    c.method = method;
    auto ce = [](const at::Tensor& logits, const at::Tensor& labels) {
      return torch::nll_loss(torch::log_softmax(logits, 1), labels);
    };
    computeUpdateGradient(*model, x, y, ce, c);
    auto a = model->namedBuffers(), b = reference->namedBuffers();
    for (size_t i = 0; i < a.size(); ++i)
      EXPECT_TRUE(torch::allclose(a[i].tensor.to(torch::kFloat64), b[i].tensor.to(torch::kFloat64),
                                  1e-6, 1e-7))
          << a[i].name << " method " << int(method);
  }
}

TEST(SharpnessStep, NonFiniteLossIsANumericalError) {
  Fixture f;
  auto x = torch::tensor({{std::nan(""), 1.0}}, torch::kFloat64);
  OptimizerConfig c;
  EXPECT_THROW(
      computeUpdateGradient(*f.model, x, torch::zeros({1}, torch::kInt64), halfSquare(), c),
      flatland::NumericalError);
}
