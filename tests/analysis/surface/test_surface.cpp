// Surface jobs: the origin, a closed form on a non-square grid, a 3-D grid point by point and
// resumed, resume after a cancel, interpolation endpoints over BatchNorm state, direction reuse,
// and export.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "flatland/analysis/direction.h"
#include "flatland/analysis/loss_surface.h"
#include "flatland/analysis/surface_evaluator.h"
#include "flatland/analysis/surface_export.h"
#include "flatland/errors.h"
#include "flatland/training/evaluate.h"
#include "flatland/training/model.h"
#include "test_util.h"

using namespace flatland;
using namespace flatland::analysis;

namespace {

training::Dataset spirals(int64_t n = 300) { return training::makeSynthetic("spirals", n, 5); }

// The shape of the spirals set (2 features, its classes).
training::ModelShape spiralShape() { return {{2}, spirals(10).numClasses}; }

SurfaceSettings settingsFor(const std::string& grid, const std::string& name = "") {
  SurfaceSettings s;
  s.grid = GridSpec::parse(grid);
  s.batchSize = 128;  // several batches per point
  s.name = name;
  s.modelSpec = "zoo:test";
  s.dataSpec = "synthetic:spirals";
  return s;
}

// Two ResNet-20s for 3×8×8 images, each with its own BatchNorm running statistics (one pass in
// training mode over differently scaled inputs), back in eval mode.
std::pair<std::unique_ptr<training::Model>, std::unique_ptr<training::Model>>
resnetsWithTheirOwnStatistics() {
  auto a = training::makeZooModel("resnet20", {{3, 8, 8}, 10}, 1);
  auto b = training::makeZooModel("resnet20", {{3, 8, 8}, 10}, 2);
  torch::NoGradGuard noGrad;
  a->setTraining(true);
  b->setTraining(true);
  a->forward(torch::randn({16, 3, 8, 8}) * 2 + 1);
  b->forward(torch::randn({16, 3, 8, 8}) * 0.5 - 1);
  a->setTraining(false);
  b->setTraining(false);
  return {std::move(a), std::move(b)};
}

}  // namespace

