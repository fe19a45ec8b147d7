// Grid specs, filter-normalised random directions, eigenvector directions (stored, and computed
// on the fly against softmax regression's closed-form Hessian) and PCA of trajectories with
// known principal directions (on a plane, and along three axes with known variances).
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/types.h>

#include <Eigen/Dense>
#include <cmath>

#include "flatland/analysis/direction.h"
#include "flatland/analysis/directions_eigen.h"
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
  EXPECT_EQ(set.kind, DirectionKind::Eigen);
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

// Three orthonormal directions u_k and eight checkpoints whose coordinates along them are the
// columns 3·h1, 2·h2, 1·h3 of Walsh patterns (±1, mean zero, mutually orthogonal). The centred
// differences θ_i − θ_final are then exactly Σ_k c_ik u_k with orthogonal columns, so the
// principal directions are ±u_1, ±u_2, ±u_3 and the variances are 9·8, 4·8, 1·8: explained
// variance ratios 9/14, 4/14, 1/14.
TEST(Directions, PcaWithThreeComponentsRecoversKnownAxesAndVariances) {
  flatland::testing::TempDir dir;
  auto project = training::ProjectFile::openOrCreate(dir.file("p.h5"));
  auto model = training::makeZooModel("mlp", {{2}, 2}, 5);
  const int64_t p = model->parameterCount();
  auto mask = torch::ones({p}, torch::kDouble);
  for (auto& piece : model->unflatten(mask))
    if (piece.dim() <= 1) piece.zero_();
  // Orthonormal columns supported on the masked entries (QR of a masked Gaussian matrix).
  auto gaussian = torch::randn({p, 3}, at::detail::createCPUGenerator(17), torch::kDouble);
  auto [q, r] = at::linalg_qr(gaussian * mask.unsqueeze(1));
  const int64_t t = 8;
  const double scale[3] = {3.0, 2.0, 1.0};
  auto walsh = [](int64_t i, int k) { return ((i >> (2 - k)) & 1) ? -1.0 : 1.0; };
  auto coords = torch::zeros({t, 3}, torch::kDouble);
  for (int64_t i = 0; i < t; ++i)
    for (int k = 0; k < 3; ++k) coords[i][k] = scale[k] * walsh(i, k);
  // The columns are centred and orthogonal: the premise of the known answer.
  auto gramOfCoords = torch::matmul(coords.t(), coords);
  ASSERT_TRUE(
      torch::allclose(gramOfCoords, torch::diag(torch::tensor({72.0, 32.0, 8.0}, torch::kDouble))));
  ASSERT_EQ(coords.sum(0).abs().max().item<double>(), 0.0);

  // Float64 checkpoints, so the only rounding is the model's own float32 storage.
  auto origin = model->flatParameters().to(torch::kDouble);
  training::Node run;
  run.attributes["model"] = std::string("zoo:mlp");
  auto copy = model->clone();
  for (int64_t i = 0; i < t; ++i) {
    copy->setFlatParameters((origin + torch::matmul(q, coords[i])).to(torch::kFloat));
    run.groups["checkpoints"].groups[training::checkpointName(i + 1)] =
        training::checkpointNode(*copy, i + 1);
  }
  project.put("/runs/r3", run);
  auto trajectory = loadTrajectory(project, "r3", *model);
  auto set = pcaDirections(trajectory, *model, 3);
  ASSERT_EQ(set.directions.size(), 3u);
  ASSERT_EQ(set.explainedVariance.size(), 3u);
  // The stored points carry float32 rounding (|θ| ≲ 1, relative 6e-8 per entry) against offsets
  // of norm ≥ 2: ratios and directions agree to well within 1e-5.
  const double expectedRatio[3] = {9.0 / 14.0, 4.0 / 14.0, 1.0 / 14.0};
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(set.explainedVariance[size_t(k)], expectedRatio[k], 1e-5) << "PC" << k + 1;
    auto d = set.directions[size_t(k)].parameters.to(torch::kDouble);
    auto u = q.select(1, k);
    const double cosine = d.dot(u).item<double>();
    EXPECT_NEAR(std::abs(cosine), 1.0, 1e-5) << "PC" << k + 1;
    // sklearn's sign: the entry of largest magnitude is positive.
    EXPECT_GT(d[d.abs().argmax()].item<double>(), 0.0) << "PC" << k + 1;
    // The projected trajectory is each checkpoint's offset from the last along u_k.
    const double sign = cosine < 0 ? -1.0 : 1.0;
    for (int64_t i = 0; i < t; ++i)
      EXPECT_NEAR(set.trajectory[i][k].item<double>(),
                  sign * (coords[i][k].item<double>() - coords[t - 1][k].item<double>()), 1e-4)
          << "checkpoint " << i << ", PC" << k + 1;
  }
  EXPECT_EQ(set.trajectory.sizes(), (std::vector<int64_t>{t, 3}));
  // Three components of a three-dimensional trajectory exhaust its variance.
  EXPECT_NEAR(set.explainedVariance[0] + set.explainedVariance[1] + set.explainedVariance[2], 1.0,
              1e-9);
}

