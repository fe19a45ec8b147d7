// The whole Hessian job: results against dense references, progress, and the project file.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <Eigen/Dense>
#include <Eigen/Eigenvalues>

#include <numeric>

#include "flatland/analysis/hessian_analysis.h"
#include "flatland/errors.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"
#include "flatland/training/project_file.h"
#include "test_util.h"

using namespace flatland;
using namespace flatland::analysis;
using namespace flatland::training;

namespace {

Eigen::MatrixXd denseHessian(const HessianOperator& op) {
  const int64_t n = op.rows();
  Eigen::MatrixXd h(n, n);
  std::vector<double> e(static_cast<size_t>(n), 0.0), column(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) {
    e[size_t(j)] = 1.0;
    op.perform_op(e.data(), column.data());
    e[size_t(j)] = 0.0;
    for (int64_t i = 0; i < n; ++i) h(i, j) = column[size_t(i)];
  }
  return h;
}

struct Fixture {
  Dataset data = makeSynthetic("blobs", 80, 21);
  std::unique_ptr<Model> model;
  Fixture() {
    model = makeZooModel("linear", {data.sampleShape(), data.numClasses}, 4);  // 36 parameters
    model->to(c10::Device(c10::kCPU), torch::kFloat64);
  }
};

HessianSettings everything() {
  HessianSettings s;
  s.topK = 3;
  s.bottomK = 2;
  s.eigen.tol = 1e-10;
  s.trace = true;
  s.traceOptions.maxSamples = 200;
  s.traceOptions.targetRelStderr = 0.0;
  s.density = true;
  s.densityOptions.steps = 36;
  s.densityOptions.vectors = 2;
  s.densityOptions.gridPoints = 500;
  s.perClass = true;
  s.batchSweep = {8, 32};
  s.sweepRepeats = 3;
  s.seed = 7;
  return s;
}

// The per-class Hessian of softmax regression in closed form (float64): with z = Wx + b and
// p = softmax(z), H_c = (1/n_c) Σ_{i in class c} J_iᵀ (diag p_i − p_i p_iᵀ) J_i, where J_i = ∂z/∂θ
// holds x_i in the weight row of each logit and 1 at its bias. The model is linear in θ, so there
// is no second-derivative term.
Eigen::MatrixXd closedFormClassHessian(const Model& model, const Dataset& data, int64_t cls) {
  const auto classData = data.ofClass(cls);
  at::Tensor weight, bias;
  int64_t weightOffset = 0, biasOffset = 0, offset = 0;
  for (const auto& p : model.namedParameters()) {
    if (p.tensor.dim() == 2) weight = p.tensor.detach().to(torch::kFloat64), weightOffset = offset;
    if (p.tensor.dim() == 1) bias = p.tensor.detach().to(torch::kFloat64), biasOffset = offset;
    offset += p.tensor.numel();
  }
  const int64_t classes = weight.size(0), d = weight.size(1), n = classData.size();
  auto x = classData.inputs.reshape({n, d}).to(torch::kFloat64);
  auto probabilities = torch::softmax(x.matmul(weight.t()) + bias, 1);
  Eigen::MatrixXd h = Eigen::MatrixXd::Zero(offset, offset);
  for (int64_t i = 0; i < n; ++i) {
    Eigen::MatrixXd jacobian = Eigen::MatrixXd::Zero(classes, offset);
    for (int64_t k = 0; k < classes; ++k) {
      for (int64_t j = 0; j < d; ++j)
        jacobian(k, weightOffset + k * d + j) = x[i][j].item<double>();
      jacobian(k, biasOffset + k) = 1.0;
    }
    Eigen::VectorXd p(classes);
    for (int64_t k = 0; k < classes; ++k) p(k) = probabilities[i][k].item<double>();
    Eigen::MatrixXd a = Eigen::MatrixXd(p.asDiagonal()) - p * p.transpose();
    h += jacobian.transpose() * a * jacobian;
  }
  return h / double(n);
}

// Per-class spectra against the closed form: top and bottom eigenvalues of each class's Hessian,
// and the per-class trace within 4 of its standard errors of the exact one.
}  // namespace