TEST(Surface, LossAtOriginEqualsTheModelsLossAndTheModelIsRestored) {
  flatland::testing::TempDir dir;
  auto project = training::ProjectFile::openOrCreate(dir.file("p.h5"));
  auto data = spirals();
  auto model = training::makeZooModel("mlp", spiralShape(), 1);
  const auto before = model->flatParameters();
  const bool wasTraining = model->isTraining();
  const auto reference = training::evaluate(*model, data, 1000);
  auto dirs = randomDirections(*model, 2, 9);
  auto result =
      computeSurface(project, *model, dirs, &data, &data, settingsFor("-1:1:3,-1:1:3", "s"));
  EXPECT_TRUE(result.complete);
  EXPECT_EQ(result.pointsComputed, 9);
  EXPECT_NEAR(result.lossAtOrigin, reference.loss, 1e-6 * reference.loss);
  EXPECT_NEAR(result.trainLoss[4], reference.loss, 1e-6 * reference.loss);  // (0, 0) is the centre
  EXPECT_NEAR(result.testAccuracy[4], reference.accuracy, 1e-12);
  EXPECT_TRUE(torch::equal(model->flatParameters(), before));
  EXPECT_EQ(model->isTraining(), wasTraining);
  // A point off the origin has another loss: the directions do move the weights.
  EXPECT_NE(result.trainLoss[0], result.trainLoss[4]);
  // What the file holds is what the job returned.
  auto stored = readSurface(project, "/analyses/s");
  EXPECT_TRUE(stored.complete);
  EXPECT_EQ(stored.trainLoss, result.trainLoss);
  auto node = project.read("/analyses/s", false);
  EXPECT_EQ(node.text("kind"), "surface");
  EXPECT_EQ(node.text("dirs"), "random");
  EXPECT_EQ(node.text("norm"), "filter");
  EXPECT_EQ(node.number("complete"), 1.0);
  EXPECT_EQ(project.readDataset("/analyses/s/train_loss").shape, (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(project.readDataset("/analyses/s/directions/d1").shape,
            (std::vector<int64_t>{model->parameterCount()}));
}

// Softmax regression on a non-square grid against a reference that shares no code with the
// evaluator: the weights θ + x·d + y·e formed in double, then logits, log-sum-exp cross-entropy
// and argmax in plain double loops. A swapped x/y order cannot pass.
TEST(Surface, LinearModelMatchesAClosedFormOnANonSquareGrid) {
  flatland::testing::TempDir dir;
  auto project = training::ProjectFile::openOrCreate(dir.file("p.h5"));
  auto data = spirals(400);
  auto model = training::makeZooModel("linear", spiralShape(), 2);
  auto dirs = randomDirections(*model, 2, 11, DirectionNorm::None, OneDimPolicy::Normalize);
  auto result =
      computeSurface(project, *model, dirs, &data, nullptr, settingsFor("-2:1:5,-0.5:1.5:3"));
  ASSERT_TRUE(result.complete);
  EXPECT_TRUE(result.testLoss.empty());

  // The flat layout of zoo:linear: W (C×D, row-major), then b (C).
  const int64_t n = data.size(), c = data.numClasses, d = 2;
  auto params = model->namedParameters();
  ASSERT_EQ(params.size(), 2u);
  ASSERT_EQ(params[0].tensor.sizes(), (std::vector<int64_t>{c, d}));
  ASSERT_EQ(params[1].tensor.sizes(), (std::vector<int64_t>{c}));
  auto toDoubles = [](const at::Tensor& t) {
    auto v = t.detach().to(torch::kCPU, torch::kDouble).contiguous();
    return std::vector<double>(v.data_ptr<double>(), v.data_ptr<double>() + v.numel());
  };
  const auto theta = toDoubles(model->flatParameters());
  const auto dx = toDoubles(dirs.directions[0].parameters);
  const auto dy = toDoubles(dirs.directions[1].parameters);
  const auto inputs = toDoubles(data.inputs);
  const auto labels = toDoubles(data.labels);
  ASSERT_EQ(theta.size(), size_t(c * d + c));

  const auto xs = GridAxis::parse("-2:1:5").coordinates();
  const auto ys = GridAxis::parse("-0.5:1.5:3").coordinates();
  for (size_t j = 0; j < ys.size(); ++j)
    for (size_t i = 0; i < xs.size(); ++i) {
      std::vector<double> w(theta.size());
      for (size_t q = 0; q < w.size(); ++q) w[q] = theta[q] + xs[i] * dx[q] + ys[j] * dy[q];
      double lossSum = 0.0;
      int64_t surelyRight = 0, ambiguous = 0;
      std::vector<double> z(static_cast<size_t>(c));
      for (int64_t s = 0; s < n; ++s) {
        for (int64_t k = 0; k < c; ++k) {
          double v = w[size_t(c * d + k)];
          for (int64_t a = 0; a < d; ++a) v += w[size_t(k * d + a)] * inputs[size_t(s * d + a)];
          z[size_t(k)] = v;
        }
        const auto label = size_t(labels[size_t(s)]);
        double top = z[0];
        for (double v : z) top = std::max(top, v);
        double sum = 0.0;
        for (double v : z) sum += std::exp(v - top);
        lossSum += top + std::log(sum) - z[label];
        // The largest other logit decides correctness; a gap within float32 rounding of the
        // logits (|z| ≲ 10, ε ≈ 6e-8) could go either way in the model's arithmetic.
        double other = -INFINITY;
        for (size_t k = 0; k < z.size(); ++k)
          if (k != label) other = std::max(other, z[k]);
        if (std::abs(z[label] - other) < 1e-4)
          ++ambiguous;
        else if (z[label] > other)
          ++surelyRight;
      }
      const double loss = lossSum / double(n);
      const size_t flat = j * xs.size() + i;  // [y, x]
      // The evaluator works in float32 (weights formed in place, logits, a pairwise-summed
      // cross-entropy over 400 samples): relative errors of a few ε·log n ≈ 1e-6, so 1e-5
      // leaves a margin of ten while catching any wrong point (neighbours differ by > 1e-2).
      EXPECT_NEAR(result.trainLoss[flat], loss, 1e-5 * std::max(1.0, loss))
          << "x=" << xs[i] << " y=" << ys[j];
      // Exact up to the samples whose top two logits tie within rounding.
      EXPECT_GE(result.trainAccuracy[flat], double(surelyRight) / double(n) - 1e-12)
          << "x=" << xs[i] << " y=" << ys[j];
      EXPECT_LE(result.trainAccuracy[flat], double(surelyRight + ambiguous) / double(n) + 1e-12)
          << "x=" << xs[i] << " y=" << ys[j];
    }
}

// A 3-D grid with a different size on each axis, every point against a direct evaluation of a
// copy of the model at θ + x·d0 + y·d1 + z·d2, stored [z, y, x] (flat (k·ny + j)·nx + i), and
// exported [x, y, z] (loss-landscape) and x-fastest (VTK).
TEST(Surface, ThreeDimensionalGridMatchesDirectEvaluationInZYXOrder) {
  flatland::testing::TempDir dir;
  auto project = training::ProjectFile::openOrCreate(dir.file("p.h5"));
  auto data = spirals(200);
  auto model = training::makeZooModel("mlp", spiralShape(), 6);
  auto dirs = randomDirections(*model, 3, 21);
  const std::string grid = "-1:1:3,-0.5:1:4,0:0.5:2";
  auto result = computeSurface(project, *model, dirs, &data, &data, settingsFor(grid, "cube"));
  ASSERT_TRUE(result.complete);
  EXPECT_EQ(result.pointsComputed, 24);
  EXPECT_EQ(result.grid.text(), grid);
  EXPECT_EQ(project.readDataset("/analyses/cube/train_loss").shape,
            (std::vector<int64_t>{2, 4, 3}));  // [nz, ny, nx]
  EXPECT_EQ(project.readDataset("/analyses/cube/done").shape, (std::vector<int64_t>{2, 4, 3}));
  const auto xs = GridAxis::parse("-1:1:3").coordinates();
  const auto ys = GridAxis::parse("-0.5:1:4").coordinates();
  const auto zs = GridAxis::parse("0:0.5:2").coordinates();
  EXPECT_EQ(project.readDataset("/analyses/cube/xcoordinates").asDoubles(), xs);
  EXPECT_EQ(project.readDataset("/analyses/cube/ycoordinates").asDoubles(), ys);
  EXPECT_EQ(project.readDataset("/analyses/cube/zcoordinates").asDoubles(), zs);
  auto stored = readDirections(project, "/analyses/cube", *model);
  ASSERT_EQ(stored.directions.size(), 3u);
  for (int k = 0; k < 3; ++k)
    EXPECT_TRUE(torch::equal(stored.directions[k].parameters, dirs.directions[k].parameters));

  const auto theta = model->flatParameters().to(torch::kDouble);
  std::vector<at::Tensor> d;
  for (auto& direction : dirs.directions) d.push_back(direction.parameters.to(torch::kDouble));
  auto probe = model->clone();
  for (size_t k = 0; k < zs.size(); ++k)
    for (size_t j = 0; j < ys.size(); ++j)
      for (size_t i = 0; i < xs.size(); ++i) {
        const size_t flat = (k * ys.size() + j) * xs.size() + i;
        const auto c = result.grid.point(int64_t(flat));
        EXPECT_EQ(c[0], xs[i]);
        EXPECT_EQ(c[1], ys[j]);
        EXPECT_EQ(c[2], zs[k]);
        probe->setFlatParameters(
            (theta + xs[i] * d[0] + ys[j] * d[1] + zs[k] * d[2]).to(torch::kFloat));
        const auto direct = training::evaluate(*probe, data, 1000);
        // Float32 weights formed in another order (≈ ε·|θ|) and batches of 128 against 1000:
        // 1e-5 relative is ten times what that rounding gives.
        EXPECT_NEAR(result.trainLoss[flat], direct.loss, 1e-5 * std::max(1.0, direct.loss))
            << "x=" << xs[i] << " y=" << ys[j] << " z=" << zs[k];
        EXPECT_NEAR(result.trainAccuracy[flat], direct.accuracy, 1.0 / 200 + 1e-12)
            << "x=" << xs[i] << " y=" << ys[j] << " z=" << zs[k];
        EXPECT_EQ(result.testLoss[flat], result.trainLoss[flat]);  // the same data
      }
  // The z axis moves the weights: the two z layers differ.
  EXPECT_NE(result.trainLoss[0], result.trainLoss[12]);

  exportLossLandscape(project, "/analyses/cube", dir.file("ll.h5"));
  auto out = training::ProjectFile::open(dir.file("ll.h5"));
  EXPECT_EQ(out.readDataset("/zcoordinates").asDoubles(), zs);
  auto loss = out.readDataset("/train_loss");
  ASSERT_EQ(loss.shape, (std::vector<int64_t>{3, 4, 2}));  // [x, y, z]
  auto lv = loss.asDoubles();
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = 0; j < 4; ++j)
      for (size_t k = 0; k < 2; ++k)
        EXPECT_EQ(lv[(i * 4 + j) * 2 + k], result.trainLoss[(k * 4 + j) * 3 + i]);
  exportVts(project, "/analyses/cube", dir.file("c.vts"));
  std::ifstream f(dir.file("c.vts"));
  std::stringstream text;
  text << f.rdbuf();
  const std::string vts = text.str();
  EXPECT_NE(vts.find("<StructuredGrid WholeExtent=\"0 2 0 3 0 1\">"), std::string::npos);
  // Points x fastest: the 4th is (x_0, y_1, z_0) = (-1, 0, 0), the 13th (x_0, y_0, z_1).
  auto points = vts.substr(vts.find("<Points>"));
  std::vector<std::string> lines;
  std::stringstream pointLines(points);
  for (std::string line; std::getline(pointLines, line);)
    if (line.rfind("          ", 0) == 0) lines.push_back(line.substr(10));
  ASSERT_EQ(lines.size(), 24u);
  EXPECT_EQ(lines[3], "-1 0 0");
  EXPECT_EQ(lines[12], "-1 -0.5 0.5");
}

// A 3-D surface cancelled part-way and resumed holds what an uninterrupted run holds.
TEST(Surface, ThreeDimensionalResumeGivesTheUninterruptedGrid) {
  flatland::testing::TempDir dir;
  auto project = training::ProjectFile::openOrCreate(dir.file("p.h5"));
  auto data = spirals(200);
  auto model = training::makeZooModel("mlp-tanh", spiralShape(), 8);
  auto dirs = randomDirections(*model, 3, 4);
  const std::string grid = "-1:1:3,-0.5:1:4,0:0.5:2";
  auto settings = settingsFor(grid, "cut3");
  settings.blockPoints = 4;
  CancelToken token;
  int seen = 0;
  JobControl control;
  control.cancel = &token;
  control.onProgress = [&](const ProgressEvent&) {
    if (++seen == 10) token.cancel();
  };
  EXPECT_THROW(computeSurface(project, *model, dirs, &data, &data, settings, control), Cancelled);
  auto partial = readSurface(project, "/analyses/cut3");
  EXPECT_FALSE(partial.complete);
  int64_t done = 0;
  for (auto v : partial.done) done += v;
  EXPECT_EQ(done, 10);  // two blocks of 4 and the 2 points finished before the cancel
  token.reset();
  auto resumed = resumeSurface(project, "/analyses/cut3", *model, &data, &data, settings, control);
  EXPECT_TRUE(resumed.complete);
  EXPECT_EQ(resumed.pointsComputed, 24 - 10);
  EXPECT_EQ(resumed.grid.text(), grid);
  auto whole = computeSurface(project, *model, dirs, &data, &data, settingsFor(grid, "whole3"));
  EXPECT_EQ(resumed.trainLoss, whole.trainLoss);
  EXPECT_EQ(resumed.trainAccuracy, whole.trainAccuracy);
  EXPECT_EQ(resumed.testLoss, whole.testLoss);
  EXPECT_EQ(resumed.testAccuracy, whole.testAccuracy);
  EXPECT_EQ(readSurface(project, "/analyses/cut3").trainLoss, whole.trainLoss);
}

// A LibTorch error part-way (CUDA out of memory, say; raised here from the progress callback,
// which runs inside the grid loop) keeps the points finished so far, like a cancel, and comes
// out as a flatland::Error that says they are saved. It used to escape as c10::Error and lose
// every point since the last save.
TEST(Surface, ALibTorchErrorKeepsTheFinishedPointsAndSaysSo) {
  flatland::testing::TempDir dir;
  auto project = training::ProjectFile::openOrCreate(dir.file("p.h5"));
  auto data = spirals();
  auto model = training::makeZooModel("mlp-tanh", spiralShape(), 4);
  const auto origin = model->flatParameters();
  auto dirs = randomDirections(*model, 2, 5);
  auto settings = settingsFor("-1:1:4,-1:0.5:3", "oom");
  settings.blockPoints = 2;
  int seen = 0;
  JobControl control;
  control.onProgress = [&](const ProgressEvent&) {
    if (++seen == 5) TORCH_CHECK(false, "CUDA out of memory (simulated)");
  };
  try {
    computeSurface(project, *model, dirs, &data, &data, settings, control);
    FAIL() << "the LibTorch error was swallowed";
  } catch (const c10::Error&) {
    FAIL() << "a c10::Error escaped";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("CUDA out of memory (simulated)"), std::string::npos) << message;
    EXPECT_NE(message.find("5 finished points are saved"), std::string::npos) << message;
  }
  auto partial = readSurface(project, "/analyses/oom");
  int64_t done = 0;
  for (auto d : partial.done) done += d;
  EXPECT_EQ(done, 5);
  EXPECT_TRUE(torch::equal(model->flatParameters(), origin));
}

