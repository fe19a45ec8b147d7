// HessianOperator against exact references: dense finite-difference Hessians in float64,
// closed forms for linear, logistic and softmax regression, batch and per-class identities.
#include <gtest/gtest.h>
#include <torch/autograd.h>
#include <torch/nn/functional/loss.h>
#include <torch/types.h>

#include <Eigen/Dense>
#include <Eigen/Eigenvalues>

#include <filesystem>

#include "flatland/analysis/hessian_analysis.h"
#include "flatland/analysis/hessian_operator.h"
#include "flatland/errors.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"

using namespace flatland;
using namespace flatland::analysis;
using namespace flatland::training;

namespace {

// The committed model (tests/models); a path from the build, not __FILE__, which ccache may make
// relative to the build folder.
const std::string kTinyMlp = std::string(FLATLAND_COMMITTED_MODELS_DIR) + "/tiny_mlp.pt";

at::Tensor meanLoss(const LossFunction& loss, const at::Tensor& out, const at::Tensor& labels) {
  return loss ? loss(out, labels) : torch::nn::functional::cross_entropy(out, labels);
}

// Gradient of the mean loss over the whole set in one batch, by ordinary (first-order) backward.
at::Tensor lossGradient(Model& model, const Dataset& data, const LossFunction& loss = {}) {
  model.setTraining(false);
  auto params = model.parameters();
  auto l = meanLoss(loss, model.forward(data.inputs.to(model.dtype())), data.labels);
  auto grads = torch::autograd::grad({l}, params, {}, false, false, true);
  std::vector<at::Tensor> flat;
  for (size_t i = 0; i < grads.size(); ++i)
    flat.push_back((grads[i].defined() ? grads[i] : torch::zeros_like(params[i])).reshape({-1}));
  return torch::cat(flat);
}

// Central differences of the gradient along v: (g(w + h v) − g(w − h v)) / 2h. In float64 with
// h = 1e-5 the truncation error is O(h²) ≈ 1e-10 and the rounding error ≈ ε‖g‖/h ≈ 1e-11.
at::Tensor finiteDifferenceHv(Model& model, const Dataset& data, const at::Tensor& v,
                              const LossFunction& loss = {}, double h = 1e-5) {
  auto w0 = model.flatParameters();
  model.setFlatParameters(w0 + h * v);
  auto plus = lossGradient(model, data, loss);
  model.setFlatParameters(w0 - h * v);
  auto minus = lossGradient(model, data, loss);
  model.setFlatParameters(w0);
  return (plus - minus) / (2.0 * h);
}

Eigen::MatrixXd toEigen(const at::Tensor& square) {
  auto t = square.to(torch::kCPU, torch::kFloat64).contiguous();
  const int64_t n = t.size(0);
  Eigen::MatrixXd m(n, n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) m(i, j) = t[i][j].item<double>();
  return m;
}

// Column j of the dense Hessian = H e_j, by the operator under test.
at::Tensor denseFromOperator(const HessianOperator& op) {
  const int64_t n = op.rows();
  std::vector<at::Tensor> columns;
  for (int64_t j = 0; j < n; ++j) {
    auto e = torch::zeros({n}, torch::kFloat64);
    e[j] = 1.0;
    columns.push_back(op.apply(e).to(torch::kFloat64));
  }
  return torch::stack(columns, 1);
}

at::Tensor denseFromFiniteDifferences(Model& model, const Dataset& data,
                                      const LossFunction& loss = {}) {
  const int64_t n = model.parameterCount();
  std::vector<at::Tensor> columns;
  for (int64_t j = 0; j < n; ++j) {
    auto e = torch::zeros({n}, torch::kFloat64);
    e[j] = 1.0;
    columns.push_back(finiteDifferenceHv(model, data, e, loss));
  }
  return torch::stack(columns, 1);
}

double maxAbs(const at::Tensor& t) { return t.abs().max().item<double>(); }
double relativeError(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).norm().item<double>() / std::max(b.norm().item<double>(), 1e-300);
}

