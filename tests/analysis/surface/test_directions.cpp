// Grid specs, filter-normalised random directions, eigenvector directions and PCA of a
// trajectory lying on a known plane.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/types.h>

#include "flatland/analysis/direction.h"
#include "flatland/analysis/grid.h"
#include "flatland/analysis/pca_directions.h"
#include "flatland/errors.h"
#include "flatland/training/checkpoint.h"
#include "flatland/training/model.h"
#include "test_util.h"

using namespace flatland;
using namespace flatland::analysis;

namespace {

std::unique_ptr<training::Model> cnn() {
  return training::makeZooModel("cnn-small", {{1, 28, 28}, 10}, 7);
}

}  // namespace

TEST(SurfaceGrid, ParsesAxesAndOrdersPointsYX) {
  auto grid = GridSpec::parse("-1:1:5,-0.5:0.5:3");
  ASSERT_EQ(grid.dimensions(), 2);
  EXPECT_EQ(grid.points(), 15);
  EXPECT_EQ(grid.shape(), (std::vector<int64_t>{3, 5}));  // [ny, nx]
  auto xs = grid.axes[0].coordinates();
  EXPECT_DOUBLE_EQ(xs[0], -1.0);
  EXPECT_DOUBLE_EQ(xs[2], 0.0);
  EXPECT_DOUBLE_EQ(xs[4], 1.0);
  // flat = j·nx + i ↔ (x_i, y_j)
  auto p = grid.point(2 * 5 + 1);
  EXPECT_DOUBLE_EQ(p[0], -0.5);
  EXPECT_DOUBLE_EQ(p[1], 0.5);
  EXPECT_DOUBLE_EQ(p[2], 0.0);
  EXPECT_EQ(grid.text(), "-1:1:5,-0.5:0.5:3");
  auto interp = GridAxis::parse("-0.5:1.5:41").coordinates();
  EXPECT_EQ(interp[10], 0.0);  // exactly: the endpoints are grid points
  EXPECT_EQ(interp[30], 1.0);
  auto cube = GridSpec::parse("0:1:2,0:1:3,0:1:4");
  EXPECT_EQ(cube.shape(), (std::vector<int64_t>{4, 3, 2}));
  EXPECT_DOUBLE_EQ(cube.point((3 * 3 + 1) * 2 + 1)[2], 1.0);
  for (const char* bad :
       {"", "-1:1", "1:-1:5", "-1:1:0", "a:1:3", "-1:1:3,", "0:1:2,0:1:2,0:1:2,0:1:2"})
    EXPECT_THROW(GridSpec::parse(bad), InvalidArgument) << bad;
}

TEST(Directions, FilterNormsEqualWeightFilterNormsAndOneDimIsZero) {
  auto model = cnn();
  auto set = randomDirections(*model, 2, 42, DirectionNorm::Filter, OneDimPolicy::Zero);
  ASSERT_EQ(set.directions.size(), 2u);
  auto weightNorms = filterNorms(*model, model->flatParameters());
  auto params = model->namedParameters();
  int checkedFilters = 0;
  for (auto& d : set.directions) {
    auto norms = filterNorms(*model, d.parameters);
    auto pieces = model->unflatten(d.parameters);
    for (size_t i = 0; i < params.size(); ++i) {
      if (params[i].tensor.dim() <= 1) {
        EXPECT_EQ(pieces[i].abs().max().item<float>(), 0.0f) << params[i].name;
        continue;
      }
      EXPECT_TRUE(torch::allclose(norms[i], weightNorms[i], 1e-5, 1e-7)) << params[i].name;
      checkedFilters += int(norms[i].numel());
    }
  }
  EXPECT_EQ(checkedFilters, 2 * (8 + 16 + 10));
  // The two directions differ, and the same seed draws the same ones again.
  EXPECT_FALSE(torch::equal(set.directions[0].parameters, set.directions[1].parameters));
  auto again = randomDirections(*model, 2, 42, DirectionNorm::Filter, OneDimPolicy::Zero);
  EXPECT_TRUE(torch::equal(again.directions[1].parameters, set.directions[1].parameters));
  auto other = randomDirections(*model, 1, 43, DirectionNorm::Filter, OneDimPolicy::Zero);
  EXPECT_FALSE(torch::equal(other.directions[0].parameters, set.directions[0].parameters));
}

TEST(Directions, LayerNormAndOneDimChoices) {
  auto model = cnn();
  auto layer = randomDirections(*model, 1, 1, DirectionNorm::Layer, OneDimPolicy::Normalize);
  auto pieces = model->unflatten(layer.directions[0].parameters);
  auto params = model->namedParameters();
  for (size_t i = 0; i < params.size(); ++i)
    EXPECT_NEAR(pieces[i].norm().item<double>(), params[i].tensor.norm().item<double>(),
                1e-5 * params[i].tensor.norm().item<double>())
        << params[i].name;
  auto weight = randomDirections(*model, 1, 1, DirectionNorm::Filter, OneDimPolicy::Weight);
  auto wp = model->unflatten(weight.directions[0].parameters);
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i].tensor.dim() == 1) {
      EXPECT_TRUE(torch::equal(wp[i], params[i].tensor.detach()));
    }
  auto none = randomDirections(*model, 1, 1, DirectionNorm::None, OneDimPolicy::Normalize);
  auto raw = at::randn({model->parameterCount()}, at::detail::createCPUGenerator(1), torch::kFloat);
  EXPECT_TRUE(torch::equal(none.directions[0].parameters, raw));
  EXPECT_THROW(parseDirectionNorm("filters"), InvalidArgument);
}

