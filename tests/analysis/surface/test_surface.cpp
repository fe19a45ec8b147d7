// Surface jobs: the origin, a closed form on a non-square grid, resume after a cancel,
// interpolation endpoints over BatchNorm state, direction reuse, and export.
#include <gtest/gtest.h>
#include <torch/nn/functional/loss.h>
#include <torch/types.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "flatland/analysis/direction.h"
#include "flatland/analysis/surface_export.h"
#include "flatland/analysis/surface_job.h"
#include "flatland/errors.h"
#include "flatland/training/evaluate.h"
#include "flatland/training/model.h"
#include "test_util.h"

using namespace flatland;
using namespace flatland::analysis;
namespace F = torch::nn::functional;

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

// Softmax regression's logits are linear in the weights, so the loss at (x, y) is
// CE(Z0 + x·Zd + y·Ze) with Z computed once: an independent float64 reference. The grid is
// non-square, so a swapped x/y order cannot pass.
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

  auto x = data.inputs.to(torch::kDouble);
  auto logitsOf = [&](const at::Tensor& flat) {
    auto pieces = model->unflatten(flat.to(torch::kDouble).contiguous());
    return torch::matmul(x, pieces[0].t()) + pieces[1];
  };
  auto z0 = logitsOf(model->flatParameters());
  auto zd =
      logitsOf(dirs.directions[0].parameters) - logitsOf(torch::zeros({model->parameterCount()}));
  auto ze =
      logitsOf(dirs.directions[1].parameters) - logitsOf(torch::zeros({model->parameterCount()}));
  const auto xs = GridAxis::parse("-2:1:5").coordinates();
  const auto ys = GridAxis::parse("-0.5:1.5:3").coordinates();
  for (size_t j = 0; j < ys.size(); ++j)
    for (size_t i = 0; i < xs.size(); ++i) {
      auto z = z0 + xs[i] * zd + ys[j] * ze;
      const double loss = F::cross_entropy(z, data.labels).item<double>();
      const double accuracy = (z.argmax(1) == data.labels).to(torch::kDouble).mean().item<double>();
      const size_t flat = j * xs.size() + i;  // [y, x]
      EXPECT_NEAR(result.trainLoss[flat], loss, 1e-5 * std::max(1.0, loss))
          << "x=" << xs[i] << " y=" << ys[j];
      EXPECT_NEAR(result.trainAccuracy[flat], accuracy, 1.0 / 400 + 1e-12)
          << "x=" << xs[i] << " y=" << ys[j];
    }
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
  auto a = training::makeZooModel("resnet20", {{3, 8, 8}, 10}, 1);
  auto b = training::makeZooModel("resnet20", {{3, 8, 8}, 10}, 2);
  // Give both models their own BatchNorm running statistics.
  {
    torch::NoGradGuard noGrad;
    a->setTraining(true);
    b->setTraining(true);
    a->forward(torch::randn({16, 3, 8, 8}) * 2 + 1);
    b->forward(torch::randn({16, 3, 8, 8}) * 0.5 - 1);
    a->setTraining(false);
    b->setTraining(false);
  }
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
  EXPECT_EQ(back.kind, "interp");
  EXPECT_EQ(back.directions[0].buffers.size(), dirs.directions[0].buffers.size());
  EXPECT_TRUE(torch::equal(back.directions[0].parameters, dirs.directions[0].parameters));
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