TEST(Surface, ResumeAfterACancelGivesTheUninterruptedGrid) {
  flatland::testing::TempDir dir;
  auto project = training::ProjectFile::openOrCreate(dir.file("p.h5"));
  auto data = spirals();
  auto model = training::makeZooModel("mlp-tanh", spiralShape(), 4);
  auto dirs = randomDirections(*model, 2, 5);
  auto settings = settingsFor("-1:1:4,-1:0.5:3", "cut");
  settings.blockPoints = 2;

  CancelToken token;
  int seen = 0;
  JobControl control;
  control.cancel = &token;
  control.onProgress = [&](const ProgressEvent& e) {
    EXPECT_EQ(e.stage, "grid");
    if (++seen == 5) token.cancel();
  };
  EXPECT_THROW(computeSurface(project, *model, dirs, &data, &data, settings, control), Cancelled);
  auto partial = readSurface(project, "/analyses/cut");
  EXPECT_FALSE(partial.complete);
  int64_t done = 0;
  for (auto d : partial.done) done += d;
  EXPECT_EQ(done, 5);  // the two full blocks and the point finished before the cancel
  for (size_t i = 0; i < partial.done.size(); ++i)
    EXPECT_EQ(std::isnan(partial.trainLoss[i]), partial.done[i] == 0);

  token.reset();
  auto resumed = resumeSurface(project, "/analyses/cut", *model, &data, &data, settings, control);
  EXPECT_TRUE(resumed.complete);
  EXPECT_EQ(resumed.pointsComputed, 12 - 5);

  auto whole =
      computeSurface(project, *model, dirs, &data, &data, settingsFor("-1:1:4,-1:0.5:3", "whole"));
  EXPECT_EQ(resumed.trainLoss, whole.trainLoss);
  EXPECT_EQ(resumed.trainAccuracy, whole.trainAccuracy);
  EXPECT_EQ(resumed.testLoss, whole.testLoss);
  EXPECT_EQ(readSurface(project, "/analyses/cut").trainLoss, whole.trainLoss);
}

