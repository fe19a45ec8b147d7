// Mode connectivity: the curves' weights, a model connected with itself (no barrier on any
// path), a network and a copy with permuted hidden units (the same function at both ends; the
// measured linear barrier is the one a direct evaluation gives), a trained curve that lowers
// that barrier, BatchNorm statistics recomputed along a path, and the working model restored.
//
// Tolerances: path points and direct evaluations run the same float32 model on the same data;
// (1 − t)·A + t·A differs from A by rounding (1e-6 relative on the loss).
#include <gtest/gtest.h>
#include <torch/autograd.h>
#include <torch/nn/functional/loss.h>
#include <torch/types.h>

#include <cmath>

#include "flatland/analysis/mode_connectivity.h"
#include "flatland/errors.h"
#include "flatland/training/checkpoint.h"
#include "flatland/training/evaluate.h"
#include "flatland/training/model.h"

using namespace flatland;
using namespace flatland::analysis;

namespace {

training::Dataset spirals() { return training::makeSynthetic("spirals", 300, 5); }

// A few hundred SGD steps on the spirals, so the model sits in a basin.
std::unique_ptr<training::Model> trainedMlp(const training::Dataset& data, uint64_t seed) {
  auto model = training::makeZooModel("mlp", {{2}, data.numClasses}, seed);
  auto params = model->parameters();
  model->setTraining(true);
  for (int step = 0; step < 300; ++step) {
    auto loss = torch::nn::functional::cross_entropy(model->forward(data.inputs), data.labels);
    auto grads = torch::autograd::grad({loss}, params);
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < params.size(); ++i) params[i].sub_(0.2 * grads[i]);
  }
  model->setTraining(false);
  return model;
}

// The same function with the first hidden layer's units permuted.
std::unique_ptr<training::Model> withPermutedHiddenUnits(const training::Model& model) {
  auto copy = model.clone();
  auto params = copy->namedParameters();
  const auto permutation = torch::randperm(params[0].tensor.size(0), torch::kLong);
  torch::NoGradGuard noGrad;
  params[0].tensor.copy_(params[0].tensor.index_select(0, permutation));  // weight rows
  params[1].tensor.copy_(params[1].tensor.index_select(0, permutation));  // bias
  params[2].tensor.copy_(params[2].tensor.index_select(1, permutation));  // next layer's columns
  return copy;
}

}  // namespace

TEST(ModeConnectivity, CurvesStartAtTheFirstModelEndAtTheSecondAndPassTheBend) {
  for (auto type : {CurveType::Linear, CurveType::Bezier, CurveType::Polychain}) {
    for (double t : {0.0, 0.1, 0.37, 0.5, 0.8, 1.0}) {
      const auto w = curveWeights(type, t);
      EXPECT_NEAR(w.from + w.bend + w.to, 1.0, 1e-15) << toString(type) << " " << t;
    }
    EXPECT_EQ(curveWeights(type, 0.0).from, 1.0);
    EXPECT_EQ(curveWeights(type, 1.0).to, 1.0);
  }
  const auto bezier = curveWeights(CurveType::Bezier, 0.5);
  EXPECT_DOUBLE_EQ(bezier.from, 0.25);
  EXPECT_DOUBLE_EQ(bezier.bend, 0.5);
  EXPECT_DOUBLE_EQ(bezier.to, 0.25);
  EXPECT_DOUBLE_EQ(curveWeights(CurveType::Polychain, 0.5).bend, 1.0);
  EXPECT_DOUBLE_EQ(curveWeights(CurveType::Polychain, 0.25).from, 0.5);
  EXPECT_DOUBLE_EQ(curveWeights(CurveType::Polychain, 0.75).to, 0.5);
  EXPECT_EQ(barrierOf({1.0, 3.0, 2.0}), 1.5);
  EXPECT_EQ(barrierOf({2.0, 1.0, 2.0}), 0.0);
  for (const auto& name : curveTypeNames()) EXPECT_EQ(toString(parseCurveType(name)), name);
  EXPECT_THROW(parseCurveType("spline"), InvalidArgument);
}

TEST(ModeConnectivity, AModelConnectedWithItselfHasNoBarrier) {
  auto data = spirals();
  auto model = trainedMlp(data, 1);
  const double loss = training::evaluate(*model, data).loss;
  for (auto type : {CurveType::Linear, CurveType::Bezier, CurveType::Polychain}) {
    ConnectOptions o;
    o.curve = type;
    o.epochs = 2;
    o.weightDecay = 0.0;
    o.points = 5;
    auto copy = model->clone();
    auto r = connectModels(*model, *copy, data, nullptr, o);
    EXPECT_NEAR(r.linear.barrier, 0.0, 1e-6 * loss) << toString(type);
    for (double l : r.linear.trainLoss) EXPECT_NEAR(l, loss, 1e-6 * loss);
    // A trained bend can only go lower between the ends; the ends are the model itself.
    EXPECT_NEAR(r.curve.barrier, 0.0, 1e-6 * loss) << toString(type);
    EXPECT_NEAR(r.curve.trainLoss.front(), loss, 1e-6 * loss);
    EXPECT_NEAR(r.curve.trainLoss.back(), loss, 1e-6 * loss);
  }
}