TEST(HessianAnalysis, PerClassSpectraMatchTheClosedFormOfSoftmaxRegression) {
  Fixture f;
  HessianSettings s = everything();
  s.density = false;
  s.batchSweep.clear();
  auto report = runHessianAnalysis(*f.model, f.data, s);
  ASSERT_EQ(report.perClass.size(), size_t(f.data.numClasses));
  for (const auto& c : report.perClass) {
    const Eigen::MatrixXd h = closedFormClassHessian(*f.model, f.data, c.classIndex);
    {
      // The closed form is the Hessian the operator applies (to rounding).
      auto classData = f.data.ofClass(c.classIndex);
      HessianOperator op(*f.model, classData);
      EXPECT_LT((denseHessian(op) - h).cwiseAbs().maxCoeff(),
                1e-12 * (1.0 + h.cwiseAbs().maxCoeff()))
          << "class " << c.classIndex;
    }
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(h);
    const auto& exact = dense.eigenvalues();
    const int64_t n = h.rows();
    const double scale = exact.cwiseAbs().maxCoeff();
    ASSERT_EQ(c.spectrum.top.values.size(), 3u);
    for (int i = 0; i < 3; ++i)
      EXPECT_NEAR(c.spectrum.top.values[size_t(i)], exact[n - 1 - i], 1e-8 * scale)
          << "class " << c.classIndex;
    ASSERT_EQ(c.spectrum.bottom.values.size(), 2u);
    // One class's softmax Hessian has a large exact nullspace, a degenerate cluster at 0 that
    // Lanczos need not resolve within its budget. Ritz values never leave the spectrum
    // (Cauchy interlacing): λ_min ≤ θ always; equal to 1e-8 once the pairs converged.
    for (int i = 0; i < 2; ++i) {
      EXPECT_GE(c.spectrum.bottom.values[size_t(i)], exact[0] - 1e-8 * scale)
          << "class " << c.classIndex;
      if (c.spectrum.bottom.converged) {
        EXPECT_NEAR(c.spectrum.bottom.values[size_t(i)], exact[i], 1e-8 * scale)
            << "class " << c.classIndex;
      }
    }
    ASSERT_TRUE(c.spectrum.hasTrace);
    EXPECT_LT(std::abs(c.spectrum.trace.mean - h.trace()),
              4.0 * c.spectrum.trace.standardError + 1e-12)
        << "class " << c.classIndex;
  }
}