TEST(Surface, InterpolationEndpointsEqualBothModelsWithBatchNorm) {
  flatland::testing::TempDir dir;
  auto project = training::ProjectFile::openOrCreate(dir.file("p.h5"));
  training::Dataset data;
  data.inputs = torch::randn({24, 3, 8, 8});
  data.labels = torch::randint(0, 10, {24}, torch::kInt64);
  data.numClasses = 10;
  data.spec = "random images";
  auto [a, b] = resnetsWithTheirOwnStatistics();
  const double lossA = training::evaluate(*a, data).loss;
  const double lossB = training::evaluate(*b, data).loss;
  auto dirs = interpolationDirection(*a, *b);
  ASSERT_FALSE(dirs.directions[0].buffers.empty());
  auto result =
      computeSurface(project, *a, dirs, &data, nullptr, settingsFor("-0.5:1.5:5", "interp"));
  EXPECT_NEAR(result.trainLoss[1], lossA, 1e-5 * lossA);
  EXPECT_NEAR(result.trainLoss[3], lossB, 1e-5 * lossB);
  EXPECT_NEAR(training::evaluate(*a, data).loss, lossA, 1e-9);  // a is restored
  // The buffer directions are stored and come back.
  auto back = readDirections(project, "/analyses/interp", *a);
  ASSERT_EQ(back.directions.size(), 1u);
  EXPECT_EQ(back.kind, analysis::DirectionKind::Interp);
  EXPECT_EQ(back.directions[0].buffers.size(), dirs.directions[0].buffers.size());
  EXPECT_TRUE(torch::equal(back.directions[0].parameters, dirs.directions[0].parameters));
}

