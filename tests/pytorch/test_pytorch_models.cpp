// Models scripted by today's PyTorch (tests/models/make_pytorch_models.py, run at build time by
// the PyTorch the build uses): they load, and their logits, loss and whole Hessian spectrum equal
// PyTorch's own float64 numbers. With LibTorch 1.x the transformer cannot load; the test then
// checks the error says why and what to do.
//
// Tolerances: everything is float64 on both sides, with the same operations in a different
// order, so logits and losses agree to ~1e-15; 1e-10 leaves room for the reduction order. The
// dense Hessian is built column by column from our Hessian-vector products: eigenvalues to 1e-9
// absolute (the spectra are O(1)). Lanczos λ_max to 1e-6 relative, the bar.
#include <gtest/gtest.h>
#include <torch/autograd.h>
#include <torch/types.h>
#include <torch/version.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "flatland/analysis/hessian_operator.h"
#include "flatland/analysis/lanczos.h"
#include "flatland/errors.h"
#include "flatland/training/model.h"

using namespace flatland;
using namespace flatland::training;

namespace {

struct Reference {
  std::string name;
  nlohmann::json doc;
  at::Tensor x, y;
  int64_t classes = 0;
};

std::string modelsDir() { return FLATLAND_PYTORCH_MODELS_DIR; }

bool haveScriptedModels() { return std::ifstream(modelsDir() + "/mlp.json").good(); }

Reference reference(const std::string& name) {
  std::ifstream in(modelsDir() + "/" + name + ".json");
  Reference r;
  r.name = name;
  r.doc = nlohmann::json::parse(in);
  std::vector<int64_t> shape = {int64_t(r.doc["y"].size())};
  for (auto d : r.doc["sample_shape"]) shape.push_back(d.get<int64_t>());
  r.x = torch::tensor(r.doc["x"].get<std::vector<double>>(), torch::kFloat64).reshape(shape);
  r.y = torch::tensor(r.doc["y"].get<std::vector<int64_t>>(), torch::kInt64);
  r.classes = r.doc["classes"].get<int64_t>();
  return r;
}

std::unique_ptr<Model> loadFloat64(const Reference& r) {
  auto model = loadTorchScriptModel(modelsDir() + "/" + r.name + ".pt");
  model->setTraining(false);
  model->to(torch::kCPU, torch::kFloat64);
  return model;
}

// Every eigenvalue of the operator, from its dense matrix (column j = H e_j).
std::vector<double> denseSpectrum(const analysis::HessianOperator& op) {
  const int64_t n = op.rows();
  auto h = torch::zeros({n, n}, torch::kFloat64);
  std::vector<double> e(static_cast<size_t>(n), 0.0), column(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) {
    e[size_t(j)] = 1.0;
    op.perform_op(e.data(), column.data());
    e[size_t(j)] = 0.0;
    h.select(1, j).copy_(torch::tensor(column, torch::kFloat64));
  }
  EXPECT_LT((h - h.t()).abs().max().item<double>(), 1e-12);
  auto values = at::linalg_eigvalsh(0.5 * (h + h.t()), "L");
  return std::vector<double>(values.data_ptr<double>(), values.data_ptr<double>() + n);
}

void checkAgainstPyTorch(const std::string& name) {
  SCOPED_TRACE(name);
  const auto r = reference(name);
  auto model = loadFloat64(r);

  const auto logits = model->forward(r.x);
  const auto expected = torch::tensor(r.doc["logits"].get<std::vector<double>>(), torch::kFloat64)
                            .reshape(logits.sizes());
  EXPECT_LT((logits - expected).abs().max().item<double>(), 1e-10);

  Dataset data;
  data.inputs = r.x;
  data.labels = r.y;
  data.numClasses = r.classes;
  analysis::HessianOptions options;
  options.storage = analysis::HessianOptions::Storage::Cached;
  analysis::HessianOperator op(*model, data, options);
  EXPECT_NEAR(op.loss(), r.doc["loss"].get<double>(), 1e-10);

  const auto want = r.doc["eigenvalues"].get<std::vector<double>>();
  ASSERT_EQ(op.rows(), int64_t(want.size()));
  const auto got = denseSpectrum(op);
  double worst = 0.0;
  for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(got[i] - want[i]));
  EXPECT_LT(worst, 1e-9);

  analysis::EigenOptions eigen;
  eigen.tol = 1e-10;
  const auto top = analysis::lanczosEigen(op, 1, analysis::SpectrumEnd::Largest, eigen);
  ASSERT_TRUE(top.converged);
  EXPECT_NEAR(top.values[0], want.back(), 1e-6 * std::abs(want.back()));
}

}  // namespace

class PyTorchModels : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!haveScriptedModels())
      GTEST_SKIP()
          << "no PyTorch at build time (configure with FLATLAND_SCRIPTING_PYTHON) to script "
             "the models into "
          << modelsDir();
  }
};

TEST_F(PyTorchModels, MlpEqualsPyTorch) { checkAgainstPyTorch("mlp"); }
TEST_F(PyTorchModels, BatchNormCnnEqualsPyTorch) { checkAgainstPyTorch("bn_cnn"); }
TEST_F(PyTorchModels, ResNetBlockEqualsPyTorch) { checkAgainstPyTorch("resnet_block"); }

