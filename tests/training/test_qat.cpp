// Quantization-aware training: the activation fake quantizer, LSQ's gradient and initial step
// checked against hand-computed values, the zoo models' parameters untouched by the quantizers,
// and short 4-bit runs whose evaluated activations lie on the quantization grid.
#include <gtest/gtest.h>
#include <torch/autograd.h>
#include <torch/types.h>

#include <cmath>
#include <map>

#include "flatland/errors.h"
#include "flatland/training/activation_quantizer.h"
#include "flatland/training/evaluate.h"
#include "flatland/training/learned_step_size.h"
#include "flatland/training/model_spec.h"
#include "flatland/training/qat_state.h"
#include "flatland/training/trainer.h"
#include "test_util.h"

using namespace flatland;
using namespace flatland::training;
using flatland::testing::TempDir;

namespace {

// float32 arithmetic on values of order 1: 1e-6 is a few ulps.
constexpr double kTol = 1e-6;

void expectValues(const at::Tensor& actual, const std::vector<double>& expected,
                  double tol = kTol) {
  ASSERT_EQ(actual.numel(), int64_t(expected.size()));
  auto a = actual.detach().to(torch::kFloat64).flatten();
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(a[int64_t(i)].item<double>(), expected[i], tol) << "element " << i;
}

at::Tensor tensor(const std::vector<double>& v) { return torch::tensor(v, torch::kFloat32); }

TrainConfig qatConfig(QatMethod method) {
  TrainConfig c = flatland::testing::blobsTrainConfig();
  c.qatBits = 4;
  c.qatActivationBits = 4;
  c.qatMethod = method;
  c.runName = toString(method);
  return c;
}

}  // namespace

// 2 bits, clip 1: s = 1/3, grid {0, 1/3, 2/3, 1}. Ties (x/s = k + 0.5) are avoided on purpose.
TEST(QatActivation, FixedStepValuesAndStraightThroughGradient) {
  auto x = tensor({0.0, 0.1, 0.45, 0.74, 1.0, 1.3, 2.0}).set_requires_grad(true);
  auto q = fakeQuantizeActivation(x, 1.0, 2);
  // x/s = 0, 0.3, 1.35, 2.22, 3, 3.9, 6 → round/clamp to 0, 0, 1, 2, 3, 3, 3.
  expectValues(q, {0.0, 0.0, 1.0 / 3, 2.0 / 3, 1.0, 1.0, 1.0});
  // Upstream weights 1…7 tell the elements apart: 1 inside [0, clip] (boundaries included), 0
  // above the clip.
  q.backward(tensor({1, 2, 3, 4, 5, 6, 7}));
  expectValues(x.grad(), {1, 2, 3, 4, 5, 0, 0});
  // A clip of 0 (a site that never fired) maps everything to 0, gradient 0.
  auto x0 = tensor({0.5, 2.0}).set_requires_grad(true);
  fakeQuantizeActivation(x0, 0.0, 4).sum().backward();
  expectValues(x0.grad(), {0, 0});
}

TEST(QatActivation, RunningClipFollowsTheBatchMaxInTrainingAndIsFrozenInEval) {
  ActivationQuantizer quantizer(4, QatMethod::Ste, torch::kFloat32);
  quantizer(tensor({0.0, 1.0, 2.0}), true);  // the first batch calibrates: α = 2
  EXPECT_NEAR(quantizer.clip(), 2.0, 1e-12);
  quantizer.beginStep();
  quantizer(tensor({0.0, 4.0}), true);  // α = 0.9·2 + 0.1·4
  EXPECT_NEAR(quantizer.clip(), 2.2, 1e-12);
  quantizer(tensor({0.0, 8.0}), true);  // a second pass in the same step (SAM) does not move α
  EXPECT_NEAR(quantizer.clip(), 2.2, 1e-12);
  quantizer.beginStep();
  auto y = quantizer(tensor({0.3, 1.0, 10.0}), false);  // eval: frozen, values clipped at α
  EXPECT_NEAR(quantizer.clip(), 2.2, 1e-12);
  const double s = 2.2 / 15;
  // 0.3/s = 2.045 → 2; 1/s = 6.82 → 7; 10 → clipped at 15.
  expectValues(y, {2 * s, 7 * s, 2.2});
}

