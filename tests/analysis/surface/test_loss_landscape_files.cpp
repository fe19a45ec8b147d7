// The loss-landscape project's files: its direction files (--dir_type weights and states) give
// the grid a direct evaluation gives along the same vectors, and its surface files come back
// into a project as the surface they were exported from.
//
// Tolerances: surface points and direct evaluations run the same float32 model on the same
// batches, the perturbed weights summed in another order (1e-6 relative). Losses and
// coordinates survive export and import exactly; accuracies go to percent and back (×100, ÷100:
// within 2 ulp).
#include <gtest/gtest.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>

#include "flatland/analysis/direction.h"
#include "flatland/analysis/loss_landscape_files.h"
#include "flatland/analysis/loss_surface.h"
#include "flatland/analysis/surface_export.h"
#include "flatland/errors.h"
#include "flatland/training/evaluate.h"
#include "flatland/training/model.h"
#include "flatland/training/project_schema.h"
#include "flatland/training/tensor_array.h"
#include "test_util.h"

using namespace flatland;
using namespace flatland::analysis;

namespace {

training::Dataset spirals() { return training::makeSynthetic("spirals", 300, 5); }
training::ModelShape spiralShape() { return {{2}, spirals().numClasses}; }

SurfaceSettings settingsFor(const std::string& grid, const std::string& name) {
  SurfaceSettings s;
  s.grid = GridSpec::parse(grid);
  s.batchSize = 128;
  s.name = name;
  s.modelSpec = "zoo:test";
  s.dataSpec = "synthetic:spirals";
  return s;
}

// A state_dict as PyTorch orders it: module by module, parameters then buffers.
std::vector<training::NamedTensor> stateDict(const training::Model& model) {
  std::vector<training::NamedTensor> all = model.namedParameters();
  for (auto& b : model.namedBuffers()) all.push_back(b);
  auto moduleOf = [](const std::string& name) { return name.substr(0, name.rfind('.')); };
  std::vector<std::string> order;
  for (auto& t : all)
    if (std::find(order.begin(), order.end(), moduleOf(t.name)) == order.end())
      order.push_back(moduleOf(t.name));
  std::vector<training::NamedTensor> out;
  for (auto& m : order)
    for (auto& t : all)
      if (moduleOf(t.name) == m) out.push_back(t);
  return out;
}

}  // namespace

TEST(LossLandscapeFiles, WeightsDirectionsGiveTheGridOfADirectEvaluation) {
  flatland::testing::TempDir dir;
  auto data = spirals();
  auto model = training::makeZooModel("mlp", spiralShape(), 1);
  auto made = randomDirections(*model, 2, 3);
  writeLossLandscapeDirections(dir.file("dirs.h5"), made, *model);
  auto read = readLossLandscapeDirections(dir.file("dirs.h5"), *model);
  ASSERT_EQ(read.directions.size(), 2u);
  EXPECT_EQ(read.kind, DirectionKind::LossLandscape);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_TRUE(torch::equal(read.directions[k].parameters, made.directions[k].parameters));
    EXPECT_TRUE(read.directions[k].buffers.empty());
  }
  auto project = training::ProjectFile::openOrCreate(dir.file("p.h5"));
  const auto grid = GridSpec::parse("-1:1:3,-0.5:1:4");
  auto result =
      computeSurface(project, *model, read, &data, nullptr, settingsFor(grid.text(), "ll"));
  const auto origin = model->flatParameters().clone();
  for (int64_t i = 0; i < grid.points(); ++i) {
    const auto p = grid.point(i);
    model->setFlatParameters(origin + p[0] * made.directions[0].parameters +
                             p[1] * made.directions[1].parameters);
    const double direct = training::evaluate(*model, data).loss;
    EXPECT_NEAR(result.trainLoss[size_t(i)], direct, 1e-6 * direct) << "point " << i;
  }
  model->setFlatParameters(origin);
  EXPECT_EQ(project.read("/analyses/ll", false).text(schema::kDirs), "loss-landscape");
}