Dataset imageData(int64_t n, std::vector<int64_t> shape, int64_t classes, uint64_t seed) {
  torch::manual_seed(seed);
  Dataset d;
  std::vector<int64_t> full = {n};
  full.insert(full.end(), shape.begin(), shape.end());
  d.inputs = torch::randn(full);
  d.labels = torch::arange(n, torch::kInt64) % classes;  // every class present
  d.numClasses = classes;
  d.spec = "test:images";
  for (int64_t c = 0; c < classes; ++c) d.classNames.push_back("c" + std::to_string(c));
  return d;
}

std::unique_ptr<Model> float64Zoo(const std::string& name, const Dataset& data, uint64_t seed = 1) {
  auto model = makeZooModel(name, {data.sampleShape(), data.numClasses}, seed);
  model->to(c10::Device(c10::kCPU), torch::kFloat64);
  return model;
}

at::Tensor randomUnit(int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  auto v = torch::randn({n}, torch::kFloat64);
  return v / v.norm();
}

}  // namespace

TEST(HessianOperator, TinyMlpWithBatchNormMatchesDenseFiniteDifferences) {
  // TorchScript tanh MLP with BatchNorm (eval mode, non-trivial running statistics), 51 params.
  auto model = loadTorchScriptModel(kTinyMlp);
  model->to(c10::Device(c10::kCPU), torch::kFloat64);
  model->setTraining(true);
  auto data = makeSynthetic("spirals", 40, 3);
  at::Tensor fromOperator;
  {
    HessianOperator op(*model, data);
    EXPECT_FALSE(model->isTraining());  // eval mode while the operator lives
    fromOperator = denseFromOperator(op);
    EXPECT_EQ(op.products(), model->parameterCount());
  }
  EXPECT_TRUE(model->isTraining());  // restored
  auto reference = denseFromFiniteDifferences(*model, data);
  // Finite-difference error ≈ 1e-10 (see finiteDifferenceHv); 1e-7·max|H| leaves margin.
  EXPECT_LT(maxAbs(fromOperator - reference), 1e-7 * std::max(1.0, maxAbs(reference)));
  EXPECT_LT(maxAbs(fromOperator - fromOperator.t()), 1e-12 * std::max(1.0, maxAbs(reference)));
}

TEST(HessianOperator, SmoothCnnMatchesDenseFiniteDifferences) {
  auto data = imageData(10, {1, 4, 4}, 3, 2);
  auto model = float64Zoo("cnn-smooth", data);
  ASSERT_EQ(model->parameterCount(), 1299);
  at::Tensor fromOperator;
  {
    HessianOperator op(*model, data);
    fromOperator = denseFromOperator(op);
  }
  auto reference = denseFromFiniteDifferences(*model, data);
  EXPECT_LT(maxAbs(fromOperator - reference), 1e-7 * std::max(1.0, maxAbs(reference)));
}

TEST(HessianOperator, MlpTanhMatchesDirectionalFiniteDifferences) {
  auto data = makeSynthetic("spirals", 60, 4);
  auto model = float64Zoo("mlp-tanh", data);  // 8835 parameters: directions, not a dense matrix
  std::vector<at::Tensor> v, hv;
  {
    HessianOperator op(*model, data);
    for (uint64_t s = 0; s < 3; ++s) {
      v.push_back(randomUnit(op.rows(), 10 + s));
      hv.push_back(op.apply(v.back()));
    }
    // Symmetry: uᵀ(Hv) = vᵀ(Hu).
    EXPECT_NEAR(v[0].dot(hv[1]).item<double>(), v[1].dot(hv[0]).item<double>(),
                1e-12 * hv[0].norm().item<double>());
  }
  for (size_t i = 0; i < v.size(); ++i)
    EXPECT_LT(relativeError(hv[i], finiteDifferenceHv(*model, data, v[i])), 1e-6) << i;
}

