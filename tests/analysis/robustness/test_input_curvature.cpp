// Per-sample input Hessians against dense float64 Hessians formed column by column.
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/nn/functional/loss.h>
#include <torch/types.h>

#include <Eigen/Eigenvalues>

#include <cmath>

#include "flatland/analysis/input_curvature.h"
#include "flatland/errors.h"
#include "robustness_fixtures.h"

namespace {

using namespace flatland;
using namespace flatland::analysis;
namespace F = torch::nn::functional;

// ∇²ₓ ℓ(x_i, y_i) of one sample, dense, by one double-backward per column.
Eigen::MatrixXd denseInputHessian(training::Model& model, const training::Dataset& data,
                                  int64_t i) {
  auto x = data.inputs.slice(0, i, i + 1).clone().requires_grad_(true);
  auto loss = F::cross_entropy(model.forward(x), data.labels.slice(0, i, i + 1));
  auto g = torch::autograd::grad({loss}, {x}, {}, true, true)[0].flatten();
  const int64_t n = g.numel();
  Eigen::MatrixXd h(n, n);
  for (int64_t k = 0; k < n; ++k) {
    auto column = torch::autograd::grad({g[k]}, {x}, {}, true)[0].flatten();
    for (int64_t r = 0; r < n; ++r) h(r, k) = column[r].item<double>();
  }
  return 0.5 * (h + h.transpose());
}

Eigen::VectorXd gradientOf(training::Model& model, const at::Tensor& x, const at::Tensor& y) {
  auto leaf = x.clone().requires_grad_(true);
  auto g = torch::autograd::grad({F::cross_entropy(model.forward(leaf), y)}, {leaf})[0].flatten();
  Eigen::VectorXd out(g.numel());
  for (int64_t k = 0; k < g.numel(); ++k) out(k) = g[k].item<double>();
  return out;
}

class InputCurvatureTest : public ::testing::TestWithParam<const char*> {};

TEST_P(InputCurvatureTest, LanczosTopEigenvalueMatchesTheDenseInputHessian) {
  auto data = flatland::testing::gaussianInputs(12, 20, 3, 9, torch::kDouble);
  auto model = flatland::testing::zoo(GetParam(), data, 4, torch::kDouble);
  InputSpace space(data, InputUnits::Data, false);
  InputCurvatureOptions o;
  o.batchSize = 5;  // three batches, the last one short
  auto c = inputCurvature(*model, data, space, o);
  ASSERT_EQ(c.lambdaMax.size(), 12u);
  for (int64_t i = 0; i < 12; ++i) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(denseInputHessian(*model, data, i));
    const double exact = solver.eigenvalues().maxCoeff();
    // Residual tolerance 1e-4 bounds the eigenvalue error by (1e-4 λ)²/gap: 1e-6 relative holds
    // with a wide margin unless the top two eigenvalues nearly coincide.
    EXPECT_NEAR(c.lambdaMax[size_t(i)], exact, 1e-6 * std::abs(exact))
        << GetParam() << " sample " << i;
    EXPECT_EQ(c.converged[size_t(i)], 1);
    EXPECT_LE(c.steps[size_t(i)], 20);
  }
}

TEST_P(InputCurvatureTest, CureIsTheFiniteDifferenceOfTheGradient) {
  auto data = flatland::testing::gaussianInputs(6, 20, 3, 2, torch::kDouble);
  auto model = flatland::testing::zoo(GetParam(), data, 8, torch::kDouble);
  InputSpace space(data, InputUnits::Data, false);
  InputCurvatureOptions o;
  o.cureStep = 0.05;
  auto c = inputCurvature(*model, data, space, o);
  for (int64_t i = 0; i < 6; ++i) {
    auto x = data.inputs.slice(0, i, i + 1), y = data.labels.slice(0, i, i + 1);
    Eigen::VectorXd g = gradientOf(*model, x, y);
    Eigen::VectorXd z = g.array().sign().matrix();
    z /= z.norm();
    auto shifted = x + 0.05 * torch::from_blob(z.data(), {1, 20}, torch::kDouble).clone();
    const double expected = (gradientOf(*model, shifted, y) - g).norm() / 0.05;
    EXPECT_NEAR(c.cure[size_t(i)], expected, 1e-10 * std::max(1.0, expected)) << GetParam();
  }
}

INSTANTIATE_TEST_SUITE_P(ReluAndTanh, InputCurvatureTest, ::testing::Values("mlp", "mlp-tanh"));

TEST(InputCurvature, CureApproachesTheHessianAlongItsDirectionForSmoothModels) {
  // For small h, ‖∇ℓ(x + h z) − ∇ℓ(x)‖ / h → ‖H z‖: the error is O(h).
  auto data = flatland::testing::gaussianInputs(4, 20, 3, 6, torch::kDouble);
  auto model = flatland::testing::zoo("mlp-tanh", data, 3, torch::kDouble);
  InputSpace space(data, InputUnits::Data, false);
  InputCurvatureOptions o;
  o.cureStep = 1e-5;
  auto c = inputCurvature(*model, data, space, o);
  for (int64_t i = 0; i < 4; ++i) {
    Eigen::VectorXd g =
        gradientOf(*model, data.inputs.slice(0, i, i + 1), data.labels.slice(0, i, i + 1));
    Eigen::VectorXd z = g.array().sign().matrix();
    z /= z.norm();
    const double exact = (denseInputHessian(*model, data, i) * z).norm();
    EXPECT_NEAR(c.cure[size_t(i)], exact, 1e-3 * exact);
  }
}

TEST(InputCurvature, EachSampleIsIndependentOfItsBatch) {
  auto data = flatland::testing::gaussianInputs(8, 20, 3, 1, torch::kDouble);
  auto model = flatland::testing::zoo("mlp-tanh", data, 5, torch::kDouble);
  InputSpace space(data, InputUnits::Data, false);
  // A tolerance that runs Lanczos to the whole space (20 steps): exact, whatever the start vector.
  InputCurvatureOptions together, alone;
  together.tol = alone.tol = 1e-12;
  alone.batchSize = 1;
  auto a = inputCurvature(*model, data, space, together);
  auto b = inputCurvature(*model, data, space, alone);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_NEAR(a.lambdaMax[i], b.lambdaMax[i], 1e-7 * std::abs(b.lambdaMax[i]));
    EXPECT_NEAR(a.cure[i], b.cure[i], 1e-10 * std::abs(b.cure[i]));
  }
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.predictions, b.predictions);
}

TEST(InputCurvature, RefusesBadOptionsAndStopsWhenCancelled) {
  auto data = flatland::testing::gaussianInputs(4, 20, 3, 1);
  auto model = flatland::testing::zoo("mlp", data, 5);
  InputSpace space(data, InputUnits::Data, false);
  InputCurvatureOptions bad;
  bad.cureStep = 0;
  EXPECT_THROW(inputCurvature(*model, data, space, bad), InvalidArgument);
  CancelToken token;
  token.cancel();
  JobControl control;
  control.cancel = &token;
  EXPECT_THROW(inputCurvature(*model, data, space, {}, control), Cancelled);
}

}  // namespace