// With --dir_type states the file also moves BatchNorm's running statistics: the interpolation
// to a second model, written that way, reaches that model's loss at 1 (eval mode uses them).
TEST(LossLandscapeFiles, StatesDirectionsMoveBatchNormStatistics) {
  flatland::testing::TempDir dir;
  training::Dataset data;
  data.inputs = torch::randn({24, 3, 8, 8});
  data.labels = torch::randint(0, 10, {24}, torch::kInt64);
  data.numClasses = 10;
  data.spec = "random images";
  auto a = training::makeZooModel("resnet20", {{3, 8, 8}, 10}, 1);
  auto b = training::makeZooModel("resnet20", {{3, 8, 8}, 10}, 2);
  {
    torch::NoGradGuard noGrad;
    for (auto* m : {a.get(), b.get()}) {
      m->setTraining(true);
      m->forward(torch::randn({16, 3, 8, 8}) * (m == a.get() ? 2.0 : 0.5) + 1);
      m->setTraining(false);
    }
  }
  // b − a over every state_dict entry, as net_plotter.create_target_direction(states) writes it.
  auto project = training::ProjectFile::openOrCreate(dir.file("states.h5"));
  training::ProjectFile::Transaction tx;
  const auto sa = stateDict(*a), sb = stateDict(*b);
  ASSERT_GT(sa.size(), a->namedParameters().size());
  for (size_t i = 0; i < sa.size(); ++i)
    tx.putDataset("/xdirection/" + std::to_string(i),
                  training::toArray(
                      (sb[i].tensor.to(at::kFloat) - sa[i].tensor.to(at::kFloat)).contiguous()));
  project.commit(tx);
  auto dirs = readLossLandscapeDirections(dir.file("states.h5"), *a);
  ASSERT_EQ(dirs.directions.size(), 1u);
  EXPECT_FALSE(dirs.directions[0].buffers.empty());
  auto out = training::ProjectFile::openOrCreate(dir.file("p.h5"));
  auto result = computeSurface(out, *a, dirs, &data, nullptr, settingsFor("0:1:2", "states"));
  const double lossB = training::evaluate(*b, data).loss;
  EXPECT_NEAR(result.trainLoss[1], lossB, 1e-5 * lossB);
  EXPECT_NEAR(result.trainLoss[0], training::evaluate(*a, data).loss, 1e-6);
}

TEST(LossLandscapeFiles, FilesThatDoNotFitAreRefusedWithTheReason) {
  flatland::testing::TempDir dir;
  auto model = training::makeZooModel("mlp", spiralShape(), 1);
  auto other = training::makeZooModel("mlp", {{3}, 4}, 1);
  writeLossLandscapeDirections(dir.file("other.h5"), randomDirections(*other, 1, 0), *other);
  try {
    readLossLandscapeDirections(dir.file("other.h5"), *model);
    FAIL() << "a direction file of another architecture was read";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("xdirection/0 has shape"), std::string::npos) << e.what();
  }
  auto project = training::ProjectFile::openOrCreate(dir.file("p.h5"));
  EXPECT_THROW(readLossLandscapeDirections(dir.file("p.h5"), *model), ProjectError);
  EXPECT_THROW(readLossLandscapeDirections(dir.file("missing.h5"), *model), ProjectError);
  EXPECT_THROW(importLossLandscapeSurface(dir.file("p.h5")), ProjectError);
}

// Export then import: the same coordinates, values and done mask, in Flatland's order.
TEST(LossLandscapeFiles, ImportedSurfaceEqualsTheExportedOne) {
  flatland::testing::TempDir dir;
  auto data = spirals();
  auto model = training::makeZooModel("mlp", spiralShape(), 1);
  auto project = training::ProjectFile::openOrCreate(dir.file("p.h5"));
  for (const std::string grid : {"-1:1:4,0:1:3", "-0.5:1.5:5"}) {
    const std::string name = grid.find(',') == std::string::npos ? "line" : "plane";
    auto dirs = randomDirections(*model, int(GridSpec::parse(grid).dimensions()), 3);
    auto stored = computeSurface(project, *model, dirs, &data, &data, settingsFor(grid, name));
    exportLossLandscape(project, "/analyses/" + name, dir.file(name + ".h5"));
    auto node = importLossLandscapeSurface(dir.file(name + ".h5"));
    EXPECT_EQ(node.text(schema::kGrid), grid);
    EXPECT_EQ(node.number(schema::kComplete), 1);
    EXPECT_EQ(node.dataset(schema::kTrainLoss).shape, GridSpec::parse(grid).shape());
    EXPECT_EQ(node.dataset(schema::kTrainLoss).asDoubles(), stored.trainLoss);
    EXPECT_EQ(node.dataset(schema::kTestLoss).asDoubles(), stored.testLoss);
    const auto accuracy = node.dataset(schema::kTestAccuracy).asDoubles();
    for (size_t i = 0; i < accuracy.size(); ++i)
      EXPECT_NEAR(accuracy[i], stored.testAccuracy[i], 4e-16) << i;
    EXPECT_EQ(node.dataset(schema::kXCoordinates).asDoubles(),
              GridSpec::parse(grid).axes[0].coordinates());
    // The imported node is a surface analysis like any other.
    project.put("/analyses/" + name + "-imported", node);
    auto back = readSurface(project, "/analyses/" + name + "-imported");
    EXPECT_EQ(back.trainLoss, stored.trainLoss);
    EXPECT_TRUE(back.complete);
  }
}