TEST(HessianOperator, ResNetWithBatchNormInEvalModeMatchesDirectionalFiniteDifferences) {
  auto data = imageData(6, {3, 8, 8}, 4, 5);
  auto model = float64Zoo("resnet20", data, 2);
  {
    // Non-trivial running statistics, so eval mode differs from train mode.
    torch::NoGradGuard noGrad;
    model->setTraining(true);
    for (int i = 0; i < 3; ++i)
      model->forward(torch::randn({8, 3, 8, 8}, torch::kFloat64) * 2.0 + 0.3);
  }
  model->setTraining(false);
  at::Tensor v = randomUnit(model->parameterCount(), 20), hv;
  {
    HessianOperator op(*model, data);
    hv = op.apply(v);
  }
  // ReLU kinks: central differences are exact only if no pre-activation changes sign within
  // ±h·v; with h = 1e-6 and these inputs none does, and the error is ~1e-8 relative.
  EXPECT_LT(relativeError(hv, finiteDifferenceHv(*model, data, v, {}, 1e-6)), 1e-5);
  EXPECT_GT(hv.norm().item<double>(), 0.0);
}

TEST(HessianOperator, MseLinearRegressionClosedForm) {
  auto data = makeSynthetic("blobs", 50, 6);
  auto model = float64Zoo("linear", data);
  const int64_t n = data.size(), d = 8, c = data.numClasses;
  // Mean over samples of Σ_c (f_c − onehot_c)²: per output H = (2/N) X̃ᵀX̃, X̃ = [X 1].
  LossFunction mse = [c](const at::Tensor& out, const at::Tensor& labels) {
    auto target = torch::one_hot(labels, c).to(out.dtype());
    return (out - target).pow(2).sum(1).mean();
  };
  HessianOptions options;
  options.loss = mse;
  HessianOperator op(*model, data, options);
  auto h = denseFromOperator(op);
  auto x = torch::cat({data.inputs.to(torch::kFloat64), torch::ones({n, 1}, torch::kFloat64)}, 1);
  auto block = 2.0 / double(n) * x.t().mm(x);  // (d+1)×(d+1)
  auto index = [&](int64_t cls, int64_t a) { return a < d ? cls * d + a : c * d + cls; };
  auto expected = torch::zeros({c * (d + 1), c * (d + 1)}, torch::kFloat64);
  for (int64_t k = 0; k < c; ++k)
    for (int64_t a = 0; a <= d; ++a)
      for (int64_t b = 0; b <= d; ++b) expected[index(k, a)][index(k, b)] = block[a][b];
  // Exact quadratic: only rounding (~1e-15 relative) separates the two.
  EXPECT_LT(maxAbs(h - expected), 1e-10 * maxAbs(expected));
}

TEST(HessianOperator, BinaryLogisticRegressionClosedForm) {
  auto data = makeSynthetic("blobs", 50, 7);
  auto model = float64Zoo("linear", data);
  const int64_t n = data.size(), d = 8, c = data.numClasses;
  // Logistic regression on output 0 (class 0 against the rest); other outputs unused.
  LossFunction logistic = [](const at::Tensor& out, const at::Tensor& labels) {
    return torch::binary_cross_entropy_with_logits(out.select(1, 0), (labels == 0).to(out.dtype()));
  };
  HessianOptions options;
  options.loss = logistic;
  HessianOperator op(*model, data, options);
  auto h = denseFromOperator(op);
  auto x = torch::cat({data.inputs.to(torch::kFloat64), torch::ones({n, 1}, torch::kFloat64)}, 1);
  at::Tensor z;
  {
    torch::NoGradGuard noGrad;
    z = model->forward(data.inputs.to(torch::kFloat64)).select(1, 0);
  }
  auto s = torch::sigmoid(z);
  auto block = x.t().mm(x * (s * (1 - s)).unsqueeze(1)) / double(n);  // (1/N) Xᵀ diag(σ(1−σ)) X
  auto index = [&](int64_t a) { return a < d ? a : c * d; };
  auto expected = torch::zeros_like(h);
  for (int64_t a = 0; a <= d; ++a)
    for (int64_t b = 0; b <= d; ++b) expected[index(a)][index(b)] = block[a][b];
  EXPECT_LT(maxAbs(h - expected), 1e-10 * maxAbs(expected));
}

