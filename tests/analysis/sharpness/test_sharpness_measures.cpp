// Fisher–Rao norm, relative flatness and weight norms against closed forms on softmax and linear
// regression in float64; the rescaling of Dinh et al. (2017) against the function, λ_max and the
// adaptive measures; the whole sharpness job and its stored form.
#include <gtest/gtest.h>
#include <torch/nn/functional/loss.h>
#include <torch/types.h>

#include <cmath>

#include "flatland/analysis/fisher_rao_norm.h"
#include "flatland/analysis/perturbed_loss.h"
#include "flatland/analysis/relative_flatness.h"
#include "flatland/analysis/rescale.h"
#include "flatland/analysis/sharpness_analysis.h"
#include "flatland/analysis/weight_norms.h"
#include "flatland/analysis/worst_case_sharpness.h"
#include "flatland/errors.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"
#include "flatland/training/project_schema.h"

using namespace flatland;
using namespace flatland::analysis;
using namespace flatland::training;

namespace {

std::unique_ptr<Model> float64Zoo(const std::string& name, const Dataset& data, uint64_t seed = 1) {
  auto model = makeZooModel(name, {data.sampleShape(), data.numClasses}, seed);
  model->to(c10::Device(c10::kCPU), torch::kFloat64);
  return model;
}

at::Tensor logitsOf(Model& model, const Dataset& data) {
  torch::NoGradGuard noGrad;
  model.setTraining(false);
  return model.forward(data.inputs.to(torch::kFloat64));
}

TEST(FisherRaoNorm, SoftmaxRegressionClosedForm) {
  auto data = makeSynthetic("blobs", 60, 3);
  auto model = float64Zoo("linear", data);
  // f = W x + b is linear in (W, b), so ⟨w, ∇_w ℓ_i⟩ = ⟨∂ℓ/∂f, f⟩ = ⟨p_i − y_i, f_i⟩ (Liang et al.
  // 2019 with L = 0 hidden layers).
  auto f = logitsOf(*model, data);
  auto p = torch::softmax(f, 1);
  auto y = torch::one_hot(data.labels, data.numClasses).to(torch::kFloat64);
  auto s = ((p - y) * f).sum(1);
  const double expected = s.pow(2).mean().item<double>();
  const auto r = fisherRaoNorm(*model, data, 17);  // batches of 17: checks the accumulation
  EXPECT_NEAR(r.squared, expected, 1e-10 * expected);
  EXPECT_NEAR(r.norm, std::sqrt(expected), 1e-10 * std::sqrt(expected));
  EXPECT_NEAR(r.meanProjection, s.mean().item<double>(),
              1e-10 * std::abs(s.mean().item<double>()) + 1e-14);
  EXPECT_EQ(r.samples, 60);
}

TEST(FisherRaoNorm, CustomLossPerSample) {
  auto data = makeSynthetic("blobs", 30, 4);
  auto model = float64Zoo("linear", data);
  const int64_t c = data.numClasses;
  LossFunction mse = [c](const at::Tensor& out, const at::Tensor& labels) {
    auto target = torch::one_hot(labels, c).to(out.dtype());
    return (out - target).pow(2).sum(1).mean();
  };
  // ℓ_i = ‖f_i − y_i‖², f linear in w: ⟨w, ∇_w ℓ_i⟩ = 2⟨f_i − y_i, f_i⟩.
  auto f = logitsOf(*model, data);
  auto y = torch::one_hot(data.labels, c).to(torch::kFloat64);
  const double expected = (2.0 * ((f - y) * f).sum(1)).pow(2).mean().item<double>();
  EXPECT_NEAR(fisherRaoNorm(*model, data, 1000, mse).squared, expected, 1e-10 * expected);
}

// κ_Tr = Σ_{s,s'} ⟨w_s, w_s'⟩ Tr H_{s,s'} with the softmax-regression Hessian
// H[(s,j),(s',j')] = mean_k (diag p_k − p_k p_kᵀ)_{ss'} x_kj x_kj': Tr H_{s,s'} = mean_k A_k,ss'
// ‖x_k‖².
double softmaxRelativeFlatness(Model& model, const Dataset& data) {
  auto x = data.inputs.to(torch::kFloat64);
  auto p = torch::softmax(logitsOf(model, data), 1);
  auto w = model.namedParameters().front().tensor.detach();
  auto gram = w.mm(w.t());
  auto squares = x.pow(2).sum(1);
  double kappa = 0;
  for (int64_t k = 0; k < data.size(); ++k) {
    auto a = torch::diag(p[k]) - torch::outer(p[k], p[k]);
    kappa += (gram * a).sum().item<double>() * squares[k].item<double>() / double(data.size());
  }
  return kappa;
}

TEST(RelativeFlatness, SoftmaxRegressionClosedFormExactAndHutchinson) {
  auto data = makeSynthetic("blobs", 40, 5);
  auto model = float64Zoo("linear", data);
  const double expected = softmaxRelativeFlatness(*model, data);
  RelativeFlatnessOptions o;
  o.samples = 0;
  const auto exact = relativeFlatness(*model, data, o);
  EXPECT_TRUE(exact.exact);
  EXPECT_EQ(exact.parameter, model->namedParameters().front().name);
  EXPECT_EQ(exact.products, model->namedParameters().front().tensor.numel());
  // Only rounding separates the two (~1e-15 relative per product).
  EXPECT_NEAR(exact.value, expected, 1e-10 * expected);
  o.samples = 300;
  o.seed = 7;
  const auto estimate = relativeFlatness(*model, data, o);
  EXPECT_GT(estimate.standardError, 0.0);
  // Unbiased: within 4 of its standard errors (Hutchinson's spread, estimated from 300 samples).
  EXPECT_NEAR(estimate.value, expected, 4.0 * estimate.standardError);
  o.parameter = "nonsense";
  EXPECT_THROW(relativeFlatness(*model, data, o), InvalidArgument);
}

TEST(WeightNorms, TotalAndPerTensor) {
  auto data = makeSynthetic("blobs", 10, 1);
  auto model = float64Zoo("mlp", data);
  const auto n = weightNorms(*model);
  ASSERT_EQ(n.names.size(), model->namedParameters().size());
  double squares = 0;
  const auto params = model->namedParameters();
  for (size_t i = 0; i < n.names.size(); ++i) {
    const auto& p = params[i];
    EXPECT_EQ(n.names[i], p.name);
    EXPECT_NEAR(n.norms[i], p.tensor.norm().item<double>(), 1e-12);
    squares += p.tensor.pow(2).sum().item<double>();
  }
  EXPECT_NEAR(n.total, model->flatParameters().norm().item<double>(), 1e-12);
  EXPECT_NEAR(n.total * n.total, squares, 1e-10);
}

double lambdaMax(Model& model, const Dataset& data) {
  HessianSettings h;
  h.topK = 1;
  h.eigen.tol = 1e-8;
  return runHessianAnalysis(model, data, h).full.top.values.at(0);
}

TEST(Rescale, SameFunctionDifferentLambdaMaxSameAdaptiveSharpness) {
  auto data = makeSynthetic("blobs", 64, 9);
  auto model = float64Zoo("mlp", data, 4);
  auto rescaled = model->clone();
  const auto change = rescaleLayer(*rescaled, "layers.1", 5.0);
  EXPECT_EQ(change.weight, "layers.1.weight");
  EXPECT_EQ(change.bias, "layers.1.bias");
  EXPECT_EQ(change.next, "layers.3.weight");
  // The function: ReLU(5z)/5 = ReLU(z); in float64 only rounding differs (~1e-16 relative).
  auto before = logitsOf(*model, data), after = logitsOf(*rescaled, data);
  EXPECT_LT((before - after).abs().max().item<double>(), 1e-10 * before.abs().max().item<double>());
  // λ_max is not invariant (Dinh et al. 2017): it moves by far more than Lanczos' tolerance.
  const double l0 = lambdaMax(*model, data), l1 = lambdaMax(*rescaled, data);
  EXPECT_GT(std::abs(l1 - l0), 0.05 * l0) << l0 << " vs " << l1;
  // Adaptive sharpness with T_w = |w| (η = 0) is invariant: L(w + |w| z) is the same function of
  // z for both, so the same start and steps give the same ascent (up to rounding, 1e-9 relative).
  WorstCaseOptions o;
  o.rho = 0.1;
  o.adaptive = true;
  o.eta = 0.0;
  o.steps = 5;
  o.seed = 1;
  for (auto norm : {PerturbationNorm::L2, PerturbationNorm::Linf}) {
    o.norm = norm;
    const double a0 = worstCaseSharpness(*model, data, o).sharpness;
    const double a1 = worstCaseSharpness(*rescaled, data, o).sharpness;
    EXPECT_GT(a0, 0.0);
    EXPECT_NEAR(a1, a0, 1e-9 * a0) << toString(norm);
  }
  // The plain worst case is not invariant.
  o.adaptive = false;
  o.norm = PerturbationNorm::L2;
  const double p0 = worstCaseSharpness(*model, data, o).sharpness;
  const double p1 = worstCaseSharpness(*rescaled, data, o).sharpness;
  EXPECT_GT(std::abs(p1 - p0), 0.01 * p0);
}

TEST(Rescale, RelativeFlatnessIsInvariantWhenTheFeatureLayerIsRescaled) {
  auto data = makeSynthetic("blobs", 40, 2);
  auto model = float64Zoo("mlp", data, 2);
  auto rescaled = model->clone();
  rescaleLayer(*rescaled, "layers.3", 0.25);  // the features ×0.25, the output weights ×4
  RelativeFlatnessOptions o;
  o.samples = 0;
  const double k0 = relativeFlatness(*model, data, o).value,
               k1 = relativeFlatness(*rescaled, data, o).value;
  EXPECT_NEAR(k1, k0, 1e-9 * k0);
}

TEST(Rescale, RefusesLayersItCannotRescale) {
  auto data = makeSynthetic("blobs", 10, 1);
  auto model = float64Zoo("mlp", data);
  auto before = model->flatParameters();
  EXPECT_THROW(rescaleLayer(*model, "layers.5", 2.0), InvalidArgument);  // the output layer
  EXPECT_THROW(rescaleLayer(*model, "layers.9", 2.0), InvalidArgument);
  EXPECT_THROW(rescaleLayer(*model, "layers.1", -1.0), InvalidArgument);
  EXPECT_TRUE(torch::equal(before, model->flatParameters()));
}

TEST(SharpnessAnalysis, RunsEveryMeasureAndStoresThem) {
  auto train = makeSynthetic("blobs", 80, 1), test = makeSynthetic("blobs", 40, 2);
  auto model = float64Zoo("mlp", train);
  SharpnessSettings s;
  s.radii = {0.01, 0.1};
  s.sigmas = {0.01};
  s.average.draws = 3;
  s.worstCase.steps = 3;
  s.traceSamples = 5;
  s.relativeFlatnessSamples = 4;
  s.pacBayesIterations = 5;
  std::vector<double> fractions;
  JobControl control;
  control.onProgress = [&](const ProgressEvent& e) { fractions.push_back(e.fraction); };
  auto before = model->flatParameters();
  const auto r = runSharpnessAnalysis(*model, train, &test, s, control);
  EXPECT_TRUE(torch::equal(before, model->flatParameters()));
  ASSERT_EQ(r.worstCase.size(), 2u);
  ASSERT_EQ(r.randomProfile.size(), 2u);
  ASSERT_EQ(r.gaussian.size(), 1u);
  // The worst case bounds the random directions' mean from above only for the same ball; here
  // both grow with ρ.
  EXPECT_GE(r.worstCase[1].sharpness, r.worstCase[0].sharpness);
  EXPECT_GE(r.worstCase[0].sharpness, 0.0);
  ASSERT_TRUE(r.pacBayes && r.fisherRao && r.relativeFlatness);
  EXPECT_TRUE(r.hasHessian);
  EXPECT_GT(r.lambdaMax, 0.0);
  ASSERT_TRUE(r.hasTest);
  const auto trainEval = evaluateLoss(*model, train, 1000),
             testEval = evaluateLoss(*model, test, 1000);
  EXPECT_NEAR(r.gapLoss, testEval.loss - trainEval.loss, 1e-12);
  EXPECT_NEAR(r.gapAccuracy, trainEval.accuracy - testEval.accuracy, 1e-12);
  ASSERT_FALSE(fractions.empty());
  for (size_t i = 1; i < fractions.size(); ++i) EXPECT_GE(fractions[i], fractions[i - 1] - 1e-12);
  EXPECT_NEAR(fractions.back(), 1.0, 1e-12);

  Provenance provenance;
  provenance.kind = "sharpness";
  provenance.model = "zoo:mlp";
  provenance.data = "synthetic:blobs";
  const auto node = sharpnessNode(r, provenance);
  EXPECT_EQ(std::get<std::string>(node.attributes.at(schema::kKind)), "sharpness");
  EXPECT_EQ(node.group(schema::kWorstCase).dataset(schema::kLossIncrease).size(), 2);
  EXPECT_EQ(node.group(schema::kRandomDirections).dataset(schema::kAccuracyStd).size(), 2);
  EXPECT_EQ(node.group(schema::kGaussian).dataset(schema::kLossIncreaseStderr).size(), 1);
  EXPECT_NEAR(node.number(schema::kGapAccuracy), r.gapAccuracy, 1e-15);
  EXPECT_NEAR(node.number(schema::kLambdaMax), r.lambdaMax, 1e-15);
}

}  // namespace