TEST(Directions, EigenvectorsOfAStoredHessianAnalysis) {
  flatland::testing::TempDir dir;
  auto project = training::ProjectFile::openOrCreate(dir.file("p.h5"));
  auto model = training::makeZooModel("linear", {{2}, 2}, 1);
  const int64_t p = model->parameterCount();
  auto vectors = torch::randn({3, p}, torch::kDouble);
  vectors = vectors / vectors.norm(2, 1, true);
  training::Node node;
  node.attributes["kind"] = std::string("hessian");
  node.datasets["top_eigenvectors"] = training::Array::f64(
      std::vector<double>(vectors.data_ptr<double>(), vectors.data_ptr<double>() + 3 * p), {3, p});
  project.put("/analyses/h", node);
  auto set = eigenDirections(project, "/analyses/h", *model, 2);
  ASSERT_EQ(set.directions.size(), 2u);
  EXPECT_EQ(set.kind, "eigen");
  for (int k = 0; k < 2; ++k)
    EXPECT_TRUE(torch::allclose(set.directions[k].parameters, vectors[k].to(torch::kFloat)));
  EXPECT_THROW(eigenDirections(project, "/analyses/h", *model, 4), InvalidArgument);
  auto wrong = training::makeZooModel("mlp", {{2}, 2}, 1);
  EXPECT_THROW(eigenDirections(project, "/analyses/h", *wrong, 1), InvalidArgument);
}

TEST(Directions, PcaOfATrajectoryOnAKnownPlane) {
  flatland::testing::TempDir dir;
  auto project = training::ProjectFile::openOrCreate(dir.file("p.h5"));
  auto model = training::makeZooModel("mlp", {{2}, 2}, 3);
  const int64_t p = model->parameterCount();
  // Two directions with zero 1-D entries (which PCA ignores), and checkpoints on their plane.
  auto mask = torch::ones({p});
  for (auto& piece : model->unflatten(mask))
    if (piece.dim() <= 1) piece.zero_();
  auto u = torch::randn({p}) * mask * 0.05;
  auto v = torch::randn({p}) * mask * 0.02;
  auto final = model->flatParameters();
  const std::vector<std::pair<double, double>> steps = {{3, 2},     {2.2, 2.5}, {1.5, 1},
                                                        {0.7, 0.9}, {0.2, 0.1}, {0, 0}};
  training::Node run;
  run.attributes["model"] = std::string("zoo:mlp");
  auto copy = model->clone();
  for (size_t e = 0; e < steps.size(); ++e) {
    copy->setFlatParameters(final + steps[e].first * u + steps[e].second * v);
    run.groups["checkpoints"].groups[training::checkpointName(int64_t(e + 1))] =
        training::checkpointNode(*copy, int64_t(e + 1));
  }
  project.put("/runs/r", run);

  auto trajectory = loadTrajectory(project, "r", *model);
  ASSERT_EQ(trajectory.points.size(0), 6);
  auto set = pcaDirections(trajectory, *model, 2);
  ASSERT_EQ(set.directions.size(), 2u);
  ASSERT_EQ(set.explainedVariance.size(), 2u);
  EXPECT_GT(set.explainedVariance[0], set.explainedVariance[1]);
  EXPECT_NEAR(set.explainedVariance[0] + set.explainedVariance[1], 1.0, 1e-6);
  auto d0 = set.directions[0].parameters.to(torch::kDouble);
  auto d1 = set.directions[1].parameters.to(torch::kDouble);
  EXPECT_NEAR(d0.norm().item<double>(), 1.0, 1e-5);
  EXPECT_NEAR(d1.norm().item<double>(), 1.0, 1e-5);
  EXPECT_NEAR(d0.dot(d1).item<double>(), 0.0, 1e-5);
  EXPECT_EQ((set.directions[0].parameters * (1 - mask)).abs().max().item<float>(), 0.0f);
  // u and v lie in the span of the components.
  auto basis = torch::stack({d0, d1}, 1);
  for (auto w : {u.to(torch::kDouble), v.to(torch::kDouble)}) {
    auto residual = w - torch::matmul(basis, torch::matmul(basis.t(), w));
    EXPECT_LT(residual.norm().item<double>(), 1e-4 * w.norm().item<double>());
  }
  // The projected trajectory reproduces each checkpoint's offset from the final one.
  ASSERT_EQ(set.trajectory.sizes(), (std::vector<int64_t>{6, 2}));
  for (int64_t i = 0; i < 6; ++i) {
    auto offset = trajectory.points[i] - trajectory.points[5];
    auto rebuilt = set.trajectory[i][0] * d0 + set.trajectory[i][1] * d1;
    EXPECT_LT((rebuilt - offset).norm().item<double>(),
              1e-4 * std::max(1e-3, offset.norm().item<double>()));
  }
  EXPECT_NEAR(set.trajectory[5][0].item<double>(), 0.0, 1e-9);
  EXPECT_EQ(set.trajectoryEpochs.back(), 6);
}