TEST(HessianOperator, SoftmaxRegressionClosedForm) {
  auto data = makeSynthetic("blobs", 40, 8);
  auto model = float64Zoo("linear", data);
  const int64_t n = data.size(), d = 8, c = data.numClasses, p = c * (d + 1);
  HessianOperator op(*model, data);
  auto h = denseFromOperator(op);
  auto x = torch::cat({data.inputs.to(torch::kFloat64), torch::ones({n, 1}, torch::kFloat64)}, 1);
  at::Tensor probabilities;
  {
    torch::NoGradGuard noGrad;
    probabilities = torch::softmax(model->forward(data.inputs.to(torch::kFloat64)), 1);
  }
  // H = mean_k (diag p_k − p_k p_kᵀ) ⊗ x̃_k x̃_kᵀ, with parameters ordered W (c-major) then b.
  auto index = [&](int64_t cls, int64_t a) { return a < d ? cls * d + a : c * d + cls; };
  auto expected = torch::zeros({p, p}, torch::kFloat64);
  auto e = expected.accessor<double, 2>();
  auto pr = probabilities.accessor<double, 2>();
  auto xs = x.accessor<double, 2>();
  for (int64_t k = 0; k < n; ++k)
    for (int64_t i = 0; i < c; ++i)
      for (int64_t j = 0; j < c; ++j) {
        const double a = ((i == j) ? pr[k][i] : 0.0) - pr[k][i] * pr[k][j];
        for (int64_t u = 0; u <= d; ++u)
          for (int64_t w = 0; w <= d; ++w)
            e[index(i, u)][index(j, w)] += a * xs[k][u] * xs[k][w] / double(n);
      }
  EXPECT_LT(maxAbs(h - expected), 1e-10 * maxAbs(expected));
}

TEST(HessianOperator, BatchAccumulationEqualsTheFullBatchWhateverTheBatchSize) {
  auto data = makeSynthetic("spirals", 50, 9);
  auto model = float64Zoo("mlp-tanh", data);
  auto v = randomUnit(model->parameterCount(), 30);
  at::Tensor full;
  {
    HessianOptions options;
    options.batchSize = 50;
    HessianOperator op(*model, data, options);
    full = op.apply(v);
  }
  for (int64_t batch : {1, 7, 16, 49}) {
    for (auto storage : {HessianOptions::Storage::Cached, HessianOptions::Storage::Streamed}) {
      HessianOptions options;
      options.batchSize = batch;
      options.storage = storage;
      HessianOperator op(*model, data, options);
      EXPECT_EQ(op.cached(), storage == HessianOptions::Storage::Cached);
      // Same sums in a different order: agreement to rounding (~1e-15 relative).
      EXPECT_LT(relativeError(op.apply(v), full), 1e-11) << batch;
    }
  }
  HessianOptions automatic;
  automatic.maxCachedSamples = 10;
  EXPECT_FALSE(HessianOperator(*model, data, automatic).cached());
  automatic.maxCachedSamples = 50;
  EXPECT_TRUE(HessianOperator(*model, data, automatic).cached());
}

TEST(HessianOperator, ClassHessiansWeightedByFrequencySumToTheFullHessian) {
  auto data = makeSynthetic("spirals", 45, 10);
  auto model = float64Zoo("mlp-tanh", data);
  auto v = randomUnit(model->parameterCount(), 31);
  auto full = HessianOperator(*model, data).apply(v);
  auto counts = data.classCounts();
  auto sum = torch::zeros_like(full);
  for (int64_t c = 0; c < data.numClasses; ++c) {
    ASSERT_GT(counts[size_t(c)], 0);
    auto classData = data.ofClass(c);
    sum += double(counts[size_t(c)]) / double(data.size()) *
           HessianOperator(*model, classData).apply(v);
  }
  EXPECT_LT(relativeError(sum, full), 1e-11);
}