// v = [−2, −0.7, 0.2, 0.55, 1.3, 3], s = 0.5, 3-bit symmetric (Q_N = Q_P = 3): v/s = [−4, −1.4,
// 0.4, 1.1, 2.6, 6]. ∂v̂/∂s = −v/s + round(v/s) inside, −Q_N below, Q_P above:
// [−3, 1.4 − 1, −0.4 + 0, −1.1 + 1, −2.6 + 3, 3] = [−3, 0.4, −0.4, −0.1, 0.4, 3].
TEST(Lsq, GradientMatchesTheClosedForm) {
  auto v = tensor({-2.0, -0.7, 0.2, 0.55, 1.3, 3.0}).set_requires_grad(true);
  auto s = tensor({0.5}).squeeze().set_requires_grad(true);
  const double g = lsqGradScale(6, 3.0);
  EXPECT_NEAR(g, 1.0 / std::sqrt(18.0), 1e-15);
  auto out = lsqFakeQuantize(v, s, 3.0, 3.0, g);
  expectValues(out, {-1.5, -0.5, 0.0, 0.5, 1.5, 1.5});
  auto upstream = tensor({1, 2, 3, 4, 5, 6});
  auto grads = torch::autograd::grad({out}, {v, s}, {upstream});
  // Σ upstream·∂v̂/∂s = −3 + 0.8 − 1.2 − 0.4 + 2 + 18 = 16.2, times g.
  EXPECT_NEAR(grads[1].item<double>(), 16.2 * g, 1e-5);
  // ∂v̂/∂v: 1 inside the range, 0 for the two clipped values.
  expectValues(grads[0], {0, 2, 3, 4, 5, 0});
}

// Per channel, 2-bit symmetric (Q_N = Q_P = 1), no gradient scale. Row 0, s = 0.2: v/s = 1.5
// (above: Q_P = 1) and −4.5 (below: −Q_N = −1), sum 0. Row 1, s = 1: v/s = 0.05 (inside:
// −0.05 + round(0.05) = −0.05) and 5 (above: 1), sum 0.95.
TEST(Lsq, PerChannelStepsGetTheirOwnGradient) {
  auto v = tensor({0.3, -0.9, 0.05, 5.0}).reshape({2, 2}).set_requires_grad(true);
  auto s = tensor({0.2, 1.0}).reshape({2, 1}).set_requires_grad(true);
  auto out = lsqFakeQuantize(v, s, 1.0, 1.0, 1.0);
  expectValues(out, {0.2, -0.2, 0.0, 1.0});
  auto grads = torch::autograd::grad({out.sum()}, {s});
  expectValues(grads[0], {1.0 - 1.0, -0.05 + 1.0});
}

TEST(Lsq, InitialStepIsTwiceTheMeanMagnitudeOverRootQp) {
  auto v = tensor({1.0, -3.0, 0.5, 0.5}).reshape({2, 2});
  // mean|v| = 5/4 over the tensor; 2 and 0.5 per row.
  expectValues(lsqInitialStep(v, 7.0, QuantGranularity::PerTensor), {2.5 / std::sqrt(7.0)});
  auto perChannel = lsqInitialStep(v, 7.0, QuantGranularity::PerChannel);
  EXPECT_EQ(perChannel.sizes(), (std::vector<int64_t>{2, 1}));
  expectValues(perChannel, {4.0 / std::sqrt(7.0), 1.0 / std::sqrt(7.0)});
  // An activation quantizer starts from its first batch: 4 bits, Q_P = 15, mean 1.5.
  ActivationQuantizer quantizer(4, QatMethod::Lsq, torch::kFloat32);
  quantizer(tensor({0.0, 1.0, 2.0, 3.0}), true);
  EXPECT_NEAR(quantizer.step(), 3.0 / std::sqrt(15.0), kTol);
  EXPECT_TRUE(quantizer.learnedStep().requires_grad());
}