TEST(ModeConnectivity, PermutedHiddenUnitsGiveEqualEndsAndTheMeasuredLinearBarrier) {
  auto data = spirals();
  auto a = trainedMlp(data, 2);
  torch::manual_seed(3);
  auto b = withPermutedHiddenUnits(*a);
  const double lossA = training::evaluate(*a, data).loss;
  EXPECT_NEAR(training::evaluate(*b, data).loss, lossA, 1e-6 * lossA);
  const auto before = a->flatParameters().clone();
  ConnectOptions o;
  o.curve = CurveType::Linear;
  o.points = 3;
  auto r = connectModels(*a, *b, data, &data, o);
  EXPECT_TRUE(torch::equal(a->flatParameters(), before)) << "the working model is restored";
  ASSERT_EQ(r.t, (std::vector<double>{0.0, 0.5, 1.0}));
  EXPECT_NEAR(r.linear.trainLoss[0], lossA, 1e-6 * lossA);
  EXPECT_NEAR(r.linear.trainLoss[2], lossA, 1e-6 * lossA);
  auto midpoint = a->clone();
  midpoint->setFlatParameters(0.5 * (a->flatParameters() + b->flatParameters()));
  const double lossMid = training::evaluate(*midpoint, data).loss;
  EXPECT_NEAR(r.linear.trainLoss[1], lossMid, 1e-6 * lossMid);
  EXPECT_NEAR(r.linear.barrier, std::max(lossMid, lossA) - lossA, 1e-6 * lossMid);
  EXPECT_EQ(r.linear.testLoss, r.linear.trainLoss);  // the same data as test data
  EXPECT_TRUE(r.bend.groups.empty());
}

// Garipov et al.'s finding on a small scale: a Bézier curve trained between the two ends finds a
// path whose highest loss is below the straight line's.
TEST(ModeConnectivity, ATrainedCurveLowersTheLinearBarrier) {
  auto data = spirals();
  auto a = trainedMlp(data, 4);
  torch::manual_seed(5);
  auto b = withPermutedHiddenUnits(*a);
  ConnectOptions o;
  o.curve = CurveType::Bezier;
  o.epochs = 30;
  o.batchSize = 50;
  o.learningRate = 0.05;
  o.points = 11;
  auto r = connectModels(*a, *b, data, nullptr, o);
  ASSERT_EQ(r.trainingLoss.size(), 30u);
  EXPECT_GT(r.linear.barrier, 0.05) << "the permuted copy should not be linearly connected";
  EXPECT_LT(r.curve.barrier, 0.5 * r.linear.barrier);
  EXPECT_LT(r.trainingLoss.back(), r.trainingLoss.front());
  ASSERT_FALSE(r.bend.groups.empty());
  // The bend loads as a model of its own.
  auto bend = a->clone();
  training::loadCheckpoint(*bend, r.bend);
  EXPECT_FALSE(torch::equal(bend->flatParameters(), a->flatParameters()));
}

// With BatchNorm every point gets statistics for its own weights: connected with itself, a
// ResNet's path is flat, and its buffers come back afterwards.
TEST(ModeConnectivity, BatchNormStatisticsAreRecomputedAlongThePath) {
  training::Dataset data;
  torch::manual_seed(6);
  data.inputs = torch::randn({32, 3, 8, 8});
  data.labels = torch::randint(0, 10, {32}, torch::kInt64);
  data.numClasses = 10;
  auto a = training::makeZooModel("resnet20", {{3, 8, 8}, 10}, 1);
  a->setTraining(false);
  std::vector<at::Tensor> buffers;
  for (auto& b : a->namedBuffers()) buffers.push_back(b.tensor.clone());
  auto copy = a->clone();
  ConnectOptions o;
  o.curve = CurveType::Linear;
  o.points = 3;
  o.evalBatchSize = 16;
  auto r = connectModels(*a, *copy, data, nullptr, o);
  EXPECT_NEAR(r.linear.trainLoss[1], r.linear.trainLoss[0], 1e-6 * r.linear.trainLoss[0]);
  // Fresh statistics, not the untouched initial ones (mean 0, variance 1).
  const double initial = training::evaluate(*a, data).loss;
  EXPECT_GT(std::abs(r.linear.trainLoss[0] - initial), 1e-4);
  auto after = a->namedBuffers();
  for (size_t i = 0; i < buffers.size(); ++i)
    EXPECT_TRUE(torch::equal(after[i].tensor, buffers[i]));
}

TEST(ModeConnectivity, DifferentArchitecturesAreRefused) {
  auto data = spirals();
  auto a = training::makeZooModel("mlp", {{2}, data.numClasses}, 1);
  auto b = training::makeZooModel("linear", {{2}, data.numClasses}, 1);
  EXPECT_THROW(connectModels(*a, *b, data, nullptr, {}), ModelError);
}