namespace {

// The Hessian of softmax regression's mean cross-entropy in closed form, in plain double loops:
// for logits z = W x + b and p = softmax(z), ∂²ℓ/∂w_(c,a)∂w_(c',a') = (diag p − p pᵀ)_cc' x̃_a x̃_a'
// with x̃ = (x, 1). Parameters in the model's order: W row-major (C×D), then b (C).
Eigen::MatrixXd softmaxRegressionHessian(const training::Model& model,
                                         const training::Dataset& data) {
  auto params = model.namedParameters();
  const auto weight = params.at(0).tensor.detach().to(torch::kDouble).contiguous();
  const auto bias = params.at(1).tensor.detach().to(torch::kDouble).contiguous();
  const int64_t c = weight.size(0), d = weight.size(1), n = data.size();
  const int64_t p = c * d + c;
  auto index = [&](int64_t cls, int64_t feature) {
    return feature < d ? cls * d + feature : c * d + cls;
  };
  auto x = data.inputs.to(torch::kDouble).contiguous();
  const double* w = weight.data_ptr<double>();
  const double* b = bias.data_ptr<double>();
  const double* xs = x.data_ptr<double>();
  Eigen::MatrixXd h = Eigen::MatrixXd::Zero(p, p);
  std::vector<double> z(static_cast<size_t>(c)), prob(static_cast<size_t>(c)),
      xt(static_cast<size_t>(d + 1));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t a = 0; a < d; ++a) xt[size_t(a)] = xs[i * d + a];
    xt[size_t(d)] = 1.0;
    double top = -INFINITY;
    for (int64_t k = 0; k < c; ++k) {
      z[size_t(k)] = b[k];
      for (int64_t a = 0; a < d; ++a) z[size_t(k)] += w[k * d + a] * xt[size_t(a)];
      top = std::max(top, z[size_t(k)]);
    }
    double sum = 0.0;
    for (int64_t k = 0; k < c; ++k) sum += prob[size_t(k)] = std::exp(z[size_t(k)] - top);
    for (auto& v : prob) v /= sum;
    for (int64_t k = 0; k < c; ++k)
      for (int64_t k2 = 0; k2 < c; ++k2) {
        const double a = (k == k2 ? prob[size_t(k)] : 0.0) - prob[size_t(k)] * prob[size_t(k2)];
        for (int64_t f = 0; f <= d; ++f)
          for (int64_t f2 = 0; f2 <= d; ++f2)
            h(index(k, f), index(k2, f2)) += a * xt[size_t(f)] * xt[size_t(f2)] / double(n);
      }
  }
  return h;
}

}  // namespace