// Checkpoints, Hessians and directions index parameters by name and order: the quantizers must
// not add to them.
TEST(QatModels, QuantizersLeaveParametersAndBuffersUnchanged) {
  const ModelShape images{{1, 28, 28}, 10};
  const std::map<std::string, int64_t> sites = {{"mlp", 2},       {"mlp-tanh", 0},
                                                {"cnn-small", 2}, {"cnn-smooth", 0},
                                                {"lenet5", 4},    {"resnet20", 19}};
  for (auto& [name, count] : sites) {
    auto plain = makeZooModel(name, images, 7);
    auto quantized = makeZooModel(name, images, 7);
    EXPECT_EQ(quantized->activationSiteCount(), count) << name;
    QatState qat(*quantized, 4, 4, QatMethod::Lsq);
    EXPECT_EQ(qat.activationSiteCount(), count) << name;
    EXPECT_EQ(quantized->parameterCount(), plain->parameterCount()) << name;
    auto a = plain->namedParameters(), b = quantized->namedParameters();
    ASSERT_EQ(a.size(), b.size()) << name;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].name, b[i].name) << name;
      EXPECT_EQ(a[i].tensor.sizes(), b[i].tensor.sizes()) << name;
    }
    auto ba = plain->namedBuffers(), bb = quantized->namedBuffers();
    ASSERT_EQ(ba.size(), bb.size()) << name;
    for (size_t i = 0; i < ba.size(); ++i) EXPECT_EQ(ba[i].name, bb[i].name) << name;
  }
  // The Sequential indices of the MLP are those of its checkpoints (ReLU sites kept their slots).
  auto mlp = makeZooModel("mlp", images, 0);
  std::vector<std::string> names;
  for (auto& p : mlp->namedParameters()) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"layers.1.weight", "layers.1.bias", "layers.3.weight",
                                             "layers.3.bias", "layers.5.weight", "layers.5.bias"}));
  // Removing the quantizers restores the float forward exactly.
  auto reference = mlp->clone();
  reference->setTraining(false);
  mlp->setTraining(false);
  auto x = torch::rand({5, 1, 28, 28});
  {
    QatState qat(*mlp, 0, 2, QatMethod::Ste);
    mlp->forward(x);
  }
  EXPECT_TRUE(torch::equal(mlp->forward(x), reference->forward(x)));
}

TEST(QatConfig, ValidationNamesTheFlag) {
  auto expectError = [](const TrainConfig& c, const std::string& flag) {
    try {
      validate(c);
      ADD_FAILURE() << "no error for " << flag;
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(flag), std::string::npos) << e.what();
    }
  };
  TrainConfig c;
  c.qatActivationBits = 1;
  expectError(c, "--qat-act-bits");
  c.qatActivationBits = 9;
  expectError(c, "--qat-act-bits");
  c.qatActivationBits = 0;
  c.qatMethod = QatMethod::Lsq;  // learns nothing without bits
  expectError(c, "--qat-method");
  c.qatActivationBits = 4;
  EXPECT_NO_THROW(validate(c));
  EXPECT_NE(c.toJson().find("\"qat_method\":\"lsq\""), std::string::npos) << c.toJson();
  EXPECT_NE(c.toJson().find("\"qat_act_bits\":4"), std::string::npos) << c.toJson();
  EXPECT_EQ(parseQatMethod("ste"), QatMethod::Ste);
  EXPECT_THROW(parseQatMethod("pact"), InvalidArgument);
}

// A short 4-bit run (weights and activations) learns, and the network the trainer evaluates has
// every post-ReLU activation on its site's grid and every weight channel on ≤ 15 levels.
TEST(QatTraining, FourBitRunsLearnAndEvaluateOnTheGrid) {
  for (auto method : {QatMethod::Ste, QatMethod::Lsq}) {
    SCOPED_TRACE(toString(method));
    auto c = qatConfig(method);
    auto data = prepareTrainingData(c, torch::kCPU);
    const Dataset test = data.test;
    auto model = loadModel(c.model, ModelShape{data.train.sampleShape(), data.train.numClasses});
    Trainer trainer(*model, data, c, nullptr);
    QatState& qat = *trainer.qat();
    std::vector<at::Tensor> initialSteps;
    for (auto& s : qat.weightSteps()) initialSteps.push_back(s.detach().clone());
    auto outcome = trainer.run();
    ASSERT_EQ(outcome.status, RunStatus::Finished) << outcome.message;
    EXPECT_LT(outcome.history.back().trainLoss, outcome.history.front().trainLoss);
    EXPECT_GT(outcome.history.back().testAccuracy, 0.5);  // 4 classes: chance is 0.25
    if (method == QatMethod::Lsq) {
      ASSERT_EQ(initialSteps.size(), 3u);  // the three linear weights
      for (size_t i = 0; i < initialSteps.size(); ++i)
        EXPECT_FALSE(torch::equal(initialSteps[i], qat.weightSteps()[i]))
            << "step " << i << " was not learned";
    }

    // Re-run the evaluation with a recorder around the trainer's quantizers.
    std::map<int64_t, std::vector<at::Tensor>> seen;
    model->setActivationTransform([&](int64_t site, const at::Tensor& x, bool training) {
      auto y = qat.quantizeActivation(site, x, training);
      seen[site].push_back(y.detach().clone());
      return y;
    });
    EvalResult result;
    {
      QatState::WeightScope quantized(&qat);
      result = evaluate(*model, test, c.evalBatchSize);
      for (size_t i = 0; i < model->parameters().size(); ++i) {
        auto w = model->parameters()[i];
        if (w.dim() < 2) continue;
        for (int64_t row = 0; row < w.size(0); row += 17)
          EXPECT_LE(std::get<0>(at::_unique(w[row])).numel(), 15) << "parameter " << i;
      }
    }
    // The same computation as the trainer's last evaluation, so the same loss to rounding.
    EXPECT_NEAR(result.loss, outcome.history.back().testLoss, 1e-9);
    ASSERT_EQ(seen.size(), 2u);
    for (auto& [site, batches] : seen) {
      auto values = std::get<0>(at::_unique(torch::cat(batches).flatten()));
      EXPECT_LE(values.numel(), 16) << "site " << site;  // 2^4 levels
      const double step = qat.activationQuantizer(site).step();
      auto k = values.to(torch::kFloat64) / step;
      // On the grid: k an integer in [0, 15] up to float32 rounding of k·s (1e-3 in k).
      EXPECT_LT((k - k.round()).abs().max().item<double>(), 1e-3) << "site " << site;
      EXPECT_LE(k.max().item<double>(), 15 + 1e-3) << "site " << site;
      EXPECT_GE(k.min().item<double>(), -1e-3) << "site " << site;
    }
  }
}