TEST(HessianOperator, Float32AgreesWithFloat64) {
  auto data = makeSynthetic("spirals", 40, 11);
  auto model = makeZooModel("mlp-tanh", {data.sampleShape(), data.numClasses}, 3);
  auto model64 = model->clone();
  model64->to(c10::Device(c10::kCPU), torch::kFloat64);
  auto v = randomUnit(model->parameterCount(), 32);
  auto hv32 = HessianOperator(*model, data).apply(v);
  EXPECT_EQ(hv32.scalar_type(), torch::kFloat32);
  auto hv64 = HessianOperator(*model64, data).apply(v);
  // float32 rounding (6e-8) amplified by the network's depth and sums: 1e-4 relative.
  EXPECT_LT(relativeError(hv32.to(torch::kFloat64), hv64), 1e-4);
}

TEST(HessianOperator, LanczosOnTheHessianMatchesTheDenseEigenvalues) {
  auto model = loadTorchScriptModel(kTinyMlp);
  model->to(c10::Device(c10::kCPU), torch::kFloat64);
  auto data = makeSynthetic("spirals", 40, 12);
  HessianOperator op(*model, data);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(toEigen(denseFromOperator(op)));
  const auto& exact = dense.eigenvalues();
  const int64_t n = op.rows();
  EigenOptions options;
  options.tol = 1e-10;
  auto top = lanczosEigen(op, 3, SpectrumEnd::Largest, options);
  auto bottom = lanczosEigen(op, 3, SpectrumEnd::Smallest, options);
  ASSERT_TRUE(top.converged);
  ASSERT_TRUE(bottom.converged);
  const double scale = exact.cwiseAbs().maxCoeff();
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(top.values[size_t(i)], exact[n - 1 - i], 1e-8 * scale) << i;
    EXPECT_NEAR(bottom.values[size_t(i)], exact[i], 1e-8 * scale) << i;
  }
  EXPECT_LT(bottom.values[0], 0.0);  // an untrained network sits near a saddle: negative curvature
}

TEST(HessianOperator, BadInputIsAClearError) {
  auto data = makeSynthetic("spirals", 30, 13);
  auto model = float64Zoo("mlp-tanh", data);
  // k larger than the parameter count.
  HessianSettings settings;
  settings.topK = model->parameterCount();
  EXPECT_THROW(runHessianAnalysis(*model, data, settings), InvalidArgument);
  settings.topK = 1;
  settings.bottomK = model->parameterCount() + 5;
  try {
    validateHessianSettings(settings, *model, data);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("--bottom-k"), std::string::npos) << e.what();
  }
  // An empty class: per-class analysis names it; an operator over no samples refuses.
  settings.bottomK = 0;
  settings.perClass = true;
  auto withoutClass2 = data.select(torch::nonzero(data.labels != 2).flatten());
  try {
    runHessianAnalysis(*model, withoutClass2, settings);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("class 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(HessianOperator(*model, data.select(torch::zeros({0}, torch::kInt64))),
               InvalidArgument);
  // Batch sweep larger than the set.
  settings.perClass = false;
  settings.batchSweep = {64};
  EXPECT_THROW(validateHessianSettings(settings, *model, data), InvalidArgument);
  // A NaN in the loss.
  {
    auto broken = model->clone();
    auto w = broken->flatParameters();
    w[5] = std::nan("");
    broken->setFlatParameters(w);
    EXPECT_THROW(HessianOperator(*broken, data), NumericalError);
    HessianOptions streamed;
    streamed.storage = HessianOptions::Storage::Streamed;
    EXPECT_THROW(HessianOperator(*broken, data, streamed), NumericalError);
  }
  // No trainable parameters.
  for (auto& p : model->parameters()) p.requires_grad_(false);
  EXPECT_EQ(model->parameterCount(), 0);
  try {
    HessianOperator op(*model, data);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("no trainable parameters"), std::string::npos) << e.what();
  }
}