// On-the-fly eigen directions (flatland-cli surface --dirs eigen without --from-analysis) are the
// top eigenvectors of the exact Hessian: checked in float64 to 1e-7 against a dense eigensolver
// of the closed form, and in float32 at the job's default tolerance to the accuracy that allows.
TEST(Directions, EigenDirectionsComputedOnTheFlyAreTheTopHessianEigenvectors) {
  auto data = training::makeSynthetic("blobs", 200, 3);
  data.spec = "synthetic:blobs:200:3";
  auto model = training::makeZooModel("linear", {{8}, 4}, 2);
  ASSERT_EQ(model->namedParameters().size(), 2u);
  ASSERT_EQ(model->namedParameters()[0].tensor.sizes(), (std::vector<int64_t>{4, 8}));
  ASSERT_EQ(model->parameterCount(), 36);
  model->to(torch::kCPU, torch::kDouble);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(softmaxRegressionHessian(*model, data));
  const Eigen::VectorXd lambda = dense.eigenvalues();  // ascending
  const int64_t p = lambda.size();
  // Distinct top eigenvalues, so the eigenvectors are defined up to sign.
  for (int k = 0; k < 3; ++k)
    ASSERT_GT(lambda[p - 1 - k] - lambda[p - 2 - k], 1e-3 * lambda[p - 1]) << k;

  const auto before = model->flatParameters();
  const bool wasTraining = model->isTraining();
  EigenDirectionOptions options;
  options.eigen.tol = 1e-10;
  int progressEvents = 0;
  JobControl control;
  control.onProgress = [&](const ProgressEvent& e) {
    EXPECT_EQ(e.stage, "eigen directions");
    ++progressEvents;
  };
  auto computed = computeEigenDirections(*model, data, 3, options, control);
  ASSERT_EQ(computed.set.directions.size(), 3u);
  EXPECT_EQ(computed.set.kind, DirectionKind::Eigen);
  EXPECT_EQ(computed.set.norm, DirectionNorm::None);
  EXPECT_NE(computed.set.source.find("computed on the fly"), std::string::npos);
  EXPECT_NE(computed.set.source.find("synthetic:blobs:200:3"), std::string::npos);
  EXPECT_EQ(computed.tolerance, 1e-10);
  EXPECT_GT(computed.products, 0);
  EXPECT_EQ(progressEvents, computed.products);  // one report per Hessian-vector product
  EXPECT_EQ(computed.samples, 200);
  EXPECT_TRUE(torch::equal(model->flatParameters(), before));
  EXPECT_EQ(model->isTraining(), wasTraining);
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(computed.eigenvalues[size_t(k)], lambda[p - 1 - k], 1e-9 * lambda[p - 1]) << k;
    // Stored as float32: unit vectors to 1e-7.
    auto v = computed.set.directions[size_t(k)].parameters.to(torch::kDouble);
    Eigen::VectorXd u = dense.eigenvectors().col(p - 1 - k);
    double dot = 0.0;
    for (int64_t i = 0; i < p; ++i) dot += v[i].item<double>() * u[i];
    EXPECT_NEAR(std::abs(dot), 1.0, 1e-7) << k;
    EXPECT_NEAR(v.norm().item<double>(), 1.0, 1e-7) << k;
    EXPECT_GT(v[v.abs().argmax()].item<double>(), 0.0) << k;  // the fixed sign
  }

  // The job's setting: float32, tolerance 1e-3 on the relative residual. The angle to the true
  // eigenvector is at most about residual/gap ≈ 1e-3·λ/gap; the top pairs converge well past
  // the tolerance, and 1e-4 on 1 − |cos| holds with a margin.
  model->to(torch::kCPU, torch::kFloat);
  auto quick = computeEigenDirections(*model, data, 2);
  EXPECT_EQ(quick.tolerance, 1e-3);
  for (int k = 0; k < 2; ++k) {
    auto v = quick.set.directions[size_t(k)].parameters.to(torch::kDouble);
    Eigen::VectorXd u = dense.eigenvectors().col(p - 1 - k);
    double dot = 0.0;
    for (int64_t i = 0; i < p; ++i) dot += v[i].item<double>() * u[i];
    EXPECT_NEAR(std::abs(dot), 1.0, 1e-4) << k;
  }
  // A norm asked for is applied as to stored eigenvectors (same Lanczos run: same unit vectors).
  EigenDirectionOptions filter;
  filter.norm = DirectionNorm::Filter;
  filter.oneDim = OneDimPolicy::Zero;
  auto filtered = computeEigenDirections(*model, data, 2, filter);
  EXPECT_EQ(filtered.set.norm, DirectionNorm::Filter);
  for (int k = 0; k < 2; ++k)
    EXPECT_TRUE(
        torch::allclose(filtered.set.directions[size_t(k)].parameters,
                        normalizeDirection(quick.set.directions[size_t(k)].parameters, *model,
                                           DirectionNorm::Filter, OneDimPolicy::Zero),
                        1e-5, 1e-8))
        << k;
  EXPECT_THROW(computeEigenDirections(*model, data, 0), InvalidArgument);
  EXPECT_THROW(computeEigenDirections(*model, data, 4), InvalidArgument);
  // Cancelled between products: nothing is returned, the model is as it was.
  CancelToken token;
  token.cancel();
  JobControl cancelled;
  cancelled.cancel = &token;
  EXPECT_THROW(computeEigenDirections(*model, data, 2, {}, cancelled), Cancelled);
}