// The sharpness-aware steps pass LSQ's activation steps their gradients too.
TEST(QatTraining, LsqRunsUnderSharpnessAwareSteps) {
  for (const std::string name : {"sam", "gnp", "hero"}) {
    auto c = qatConfig(QatMethod::Lsq);
    c.epochs = 1;
    applyOptimizerName(name, c.optimizer);
    auto data = prepareTrainingData(c, torch::kCPU);
    auto model = loadModel(c.model, ModelShape{data.train.sampleShape(), data.train.numClasses});
    Trainer trainer(*model, data, c, nullptr);
    auto outcome = trainer.run();
    EXPECT_EQ(outcome.status, RunStatus::Finished) << name << ": " << outcome.message;
    for (auto& s : trainer.qat()->activationSteps()) {
      ASSERT_TRUE(s.grad().defined()) << name;
      EXPECT_GT(s.grad().abs().item<double>(), 0.0) << name;
    }
  }
}

TEST(QatTraining, RecordsSettingsAndLearnedSteps) {
  TempDir dir;
  auto outcome = trainRun(qatConfig(QatMethod::Lsq), dir.file("p.h5"));
  ASSERT_EQ(outcome.status, RunStatus::Finished) << outcome.message;
  EXPECT_TRUE(outcome.notes.empty());
  auto run = ProjectFile::open(dir.file("p.h5")).read("/runs/lsq");
  EXPECT_EQ(run.number("qat_bits"), 4);
  EXPECT_EQ(run.number("qat_activation_bits"), 4);
  EXPECT_EQ(run.text("qat_method"), "lsq");
  EXPECT_EQ(run.number("qat_activation_sites"), 2);
  auto& qat = run.group("qat");
  EXPECT_EQ(qat.dataset("activation_steps").size(), 2);
  EXPECT_EQ(qat.dataset("activation_clips").size(), 2);
  EXPECT_EQ(qat.group("weight_steps").dataset("layers.1.weight").size(), 128);  // one per channel
  for (double s : qat.dataset("activation_steps").asDoubles()) EXPECT_GT(s, 0.0);
}

// TorchScript models have no activation sites: the run quantizes weights only and says so.
TEST(QatTraining, TorchScriptGetsWeightQuantizationOnlyAndSaysSo) {
  TempDir dir;
  auto c = qatConfig(QatMethod::Ste);
  c.model = std::string(FLATLAND_TEST_MODELS_DIR) + "/tiny_mlp.pt";
  c.data = "synthetic:spirals:300:1";
  c.testData = "synthetic:spirals:150:2";
  c.epochs = 1;
  auto outcome = trainRun(c, dir.file("p.h5"));
  ASSERT_EQ(outcome.status, RunStatus::Finished) << outcome.message;
  ASSERT_EQ(outcome.notes.size(), 1u);
  EXPECT_NE(outcome.notes[0].find("only the weights are quantized"), std::string::npos)
      << outcome.notes[0];
  auto run = ProjectFile::open(dir.file("p.h5")).read("/runs/ste");
  EXPECT_EQ(run.number("qat_activation_sites"), 0);
  EXPECT_TRUE(run.has("qat_note"));
}