TEST(HessianOperator, CancellationBetweenProducts) {
  auto data = makeSynthetic("spirals", 30, 14);
  auto model = float64Zoo("mlp-tanh", data);
  CancelToken token;
  JobControl control;
  control.cancel = &token;
  HessianOptions streamed;
  streamed.storage = HessianOptions::Storage::Streamed;
  streamed.batchSize = 10;
  HessianOperator op(*model, data, streamed, control);
  auto v = randomUnit(op.rows(), 33);
  op.apply(v);
  token.cancel();
  EXPECT_THROW(op.apply(v), Cancelled);
  EXPECT_EQ(op.products(), 1);
}

TEST(GaussNewton, EqualsTheHessianForSoftmaxRegression) {
  // f is linear in w, so ∇²L = Jᵀ(∇²_f ℓ)J exactly: the GGN must reproduce the Hessian.
  auto data = makeSynthetic("blobs", 40, 15);
  auto model = float64Zoo("linear", data);
  auto hessian = denseFromOperator(HessianOperator(*model, data));
  for (auto storage : {HessianOptions::Storage::Cached, HessianOptions::Storage::Streamed}) {
    HessianOptions options;
    options.curvature = HessianOptions::Curvature::GaussNewton;
    options.storage = storage;
    options.batchSize = 15;
    auto ggn = denseFromOperator(HessianOperator(*model, data, options));
    EXPECT_LT(maxAbs(ggn - hessian), 1e-10 * maxAbs(hessian));
  }
}

TEST(GaussNewton, MatchesExplicitJacobianProductAndIsPositiveSemiDefinite) {
  auto model = loadTorchScriptModel(kTinyMlp);
  model->to(c10::Device(c10::kCPU), torch::kFloat64);
  auto data = makeSynthetic("spirals", 20, 16);
  HessianOptions options;
  options.curvature = HessianOptions::Curvature::GaussNewton;
  options.batchSize = 7;  // three batches: accumulation too
  auto ggn = denseFromOperator(HessianOperator(*model, data, options));
  // Reference: G = (1/N) Σ_k J_kᵀ (diag p_k − p_k p_kᵀ) J_k, J_k the C×P Jacobian of sample k's
  // logits, row by row with ordinary backward passes.
  model->setTraining(false);
  auto params = model->parameters();
  auto out = model->forward(data.inputs.to(torch::kFloat64));
  auto p = torch::softmax(out.detach(), 1);
  const int64_t n = data.size(), c = out.size(1), dim = model->parameterCount();
  auto reference = torch::zeros({dim, dim}, torch::kFloat64);
  for (int64_t k = 0; k < n; ++k) {
    std::vector<at::Tensor> rows;
    for (int64_t i = 0; i < c; ++i) {
      auto g = torch::autograd::grad({out[k][i]}, params, {}, true, false, true);
      std::vector<at::Tensor> flat;
      for (size_t j = 0; j < g.size(); ++j)
        flat.push_back((g[j].defined() ? g[j] : torch::zeros_like(params[j])).reshape({-1}));
      rows.push_back(torch::cat(flat));
    }
    auto jk = torch::stack(rows);  // C × P
    auto a = torch::diag(p[k]) - torch::outer(p[k], p[k]);
    reference += jk.t().mm(a).mm(jk) / double(n);
  }
  EXPECT_LT(maxAbs(ggn - reference), 1e-10 * maxAbs(reference));
  auto eigenvalues = at::linalg_eigvalsh(ggn, "L");
  // PSD up to rounding: the smallest eigenvalue ≥ −1e-12·λ_max (the true value is ≥ 0).
  EXPECT_GE(eigenvalues.min().item<double>(), -1e-12 * eigenvalues.max().item<double>());
}
