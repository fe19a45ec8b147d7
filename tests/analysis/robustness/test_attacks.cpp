// FGSM and PGD against a direct PyTorch-style computation (exact: no random start, no clamping),
// and the properties every attack must have: inside its ball, valid pixels, restarts only help.
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/nn/functional/loss.h>
#include <torch/types.h>

#include "flatland/analysis/adversarial.h"
#include "flatland/errors.h"
#include "robustness_fixtures.h"

namespace {

using namespace flatland;
using namespace flatland::analysis;
namespace F = torch::nn::functional;

at::Tensor gradientOf(training::Model& model, const at::Tensor& x, const at::Tensor& y) {
  auto leaf = x.detach().requires_grad_(true);
  auto loss = F::cross_entropy(model.forward(leaf), y);
  return torch::autograd::grad({loss}, {leaf})[0];
}

// PGD as PyTorch users write it (Madry et al.; torchattacks' PGD and PGDL2), without random
// start and without clamping.
at::Tensor directPgd(training::Model& model, const at::Tensor& x, const at::Tensor& y, double eps,
                     double alpha, int steps, bool l2) {
  auto adv = x.clone();
  for (int s = 0; s < steps; ++s) {
    auto g = gradientOf(model, adv, y);
    if (l2) {
      auto norms = g.view({g.size(0), -1}).norm(2, 1) + 1e-10;
      adv = adv + alpha * (g / norms.view({-1, 1}));
      auto delta = adv - x;
      auto factor = (eps / delta.view({delta.size(0), -1}).norm(2, 1)).clamp_max(1.0);
      adv = x + delta * factor.view({-1, 1});
    } else {
      adv = adv + alpha * g.sign();
      adv = x + (adv - x).clamp(-eps, eps);
    }
  }
  return adv.detach();
}

struct AttackSetup {
  training::Dataset data = flatland::testing::gaussianInputs(64, 20, 3, 5);
  std::unique_ptr<training::Model> model = flatland::testing::zoo("mlp-tanh", data, 2);
  InputSpace space{data, InputUnits::Data, /*clamp=*/false};
};

TEST(Attacks, FgsmEqualsTheDirectComputationExactly) {
  AttackSetup s;
  AttackOptions o;
  o.kind = AttackKind::Fgsm;
  o.eps = 0.1;
  auto ours = adversarialBatch(*s.model, s.space, s.data.inputs, s.data.labels, o);
  auto direct = s.data.inputs + 0.1 * gradientOf(*s.model, s.data.inputs, s.data.labels).sign();
  EXPECT_TRUE(torch::equal(ours, direct));
}

TEST(Attacks, PgdLinfWithoutRandomStartEqualsTheDirectComputationExactly) {
  AttackSetup s;
  AttackOptions o;
  o.kind = AttackKind::PgdLinf;
  o.eps = 0.2;
  o.steps = 7;
  o.stepFraction = 0.25;
  o.randomStart = false;
  auto ours = adversarialBatch(*s.model, s.space, s.data.inputs, s.data.labels, o);
  auto direct = directPgd(*s.model, s.data.inputs, s.data.labels, 0.2, 0.05, 7, false);
  EXPECT_TRUE(torch::equal(ours, direct));
}

TEST(Attacks, PgdL2WithoutRandomStartEqualsTheDirectComputationExactly) {
  AttackSetup s;
  AttackOptions o;
  o.kind = AttackKind::PgdL2;
  o.eps = 0.5;
  o.steps = 7;
  o.stepFraction = 0.25;
  o.randomStart = false;
  auto ours = adversarialBatch(*s.model, s.space, s.data.inputs, s.data.labels, o);
  auto direct = directPgd(*s.model, s.data.inputs, s.data.labels, 0.5, 0.125, 7, true);
  EXPECT_TRUE(torch::equal(ours, direct));
}

TEST(Attacks, StayInsideTheirBallAndRaiseTheLoss) {
  AttackSetup s;
  for (auto kind : {AttackKind::Fgsm, AttackKind::PgdLinf, AttackKind::PgdL2}) {
    AttackOptions o;
    o.kind = kind;
    o.eps = 0.3;
    o.seed = 4;
    auto adv = adversarialBatch(*s.model, s.space, s.data.inputs, s.data.labels, o);
    auto delta = adv - s.data.inputs;
    // float32: the projection itself rounds, hence the relative 1e-6.
    if (kind == AttackKind::PgdL2)
      EXPECT_LE(delta.norm(2, 1).max().item<double>(), 0.3 * (1 + 1e-6)) << attackName(kind);
    else
      EXPECT_LE(delta.abs().max().item<double>(), 0.3 * (1 + 1e-6)) << attackName(kind);
    torch::NoGradGuard noGrad;
    const double clean =
        F::cross_entropy(s.model->forward(s.data.inputs), s.data.labels).item<double>();
    const double attacked = F::cross_entropy(s.model->forward(adv), s.data.labels).item<double>();
    EXPECT_GT(attacked, clean) << attackName(kind);
  }
}

TEST(Attacks, ClampKeepsPixelsValidInBothUnits) {
  auto data = flatland::testing::pixelImages(32, 3);
  auto model = flatland::testing::zoo("mlp", data, 1);
  for (auto units : {InputUnits::Data, InputUnits::Pixel}) {
    InputSpace space(data, units, true);
    ASSERT_TRUE(space.clamps());
    for (auto kind : {AttackKind::Fgsm, AttackKind::PgdLinf, AttackKind::PgdL2}) {
      AttackOptions o;
      o.kind = kind;
      o.eps = kind == AttackKind::PgdL2 ? 3.0 : 0.5;
      auto adv = adversarialBatch(*model, space, data.inputs, data.labels, o);
      auto pixels = adv * 0.4 + 0.3;
      EXPECT_GE(pixels.min().item<double>(), -1e-6);
      EXPECT_LE(pixels.max().item<double>(), 1 + 1e-6);
    }
  }
  InputSpace unclamped(data, InputUnits::Pixel, false);
  EXPECT_FALSE(unclamped.clamps());
}

TEST(Attacks, PixelUnitsScaleTheRadiusByTheStandardDeviation) {
  // FGSM of ε pixels moves each standardised input by ε / std.
  auto data = flatland::testing::pixelImages(16, 7);
  auto model = flatland::testing::zoo("mlp-tanh", data, 2);
  AttackOptions o;
  o.kind = AttackKind::Fgsm;
  o.eps = 0.02;
  auto pixel = adversarialBatch(*model, InputSpace(data, InputUnits::Pixel, false), data.inputs,
                                data.labels, o);
  o.eps = 0.02 / 0.4;
  auto direct = adversarialBatch(*model, InputSpace(data, InputUnits::Data, false), data.inputs,
                                 data.labels, o);
  EXPECT_LT((pixel - direct).abs().max().item<double>(),
            1e-5);  // float32 rounding of the unit change
}

TEST(Attacks, PixelUnitsNeedAPixelScale) {
  auto data = flatland::testing::gaussianInputs(8, 20, 3, 1);
  EXPECT_THROW(InputSpace(data, InputUnits::Pixel, true), InvalidArgument);
  InputSpace space(data, InputUnits::Data, true);
  EXPECT_FALSE(space.clamps());  // no valid range is known
}

TEST(RobustAccuracy, RestartsNeverHelpTheModelAndTinyRadiiChangeNothing) {
  AttackSetup s;
  AttackOptions one;
  one.kind = AttackKind::PgdLinf;
  one.eps = 0.5;
  one.seed = 11;
  auto three = one;
  three.restarts = 3;
  auto tiny = one;
  tiny.eps = 1e-7;
  auto r = robustAccuracy(*s.model, s.data, s.space, {one, three, tiny}, 20);
  ASSERT_EQ(r.attacks.size(), 3u);
  // The first try of three is the single try (same seed): the worst of three is at least as bad.
  EXPECT_LE(r.attacks[1].accuracy, r.attacks[0].accuracy);
  EXPECT_DOUBLE_EQ(r.attacks[2].accuracy, r.cleanAccuracy);
  EXPECT_NEAR(r.attacks[2].loss, r.cleanLoss, 1e-5);
  EXPECT_LT(r.attacks[0].accuracy, r.cleanAccuracy);
  ASSERT_EQ(r.attacks[0].perClassAccuracy.size(), 3u);
  EXPECT_EQ(r.samples, 64);
}

TEST(AttackChoices, ParseListsAndRefuseNonsense) {
  EXPECT_EQ(parseAttackList("fgsm,pgd-l2").size(), 2u);
  EXPECT_THROW(parseAttackList("fgsm,fgsm"), InvalidArgument);
  EXPECT_THROW(parseAttackList("cw"), InvalidArgument);
  EXPECT_EQ(parsePositiveList("0.05,0.1", "radii"), (std::vector<double>{0.05, 0.1}));
  EXPECT_THROW(parsePositiveList("0.1,-1", "radii"), InvalidArgument);
  EXPECT_THROW(parsePositiveList("0.1,x", "radii"), InvalidArgument);
}

}  // namespace
