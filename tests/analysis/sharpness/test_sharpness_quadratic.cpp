// Sharpness measures against closed forms on an exactly quadratic loss: linear regression with
// mean squared error in float64, at its least-squares minimum, on a design whose features are
// orthogonal columns of a Hadamard matrix, so the Hessian is diagonal and known:
//   L(w + δ) − L(w) = ½ δᵀHδ exactly (the gradient at the minimum is zero),
//   H = diag(2 s_j² for each class and feature j, 2 for each bias).
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <numeric>

#include "flatland/analysis/average_sharpness.h"
#include "flatland/analysis/direction.h"
#include "flatland/analysis/pac_bayes_flatness.h"
#include "flatland/analysis/worst_case_sharpness.h"
#include "flatland/errors.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"

using namespace flatland;
using namespace flatland::analysis;
using namespace flatland::training;

namespace {

constexpr int64_t kSamples = 16, kFeatures = 8, kClasses = 3;
// Feature scales, exact in binary: the Hessian's eigenvalues are 2 s_j² (and 2 for the biases).
const double kScales[kFeatures] = {3, 2, 1.5, 1.25, 1, 0.75, 0.5, 0.25};

struct Quadratic {
  Dataset data;
  std::unique_ptr<Model> model;
  LossFunction mse;
  at::Tensor hessianDiagonal;  // in the model's flat order: weight [C, D] row-major, then bias [C]
  double lambdaMax = 0, trace = 0, traceOfSquare = 0;
};

Quadratic makeQuadratic() {
  Quadratic q;
  // Columns 1…8 of the 16×16 Sylvester–Hadamard matrix: ±1, orthogonal to each other and to the
  // column of ones, so X̃ᵀX̃ = N·diag(s², 1).
  auto x = torch::empty({kSamples, kFeatures}, torch::kFloat32);
  for (int64_t i = 0; i < kSamples; ++i)
    for (int64_t j = 0; j < kFeatures; ++j)
      x[i][j] = (__builtin_popcountll(uint64_t(i & (j + 1))) % 2 ? -1.0 : 1.0) * kScales[j];
  q.data.inputs = x;
  q.data.labels = torch::arange(kSamples, torch::kInt64).remainder(kClasses);
  q.data.numClasses = kClasses;
  q.data.spec = "hadamard";
  q.data.classNames = {"a", "b", "c"};
  q.model = makeZooModel("linear", {{kFeatures}, kClasses}, 1);
  q.model->to(c10::Device(c10::kCPU), torch::kFloat64);
  q.mse = [](const at::Tensor& out, const at::Tensor& labels) {
    auto target = torch::one_hot(labels, kClasses).to(out.dtype());
    return (out - target).pow(2).sum(1).mean();
  };
  // The least-squares minimum: W_cj = Σ_i x_ij y_ic / (N s_j²), b_c = mean_i y_ic.
  auto xd = x.to(torch::kFloat64);
  auto y = torch::one_hot(q.data.labels, kClasses).to(torch::kFloat64);
  auto scales = torch::tensor(std::vector<double>(kScales, kScales + kFeatures), torch::kFloat64);
  auto weight = y.t().mm(xd) / (double(kSamples) * scales.pow(2));
  auto bias = y.mean(0);
  q.model->setFlatParameters(torch::cat({weight.reshape({-1}), bias}));
  q.hessianDiagonal = torch::cat(
      {(2.0 * scales.pow(2)).repeat({kClasses}), torch::full({kClasses}, 2.0, torch::kFloat64)});
  q.lambdaMax = q.hessianDiagonal.max().item<double>();
  q.trace = q.hessianDiagonal.sum().item<double>();
  q.traceOfSquare = q.hessianDiagonal.pow(2).sum().item<double>();
  return q;
}

TEST(QuadraticSharpness, TheModelIsAtTheMinimum) {
  auto q = makeQuadratic();
  // The loss on a random δ is ½δᵀHδ to rounding: checks the set-up every other test relies on.
  torch::NoGradGuard noGrad;
  auto lossNow = [&] {
    return q.mse(q.model->forward(q.data.inputs.to(torch::kFloat64)), q.data.labels).item<double>();
  };
  auto w = q.model->flatParameters();
  const double base = lossNow();
  torch::manual_seed(1);
  auto delta = torch::randn({w.numel()}, torch::kFloat64) * 0.1;
  q.model->setFlatParameters(w + delta);
  const double moved = lossNow();
  const double expected = 0.5 * (delta.pow(2) * q.hessianDiagonal).sum().item<double>();
  EXPECT_NEAR(moved - base, expected, 1e-12 * expected);
}

WorstCaseOptions quadraticOptions(const Quadratic& q, PerturbationNorm norm, double rho) {
  WorstCaseOptions o;
  o.rho = rho;
  o.norm = norm;
  o.loss = q.mse;
  o.seed = 3;
  return o;
}

TEST(QuadraticSharpness, WorstCaseL2IsHalfRhoSquaredLambdaMax) {
  auto q = makeQuadratic();
  auto o = quadraticOptions(q, PerturbationNorm::L2, 0.1);
  // Normalised steps of length ρ then projection: a power iteration on I + H/λ̄, whose error
  // shrinks by ((1 + λ₂/λ₁)/2)² ≈ 0.52 per step here (λ₂/λ₁ = 4/9); 60 steps leave ~1e-17.
  o.steps = 60;
  o.stepSize = 1.0;
  const auto r = worstCaseSharpness(*q.model, q.data, o);
  const double expected = 0.5 * o.rho * o.rho * q.lambdaMax;
  EXPECT_NEAR(r.sharpness, expected, 1e-9 * expected);
  EXPECT_NEAR(r.perturbedLoss - r.baseLoss, r.sharpness, 1e-15);
  EXPECT_EQ(r.subBatches, 1);
  EXPECT_EQ(r.gradients, 60);
}

TEST(QuadraticSharpness, WorstCaseLinfOnADiagonalQuadraticIsHalfRhoSquaredSumOfCurvatures) {
  auto q = makeQuadratic();
  auto o = quadraticOptions(q, PerturbationNorm::Linf, 0.05);
  // From |z_i| ≤ ρ/2 each sign step of ρ/2 moves z_i away from 0 (∂L/∂z_i = h_i z_i, h_i > 0):
  // after two steps every entry sits at ±ρ, the maximiser ρ²Σ|h_i|/2 of ½Σh_iδ_i², exactly.
  o.steps = 4;
  o.stepSize = 0.5;
  const auto r = worstCaseSharpness(*q.model, q.data, o);
  const double expected = 0.5 * o.rho * o.rho * q.hessianDiagonal.abs().sum().item<double>();
  EXPECT_NEAR(r.sharpness, expected, 1e-12 * expected);
}

TEST(QuadraticSharpness, AdaptiveLinfScalesEachCurvatureByTheWeight) {
  auto q = makeQuadratic();
  auto o = quadraticOptions(q, PerturbationNorm::Linf, 0.5);
  o.adaptive = true;
  o.eta = 0.01;
  o.steps = 4;
  // δ = T z with T = |w| + η: the maximum over ‖z‖∞ ≤ ρ of ½ Σ h_i T_i² z_i² is ρ² Σ h_i T_i² / 2.
  auto t = q.model->flatParameters().abs() + o.eta;
  const double expected = 0.5 * o.rho * o.rho * (q.hessianDiagonal * t.pow(2)).sum().item<double>();
  const auto r = worstCaseSharpness(*q.model, q.data, o);
  EXPECT_NEAR(r.sharpness, expected, 1e-12 * expected);
}

TEST(QuadraticSharpness, MSharpnessAveragesTheMaximaOfTheSubBatches) {
  auto q = makeQuadratic();
  auto o = quadraticOptions(q, PerturbationNorm::L2, 0.1);
  o.steps = 5;
  o.m = 6;  // sub-batches of 6, 6 and 4 samples
  const auto together = worstCaseSharpness(*q.model, q.data, o);
  EXPECT_EQ(together.subBatches, 3);
  // Each sub-batch alone, with the seed the split gives it (seed + index): the weighted mean of
  // their maxima is the m-sharpness.
  double expected = 0, expectedLoss = 0;
  for (int64_t b = 0; b < 3; ++b) {
    auto part =
        q.data.select(torch::arange(b * 6, std::min<int64_t>(16, b * 6 + 6), torch::kInt64));
    auto alone = o;
    alone.m = 0;
    alone.seed = o.seed + uint64_t(b);
    const auto r = worstCaseSharpness(*q.model, part, alone);
    expected += r.sharpness * double(part.size()) / 16.0;
    expectedLoss += r.perturbedLoss * double(part.size()) / 16.0;
  }
  EXPECT_NEAR(together.sharpness, expected, 1e-12);
  EXPECT_NEAR(together.perturbedLoss, expectedLoss, 1e-12);
  // The sub-batches' own gradients are not zero at w, so their maxima exceed the full set's.
  o.m = 0;
  EXPECT_GT(together.sharpness, worstCaseSharpness(*q.model, q.data, o).sharpness);
}

TEST(QuadraticSharpness, WorstCaseRestoresTheWeightsAndChecksItsSettings) {
  auto q = makeQuadratic();
  auto before = q.model->flatParameters();
  auto o = quadraticOptions(q, PerturbationNorm::L2, 0.1);
  worstCaseSharpness(*q.model, q.data, o);
  EXPECT_TRUE(torch::equal(before, q.model->flatParameters()));
  o.rho = 0;
  EXPECT_THROW(worstCaseSharpness(*q.model, q.data, o), InvalidArgument);
  o.rho = 0.1;
  o.m = 17;
  EXPECT_THROW(worstCaseSharpness(*q.model, q.data, o), InvalidArgument);
  CancelToken token;
  token.cancel();
  JobControl control;
  control.cancel = &token;
  o.m = 0;
  EXPECT_THROW(worstCaseSharpness(*q.model, q.data, o, control), Cancelled);
  EXPECT_TRUE(torch::equal(before, q.model->flatParameters()));
}

TEST(QuadraticSharpness, GaussianAverageIsHalfSigmaSquaredTrace) {
  auto q = makeQuadratic();
  AverageCaseOptions o;
  o.draws = 400;
  o.seed = 11;
  o.loss = q.mse;
  const double sigma = 0.01;
  const auto r = gaussianSharpness(*q.model, q.data, sigma, o);
  // E[½σ²εᵀHε] = σ² tr H / 2; Var[½σ²εᵀHε] = σ⁴ tr(H²)/2 for Gaussian ε. The mean of 400 draws
  // lies within 4 of its true standard errors with probability > 0.9999.
  const double expected = 0.5 * sigma * sigma * q.trace;
  const double trueStderr =
      sigma * sigma * std::sqrt(q.traceOfSquare / 2.0) / std::sqrt(double(o.draws));
  EXPECT_NEAR(r.increase, expected, 4.0 * trueStderr);
  // The reported standard error estimates the true one: within 30% for 400 draws (the sample
  // standard deviation of a χ²-like variable varies by ~√(κ/4n) ≈ 10% here).
  EXPECT_NEAR(r.increaseStderr, trueStderr, 0.3 * trueStderr);
  EXPECT_EQ(r.draws, 400);
}

TEST(QuadraticSharpness, PacBayesSigmaMatchesTheClosedFormOnItsOwnDraws) {
  auto q = makeQuadratic();
  PacBayesOptions o;
  o.threshold = 0.02;
  o.iterations = 45;
  o.average.draws = 50;
  o.average.seed = 5;
  o.average.loss = q.mse;
  const auto r = pacBayesFlatness(*q.model, q.data, o);
  ASSERT_TRUE(r.bracketed);
  // With the same draws the mean increase is σ²·Q/2, Q = mean_k ε_kᵀHε_k, read off at any σ₀:
  // σ* = sqrt(2·threshold / Q). Bisection halves a bracket of at most 2σ* 45 times.
  const double sigma0 = 0.01;
  const double q0 =
      2.0 * gaussianSharpness(*q.model, q.data, sigma0, o.average).increase / (sigma0 * sigma0);
  const double exact = std::sqrt(2.0 * o.threshold / q0);
  EXPECT_NEAR(r.sigma, exact, 1e-10 * exact);
  EXPECT_LE(r.increase, o.threshold);
  // And in expectation Q = tr H: σ*² = 2·threshold / tr H, within 4 standard deviations of Q's
  // mean over 50 draws (Var[εᵀHε] = 2 tr H²), propagated to σ*².
  const double closedForm = 2.0 * o.threshold / q.trace;
  const double relativeSpread =
      std::sqrt(2.0 * q.traceOfSquare / double(o.average.draws)) / q.trace;
  EXPECT_NEAR(r.sigma * r.sigma, closedForm, 4.0 * relativeSpread * closedForm);
}

TEST(QuadraticSharpness, RandomFilterNormalisedProfileIsHalfRhoSquaredDHD) {
  auto q = makeQuadratic();
  AverageCaseOptions o;
  o.draws = 5;
  o.seed = 2;
  o.loss = q.mse;
  const std::vector<double> radii = {0.05, 0.1, 0.5};
  const auto profile = randomDirectionProfile(*q.model, q.data, radii, o);
  ASSERT_EQ(profile.size(), radii.size());
  // Draw k is randomDirections(model, 1, seed + k): its increase at ρ is ρ²·dᵀHd/2 exactly.
  double meanCurvature = 0;
  for (int64_t k = 0; k < o.draws; ++k) {
    auto d = randomDirections(*q.model, 1, o.seed + uint64_t(k))
                 .directions.front()
                 .parameters.to(torch::kFloat64);
    meanCurvature += (d.pow(2) * q.hessianDiagonal).sum().item<double>() / double(o.draws);
  }
  for (size_t r = 0; r < radii.size(); ++r) {
    const double expected = 0.5 * radii[r] * radii[r] * meanCurvature;
    EXPECT_NEAR(profile[r].increase, expected, 1e-10 * expected) << "rho " << radii[r];
    EXPECT_GT(profile[r].lossStd, 0.0);
  }
}

}  // namespace