// Several points per forward pass (stacked weight sets) store what point-by-point evaluation
// stores: float32 with grouped convolutions sums in another order, 1e-5 relative. Covered: a
// 2-D grid on a CNN with test data, chunks that do not divide the grid, and an interpolation
// that moves BatchNorm statistics; a model that cannot stack (an activation transform) goes
// point by point whatever is asked.
TEST(Surface, SeveralPointsPerPassStoreWhatPointByPointStores) {
  flatland::testing::TempDir dir;
  auto project = training::ProjectFile::openOrCreate(dir.file("p.h5"));
  auto images = [](int64_t n, uint64_t seed) {
    torch::manual_seed(seed);
    training::Dataset d;
    d.inputs = torch::randn({n, 3, 8, 8});
    d.labels = torch::randint(0, 10, {n}, torch::kInt64);
    d.numClasses = 10;
    d.spec = "random images";
    return d;
  };
  auto train = images(40, 1), test = images(24, 2);
  auto expectSame = [](const SurfaceResult& a, const SurfaceResult& b, double samples) {
    ASSERT_EQ(a.trainLoss.size(), b.trainLoss.size());
    for (size_t i = 0; i < a.trainLoss.size(); ++i) {
      EXPECT_NEAR(a.trainLoss[i], b.trainLoss[i], 1e-5 * std::abs(b.trainLoss[i])) << i;
      EXPECT_NEAR(a.trainAccuracy[i], b.trainAccuracy[i], 1.5 / samples) << i;
      if (!b.testLoss.empty()) {
        EXPECT_NEAR(a.testLoss[i], b.testLoss[i], 1e-5 * std::abs(b.testLoss[i])) << i;
      }
    }
    EXPECT_TRUE(a.complete);
  };

  auto cnn = training::makeZooModel("cnn-small", {{3, 8, 8}, 10}, 5);
  auto dirs = randomDirections(*cnn, 2, 3);
  ASSERT_TRUE(SurfaceEvaluator(*cnn, dirs, 16).stacksPoints());  // else the test proves nothing
  auto settings = settingsFor("-1:1:3,-1:1:3", "one");
  settings.batchSize = 16;
  auto one = computeSurface(project, *cnn, dirs, &train, &test, settings);
  settings.name = "four";
  settings.pointsPerPass = 4;  // 4 + 4 + 1
  auto four = computeSurface(project, *cnn, dirs, &train, &test, settings);
  expectSame(four, one, 40);
  EXPECT_EQ(readSurface(project, "/analyses/four").trainLoss, four.trainLoss);

  auto [a, b] = resnetsWithTheirOwnStatistics();
  const double lossA = training::evaluate(*a, train).loss;
  auto line = interpolationDirection(*a, *b);
  ASSERT_FALSE(line.directions[0].buffers.empty());
  settings = settingsFor("-0.5:1.5:5", "interp-one");
  auto interpOne = computeSurface(project, *a, line, &train, nullptr, settings);
  settings.name = "interp-three";
  settings.pointsPerPass = 3;  // 3 + 2
  auto interpThree = computeSurface(project, *a, line, &train, nullptr, settings);
  expectSame(interpThree, interpOne, 40);
  EXPECT_NEAR(interpThree.trainLoss[1], lossA, 1e-5 * lossA);
  EXPECT_NEAR(training::evaluate(*a, train).loss, lossA, 1e-9);  // a is as it was
  // Random directions leave the running statistics where they are: every set shares them.
  auto planes = randomDirections(*a, 2, 7);
  settings = settingsFor("-1:1:3,-1:1:3", "resnet-one");
  auto resnetOne = computeSurface(project, *a, planes, &train, &test, settings);
  settings.name = "resnet-five";
  settings.pointsPerPass = 5;  // 5 + 4
  auto resnetFive = computeSurface(project, *a, planes, &train, &test, settings);
  expectSame(resnetFive, resnetOne, 40);

  cnn->setActivationTransform([](int64_t, const at::Tensor& x, bool) { return x * 0.5; });
  settings = settingsFor("-1:1:3,-1:1:3", "transformed-one");
  auto transformedOne = computeSurface(project, *cnn, dirs, &train, nullptr, settings);
  settings.name = "transformed-four";
  settings.pointsPerPass = 4;
  auto transformedFour = computeSurface(project, *cnn, dirs, &train, nullptr, settings);
  EXPECT_EQ(transformedFour.trainLoss, transformedOne.trainLoss);
  EXPECT_NE(transformedOne.trainLoss[4], one.trainLoss[4]);  // the transform was applied
}