TEST_F(PyTorchModels, TransformerEncoderEqualsPyTorch) {
  if (TORCH_VERSION_MAJOR < 2) {
    EXPECT_THROW(loadTorchScriptModel(modelsDir() + "/transformer_encoder.pt"), ModelError);
    GTEST_SKIP() << "LibTorch " << TORCH_VERSION << " lacks scaled_dot_product_attention";
  }
  checkAgainstPyTorch("transformer_encoder");
}

namespace {

int64_t residentKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  return 0;
}

// A float32 model's inference pass (Model::inferenceForward) against its forward pass: equal to
// float32 rounding of the folded BatchNorm (1e-4 of the logits' scale, the bar CheckedInference
// holds it to). A convolutional model's is a frozen snapshot of the weights it was made from;
// other models' is the forward pass itself (freezing them does not pay).
void checkInferenceForward(const std::string& name, bool frozen) {
  SCOPED_TRACE(name);
  const auto r = reference(name);
  auto model = loadTorchScriptModel(modelsDir() + "/" + r.name + ".pt");
  model->setTraining(false);
  c10::InferenceMode inference;
  std::vector<int64_t> shape = {256};
  for (auto d : r.doc["sample_shape"]) shape.push_back(d.get<int64_t>());
  torch::manual_seed(3);
  const auto x = torch::randn(shape);
  auto close = [](const at::Tensor& a, const at::Tensor& b) {
    return (a - b).abs().max().item<double>() <= 1e-4 * (1.0 + b.abs().max().item<double>());
  };
  auto fast = model->inferenceForward();
  const auto before = model->forward(x);
  EXPECT_TRUE(close(fast(x), before));

  for (auto& p : model->parameters()) p.add_(0.25);
  const auto after = model->forward(x);
  EXPECT_FALSE(close(after, before));
  EXPECT_TRUE(close(fast(x), frozen ? before : after));
  EXPECT_TRUE(close(model->inferenceForward()(x), after));

  // One pass per grid point must not cost memory per point: freezing the live module kept
  // ~0.8 MB per call of the BatchNorm CNN in LibTorch's compilation unit (300 calls: ~240 MB).
  const auto start = residentKiB();
  for (int i = 0; i < 300; ++i) model->inferenceForward()(x.slice(0, 0, 8));
  EXPECT_LT(residentKiB() - start, 64 * 1024) << "KiB";
}

}  // namespace

TEST_F(PyTorchModels, InferencePassEqualsForwardForEveryModel) {
  checkInferenceForward("bn_cnn", true);
  checkInferenceForward("resnet_block", true);
  checkInferenceForward("mlp", false);
  if (TORCH_VERSION_MAJOR >= 2) checkInferenceForward("transformer_encoder", false);
}

// The file a PyTorch 2.11 user saves from nn.TransformerEncoder (committed, so builds without
// Python's torch test it too).
TEST(PyTorchTransformer, LoadsWithLibTorch2OrSaysWhichOperatorIsMissing) {
  const std::string path = FLATLAND_COMMITTED_MODELS_DIR "/transformer_encoder_torch2.pt";
  if (TORCH_VERSION_MAJOR >= 2) {
    auto model = loadTorchScriptModel(path);
    model->setTraining(false);
    EXPECT_EQ(model->forward(torch::randn({5, 16})).sizes(), (std::vector<int64_t>{5, 3}));
    return;
  }
  try {
    loadTorchScriptModel(path);
    FAIL() << "LibTorch 1.x loaded a model that needs scaled_dot_product_attention";
  } catch (const ModelError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("aten::scaled_dot_product_attention"), std::string::npos) << m;
    EXPECT_NE(m.find("LibTorch 1."), std::string::npos) << m;
    EXPECT_NE(m.find("PyTorch >= 2.7"), std::string::npos) << m;
  }
}

// zoo:vit-tiny's Hessian-vector products against central differences of its gradient, in float64:
// the written-out attention has exact second derivatives on every LibTorch.
TEST(VitTiny, HessianVectorProductsMatchFiniteDifferences) {
  const ModelShape shape{{1, 8, 8}, 3};
  auto model = makeZooModel("vit-tiny", shape, 5);
  model->to(torch::kCPU, torch::kFloat64);
  torch::manual_seed(2);
  Dataset data;
  data.inputs = torch::randn({6, 1, 8, 8}, torch::kFloat64);
  data.labels = torch::arange(6) % 3;
  data.numClasses = 3;
  auto v = torch::randn({model->parameterCount()}, torch::kFloat64);
  at::Tensor hv;
  {
    analysis::HessianOperator op(*model, data);
    hv = op.apply(v);
  }
  auto gradientAt = [&](const at::Tensor& w) {
    model->setFlatParameters(w);
    model->setTraining(false);
    auto loss = torch::nll_loss(torch::log_softmax(model->forward(data.inputs), 1), data.labels);
    auto grads = torch::autograd::grad({loss}, model->parameters());
    std::vector<at::Tensor> flat;
    for (auto& g : grads) flat.push_back(g.reshape({-1}));
    return torch::cat(flat);
  };
  const auto w = model->flatParameters();
  const double eps = 1e-5;
  auto fd = (gradientAt(w + eps * v) - gradientAt(w - eps * v)) / (2 * eps);
  model->setFlatParameters(w);
  // Central differences: O(eps²) truncation plus O(1e-16/eps) rounding, ~1e-10 of ‖Hv‖.
  EXPECT_LT((hv - fd).norm().item<double>(), 1e-7 * hv.norm().item<double>());
  EXPECT_GT(hv.norm().item<double>(), 0.0);
}