TEST(HessianAnalysis, FullJobMatchesDenseReferences) {
  Fixture f;
  Eigen::MatrixXd h;
  {
    HessianOperator op(*f.model, f.data);
    h = denseHessian(op);
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(h);
  const auto& exact = dense.eigenvalues();
  const int64_t n = h.rows();
  std::vector<double> fractions;
  std::vector<int64_t> counts;
  JobControl control;
  control.onProgress = [&](const ProgressEvent& e) {
    fractions.push_back(e.fraction);
    counts.push_back(e.hvpCount);
  };
  auto report = runHessianAnalysis(*f.model, f.data, everything(), control);
  EXPECT_EQ(report.parameters, n);
  const double scale = exact.cwiseAbs().maxCoeff();
  ASSERT_EQ(report.full.top.values.size(), 3u);
  for (int i = 0; i < 3; ++i)
    EXPECT_NEAR(report.full.top.values[size_t(i)], exact[n - 1 - i], 1e-8 * scale);
  ASSERT_EQ(report.full.bottom.values.size(), 2u);
  for (int i = 0; i < 2; ++i)
    EXPECT_NEAR(report.full.bottom.values[size_t(i)], exact[i], 1e-8 * scale);
  // Trace within 4 standard errors (fixed seed: deterministic).
  EXPECT_LT(std::abs(report.full.trace.mean - h.trace()), 4.0 * report.full.trace.standardError);
  // SLQ with m = dimension: every eigenvalue of H that the start vector sees is a node.
  for (const auto& nodes : report.full.density.nodes)
    for (double x : nodes) EXPECT_LT((exact.array() - x).abs().minCoeff(), 1e-7 * scale);
  for (const auto& w : report.full.density.weights)
    EXPECT_NEAR(std::accumulate(w.begin(), w.end(), 0.0), 1.0, 1e-6);
  // Per class: every class, counts adding up to the set.
  ASSERT_EQ(report.perClass.size(), size_t(f.data.numClasses));
  int64_t total = 0;
  for (const auto& c : report.perClass) {
    total += c.count;
    EXPECT_EQ(c.spectrum.samples, c.count);
    EXPECT_EQ(c.spectrum.top.values.size(), 3u);
  }
  EXPECT_EQ(total, f.data.size());
  // Batch sweep: one λ_max per random batch.
  ASSERT_EQ(report.sweep.lambdaMax.size(), 2u);
  EXPECT_EQ(report.sweep.lambdaMax[0].size(), 3u);
  EXPECT_DOUBLE_EQ(report.sweep.lambdaMaxFull, report.full.top.values[0]);
  // Progress: within [0, 1], never backwards, ends at 1 with the job's product count.
  ASSERT_FALSE(fractions.empty());
  for (size_t i = 1; i < fractions.size(); ++i) {
    EXPECT_GE(fractions[i], fractions[i - 1] - 1e-12) << i;
    EXPECT_GE(counts[i], counts[i - 1]) << i;
  }
  EXPECT_DOUBLE_EQ(fractions.back(), 1.0);
  EXPECT_EQ(counts.back(), report.hvpCount);
  EXPECT_LE(fractions.front(), 0.1);
}

TEST(HessianAnalysis, StoredGroupFollowsTheSchema) {
  Fixture f;
  auto settings = everything();
  // The bottom of softmax regression's spectrum is a 9-fold exact zero (shifting every class's
  // logit by the same amount changes nothing). Spectra's test for a Ritz value θ ≈ 0 is an
  // absolute residual ≤ tol·ε^(2/3): with tol 1e-10 that is 4e-21, below what float64 rounding
  // reaches, so whether those pairs "converge" (and their vectors get stored) depended on the
  // BLAS. Schema checks need stored vectors: the default tolerance gives them on every build.
  settings.eigen.tol = 1e-3;
  auto report = runHessianAnalysis(*f.model, f.data, settings);
  Provenance provenance;
  provenance.kind = "hessian";
  provenance.model = "zoo:linear";
  provenance.data = "synthetic:blobs:80:21";
  provenance.samples = 80;
  provenance.seed = 7;
  provenance.device = "cpu";
  provenance.settingsJson = "{}";
  flatland::testing::TempDir dir;
  auto project = ProjectFile::openOrCreate(dir.file("p.h5"));
  const auto path = newAnalysisPath(project, "hessian", "test run");
  project.put(path, hessianNode(report, provenance));
  auto node = project.read(path);
  EXPECT_EQ(node.text("kind"), "hessian");
  EXPECT_EQ(node.number("complete"), 1.0);
  EXPECT_EQ(node.text("model"), "zoo:linear");
  EXPECT_DOUBLE_EQ(node.number("lambda_max"), report.full.top.values[0]);
  EXPECT_DOUBLE_EQ(node.number("lambda_min"), report.full.bottom.values[0]);
  EXPECT_DOUBLE_EQ(node.number("trace"), report.full.trace.mean);
  EXPECT_DOUBLE_EQ(node.number("hvp_count"), double(report.hvpCount));
  EXPECT_EQ(node.dataset("top_eigenvalues").shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(node.dataset("top_eigenvectors").shape, (std::vector<int64_t>{3, 36}));
  EXPECT_EQ(node.dataset("bottom_eigenvectors").shape, (std::vector<int64_t>{2, 36}));
  const auto& density = node.group("density");
  EXPECT_EQ(density.dataset("grid").shape, (std::vector<int64_t>{500}));
  const auto weights = density.dataset("weights");
  ASSERT_EQ(weights.shape.size(), 2u);
  EXPECT_EQ(weights.shape[0], 2);
  const auto w = weights.asDoubles();
  for (int64_t r = 0; r < weights.shape[0]; ++r)
    EXPECT_NEAR(std::accumulate(w.begin() + r * weights.shape[1],
                                w.begin() + (r + 1) * weights.shape[1], 0.0),
                1.0, 1e-6);
  EXPECT_GT(density.number("sigma2"), 0.0);
  const auto& perClass = node.group("per_class");
  ASSERT_EQ(perClass.groups.size(), 4u);
  EXPECT_EQ(perClass.group("class_00").text("class_name"), f.data.classNames[0]);
  EXPECT_EQ(perClass.group("class_03").number("class_count"), double(f.data.classCounts()[3]));
  EXPECT_EQ(perClass.group("class_01").dataset("top_eigenvalues").shape, (std::vector<int64_t>{3}));
  const auto& sweep = node.group("batch_sweep");
  EXPECT_EQ(sweep.dataset("batch_sizes").asDoubles(), (std::vector<double>{8, 32}));
  EXPECT_EQ(sweep.dataset("lambda_max_samples").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_DOUBLE_EQ(sweep.number("lambda_max_full"), report.full.top.values[0]);
}

TEST(HessianAnalysis, MiniBatchLambdaMaxVariesAroundTheFullValue) {
  Fixture f;
  HessianSettings s;
  s.topK = 1;
  s.batchSweep = {4, 80};
  s.sweepRepeats = 4;
  auto report = runHessianAnalysis(*f.model, f.data, s);
  // A batch of the whole set (drawn without replacement) is the full set: same λ_max, no spread.
  for (double v : report.sweep.lambdaMax[1]) EXPECT_NEAR(v, report.sweep.lambdaMaxFull, 1e-6 * v);
  EXPECT_LT(report.sweep.std[1], 1e-6 * report.sweep.mean[1]);
  EXPECT_GT(report.sweep.std[0], 0.0);  // small random batches differ
}