// On the CPU the evaluator runs image models channels-last (surface_evaluator.cpp): the same
// values as NCHW to float32 rounding (different kernels sum in another order: 1e-5 relative),
// and the model's parameters are back in NCHW, with their values, once it is gone.
TEST(Surface, ChannelsLastEvaluationEqualsNchwAndLeavesTheModelAsItWas) {
  struct Case {
    std::string name;
    training::ModelShape shape;
  };
  // A grey-scale CNN (its first kernel has one input channel, the case LibTorch takes for NCHW)
  // and a BatchNorm ResNet on colour images.
  for (const Case& c : {Case{"cnn-small", {{1, 28, 28}, 10}}, Case{"resnet20", {{3, 8, 8}, 10}}}) {
    SCOPED_TRACE(c.name);
    auto model = training::makeZooModel(c.name, c.shape, 3);
    model->setTraining(false);
    training::Dataset data;
    std::vector<int64_t> size = {40};
    size.insert(size.end(), c.shape.sampleShape.begin(), c.shape.sampleShape.end());
    data.inputs = torch::randn(size);
    data.labels = torch::randint(0, 10, {40}, torch::kInt64);
    data.numClasses = 10;
    data.spec = "random images";
    const double lossAtOrigin = training::evaluate(*model, data).loss;
    auto dirs = randomDirections(*model, 2, 7);
    // The reference: θ + 0.3·d0 − 0.2·d1 on a copy, evaluated in NCHW.
    auto moved = model->clone();
    {
      torch::NoGradGuard noGrad;
      auto d0 = moved->unflatten(dirs.directions[0].parameters);
      auto d1 = moved->unflatten(dirs.directions[1].parameters);
      auto params = moved->parameters();
      for (size_t i = 0; i < params.size(); ++i) params[i].add_(d0[i], 0.3).add_(d1[i], -0.2);
    }
    const auto reference = training::evaluate(*moved, data);
    {
      SurfaceEvaluator evaluator(*model, dirs, 16);
      evaluator.moveTo({0.3, -0.2, 0.0});
      const auto prepared = evaluator.prepare(data);
      EXPECT_TRUE(prepared.inputs.is_contiguous(at::MemoryFormat::ChannelsLast));
      const auto values = evaluator.evaluate(prepared);
      EXPECT_NEAR(values.loss, reference.loss, 1e-5 * reference.loss);
      EXPECT_DOUBLE_EQ(values.accuracy, reference.accuracy);
      // A streamed set stays as it is (in its file) and is converted a batch at a time.
      training::Dataset streamed = data;
      streamed.streamed = true;
      const auto inFile = evaluator.prepare(streamed);
      EXPECT_TRUE(inFile.inputs.is_same(data.inputs));
      const auto streamedValues = evaluator.evaluate(inFile);
      EXPECT_NEAR(streamedValues.loss, values.loss, 1e-9 * values.loss);
      EXPECT_DOUBLE_EQ(streamedValues.accuracy, values.accuracy);
    }
    for (const auto& p : model->parameters()) EXPECT_TRUE(p.is_contiguous());
    EXPECT_NEAR(training::evaluate(*model, data).loss, lossAtOrigin, 1e-9);
  }
}

TEST(Surface, StoredDirectionsAreReusedForAnotherModel) {
  flatland::testing::TempDir dir;
  auto project = training::ProjectFile::openOrCreate(dir.file("p.h5"));
  auto data = spirals();
  auto first = training::makeZooModel("mlp", spiralShape(), 1);
  auto second = training::makeZooModel("mlp", spiralShape(), 2);
  auto dirs = randomDirections(*first, 2, 3);
  computeSurface(project, *first, dirs, &data, nullptr, settingsFor("-1:1:3,-1:1:3", "first"));
  auto reused = readDirections(project, "/analyses/first", *second);
  ASSERT_EQ(reused.directions.size(), 2u);
  for (int k = 0; k < 2; ++k)
    EXPECT_TRUE(torch::equal(reused.directions[k].parameters, dirs.directions[k].parameters));
  auto result = computeSurface(project, *second, reused, &data, nullptr,
                               settingsFor("-1:1:3,-1:1:3", "second"));
  EXPECT_NEAR(result.trainLoss[4], training::evaluate(*second, data).loss, 1e-5);
  auto wrong = training::makeZooModel("linear", spiralShape(), 1);
  EXPECT_THROW(readDirections(project, "/analyses/first", *wrong), InvalidArgument);
}

TEST(Surface, ExportsTheLossLandscapeLayoutAndVts) {
  flatland::testing::TempDir dir;
  auto project = training::ProjectFile::openOrCreate(dir.file("p.h5"));
  auto data = spirals();
  auto model = training::makeZooModel("mlp", spiralShape(), 1);
  auto dirs = randomDirections(*model, 2, 3);
  auto result =
      computeSurface(project, *model, dirs, &data, &data, settingsFor("-1:1:4,0:1:3", "e"));
  exportLossLandscape(project, "/analyses/e", dir.file("ll.h5"));
  auto out = training::ProjectFile::open(dir.file("ll.h5"));
  EXPECT_EQ(out.readDataset("/xcoordinates").asDoubles(), GridAxis::parse("-1:1:4").coordinates());
  EXPECT_EQ(out.readDataset("/ycoordinates").asDoubles(), GridAxis::parse("0:1:3").coordinates());
  auto loss = out.readDataset("/train_loss");
  auto acc = out.readDataset("/test_acc");
  ASSERT_EQ(loss.shape, (std::vector<int64_t>{4, 3}));  // [x, y]
  auto lv = loss.asDoubles();
  auto av = acc.asDoubles();
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) {
      EXPECT_EQ(lv[size_t(i * 3 + j)], result.trainLoss[size_t(j * 4 + i)]);
      EXPECT_NEAR(av[size_t(i * 3 + j)], 100.0 * result.testAccuracy[size_t(j * 4 + i)], 1e-9);
    }
  EXPECT_TRUE(out.exists("/test_loss"));
  EXPECT_TRUE(out.exists("/train_acc"));

  exportVts(project, "/analyses/e", dir.file("s.vts"));
  std::ifstream f(dir.file("s.vts"));
  std::stringstream text;
  text << f.rdbuf();
  const std::string vts = text.str();
  EXPECT_NE(vts.find("<StructuredGrid WholeExtent=\"0 3 0 2 0 0\">"), std::string::npos);
  EXPECT_NE(vts.find("Name=\"train_loss\""), std::string::npos);
  EXPECT_NE(vts.find("Name=\"test_accuracy\""), std::string::npos);
  // The second point in VTK order is (x_1, y_0) = (-1/3, 0).
  EXPECT_NE(vts.find("          -0.333333333 0 0\n"), std::string::npos);
  EXPECT_THROW(exportVts(project, "/analyses/missing", dir.file("m.vts")), ProjectError);
  EXPECT_THROW(exportLossLandscape(project, "/analyses/e", dir.file("p.h5")), ProjectError);
  EXPECT_TRUE(training::ProjectFile::open(dir.file("p.h5")).exists("/analyses/e"));
}
