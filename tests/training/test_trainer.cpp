// The trainer end to end on small synthetic data: it learns, it is deterministic, every option
// runs, and a cancelled or diverged run leaves a readable project file.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/types.h>

#include "flatland/errors.h"
#include "flatland/training/checkpoint.h"
#include "flatland/training/class_balanced_loss.h"
#include "flatland/training/evaluate.h"
#include "flatland/training/model_spec.h"
#include "flatland/training/sharpness_step.h"
#include "flatland/training/trainer.h"
#include "test_util.h"

using namespace flatland;
using namespace flatland::training;
using flatland::testing::TempDir;

namespace {

TrainConfig smallConfig(const std::string& optimizer = "sgd") {
  TrainConfig c = flatland::testing::blobsTrainConfig();
  c.runName = optimizer;
  applyOptimizerName(optimizer, c.optimizer);
  return c;
}

}  // namespace

TEST(Trainer, LearnsAndRecordsTheRun) {
  TempDir dir;
  auto outcome = trainRun(smallConfig(), dir.file("p.h5"));
  ASSERT_EQ(outcome.status, RunStatus::Finished) << outcome.message;
  ASSERT_EQ(outcome.history.size(), 3u);
  EXPECT_LT(outcome.history.back().trainLoss, outcome.history.front().trainLoss);
  EXPECT_GT(outcome.history.back().testAccuracy, 0.8);  // blobs are nearly separable
  auto project = ProjectFile::open(dir.file("p.h5"));
  auto run = project.read("/runs/sgd");
  EXPECT_EQ(run.text("status"), "finished");
  EXPECT_EQ(run.number("epochs_done"), 3);
  EXPECT_EQ(run.group("metrics").dataset("test_accuracy").size(), 3);
  EXPECT_EQ(run.group("metrics").dataset("per_class_accuracy").shape, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(checkpointEpochs(project, "sgd"), (std::vector<int64_t>{0, 1, 2, 3}));
  // The last checkpoint reproduces the recorded test accuracy.
  auto test = loadDataset("synthetic:blobs:256:1");
  auto model = loadModel(dir.file("p.h5") + ":/runs/sgd", ModelShape{test.sampleShape(), 4});
  EXPECT_NEAR(evaluate(*model, test).accuracy, outcome.history.back().testAccuracy, 1e-12);
  // A second run under the same name is refused; nothing is overwritten.
  EXPECT_THROW(trainRun(smallConfig(), dir.file("p.h5")), InvalidArgument);
}

TEST(Trainer, DeterministicOnCpu) {
  TempDir dir;
  auto c = smallConfig("sam");
  trainRun(c, dir.file("a.h5"));
  trainRun(c, dir.file("b.h5"));
  auto shape = ModelShape{{8}, 4};
  auto a = loadModel(dir.file("a.h5") + ":/runs/sam", shape);
  auto b = loadModel(dir.file("b.h5") + ":/runs/sam", shape);
  EXPECT_TRUE(torch::equal(a->flatParameters(), b->flatParameters()));
}

// Each method lowers the loss of an easy problem: the final model's training loss is below the
// loss of its own epoch-0 checkpoint.
TEST(Trainer, EveryOptimizerLowersTheLossOfAnEasyProblem) {
  TempDir dir;
  const auto data = loadDataset(flatland::testing::blobsTrainConfig().data);
  const ModelShape shape{data.sampleShape(), data.numClasses};
  for (const std::string name : {"sgd", "adamw", "sam", "msam", "asam", "gnp", "hero", "swa"}) {
    auto c = smallConfig(name);
    c.epochs = 2;
    if (name == "msam") c.optimizer.mSharpness = 16;
    if (name == "adamw") c.optimizer.learningRate = 1e-3;
    auto outcome = trainRun(c, dir.file("p.h5"));
    ASSERT_EQ(outcome.status, RunStatus::Finished) << name << ": " << outcome.message;
    auto start = loadModel(dir.file("p.h5") + ":/runs/" + name + "@0", shape);
    auto end = loadModel(dir.file("p.h5") + ":/runs/" + name, shape);
    EXPECT_LT(evaluate(*end, data).loss, 0.9 * evaluate(*start, data).loss) << name;
  }
}

namespace {

// One full-batch step of the trainer on softmax regression in float64, and the same step by hand:
// the update gradient from the method's rule (computeUpdateGradient, checked against closed forms
// in test_sharpness_step.cpp) on the batch in the trainer's order, then the base optimizer's
// first step written out: SGD θ − lr·(1 + m·[nesterov])·(g + λθ) (its momentum buffer starts at
// g + λθ), AdamW θ(1 − lr·λ) − lr·ĝ/(|ĝ| + ε) (first step: m̂ = g, v̂ = g²).
void expectOneStepByHand(const std::string& name, BaseOptimizer base, bool nesterov) {
  TrainConfig c = smallConfig(name);
  c.model = "zoo:linear";
  c.optimizer.base = base;
  c.optimizer.nesterov = nesterov;
  c.optimizer.momentum = 0.9;
  c.optimizer.weightDecay = 0.01;
  c.optimizer.learningRate = base == BaseOptimizer::AdamW ? 1e-3 : 0.1;
  c.optimizer.schedule = Schedule::Constant;
  c.optimizer.warmupEpochs = 0;
  if (name == "msam") c.optimizer.mSharpness = 16;
  c.epochs = 1;
  c.samples = 64;
  c.batchSize = 64;  // one step per epoch
  const c10::Device cpu(c10::kCPU);
  PreparedData data = prepareTrainingData(c, cpu);
  auto model =
      loadModel(c.model, ModelShape{data.train.sampleShape(), data.train.numClasses}, cpu, c.seed);
  model->to(cpu, torch::kFloat64);
  auto reference = model->clone();
  const auto theta = model->flatParameters();

  // The trainer's batch order for epoch 1, and the update gradient at θ.
  auto generator = at::detail::createCPUGenerator(c.seed + 2);
  const auto order = torch::randperm(data.train.size(), generator, torch::kInt64);
  const auto x = data.train.inputs.index_select(0, order).to(torch::kFloat64);
  const auto y = data.train.labels.index_select(0, order);
  const auto lossFn = makeLoss(c.loss, data.train.classCounts(), false);
  for (auto& p : reference->parameters()) p.mutable_grad() = at::Tensor();
  computeUpdateGradient(*reference, x, y, lossFn, c.optimizer);
  std::vector<at::Tensor> grads;
  for (auto& p : reference->parameters()) grads.push_back(p.grad().detach().reshape({-1}));
  const auto g = torch::cat(grads);

  const double lr = c.optimizer.learningRate, lambda = c.optimizer.weightDecay;
  at::Tensor expected;
  if (base == BaseOptimizer::AdamW) {
    expected = theta * (1.0 - lr * lambda) - lr * g / (g.abs() + c.optimizer.eps);
  } else {
    const double factor = nesterov ? 1.0 + c.optimizer.momentum : 1.0;
    expected = theta - lr * factor * (g + lambda * theta);
  }

  Trainer trainer(*model, data, c, nullptr);
  auto outcome = trainer.run();
  ASSERT_EQ(outcome.status, RunStatus::Finished) << name << ": " << outcome.message;
  EXPECT_LT((model->flatParameters() - expected).abs().max().item<double>(), 1e-12)
      << name << (base == BaseOptimizer::AdamW ? " over adamw" : "");
}

}  // namespace

TEST(Trainer, OneStepOfEachOptimizerMatchesAHandComputation) {
  expectOneStepByHand("sgd", BaseOptimizer::Sgd, false);
  expectOneStepByHand("sgd", BaseOptimizer::Sgd, true);  // Nesterov
  expectOneStepByHand("adamw", BaseOptimizer::AdamW, false);
  for (const std::string name : {"sam", "msam", "asam", "gnp", "hero"}) {
    expectOneStepByHand(name, BaseOptimizer::Sgd, false);
    expectOneStepByHand(name, BaseOptimizer::AdamW, false);
  }
}

TEST(Trainer, EveryOptionRuns) {
  TempDir dir;
  auto c = smallConfig("sgd");
  c.runName = "conditions";
  c.epochs = 2;
  c.labelNoise = 0.3;
  c.imbalanceRatio = 10;
  c.loss = LossKind::Ldam;
  c.drwEpoch = 2;
  c.qatBits = 4;
  c.optimizer.schedule = Schedule::Step;
  c.optimizer.milestones = {1};
  auto outcome = trainRun(c, dir.file("p.h5"));
  EXPECT_EQ(outcome.status, RunStatus::Finished) << outcome.message;
  auto run = ProjectFile::open(dir.file("p.h5")).read("/runs/conditions");
  EXPECT_EQ(run.group("label_noise").dataset("flipped_indices").size(),
            int64_t(0.3 * run.number("train_samples")));
  EXPECT_EQ(run.number("qat_bits"), 4);
}

// SWA's final weights are the average of the per-epoch weights from the start epoch on. The
// same seed without SWA gives those per-epoch weights (training is deterministic on CPU).
TEST(Trainer, SwaAveragesTheLastEpochs) {
  TempDir dir;
  auto plain = smallConfig("sgd");
  plain.optimizer.schedule = Schedule::Constant;
  trainRun(plain, dir.file("p.h5"));
  auto swa = plain;
  swa.runName = "swa";
  swa.optimizer.swaStartEpoch = 2;
  trainRun(swa, dir.file("p.h5"));
  auto shape = ModelShape{{8}, 4};
  auto w2 = loadModel(dir.file("p.h5") + ":/runs/sgd@2", shape)->flatParameters();
  auto w3 = loadModel(dir.file("p.h5") + ":/runs/sgd@3", shape)->flatParameters();
  auto averaged = loadModel(dir.file("p.h5") + ":/runs/swa@3", shape)->flatParameters();
  EXPECT_LT((averaged - (w2 + w3) / 2).abs().max().item<double>(), 1e-6);
}

TEST(Trainer, CancelKeepsFinishedEpochs) {
  TempDir dir;
  CancelToken token;
  JobControl control;
  control.cancel = &token;
  int reports = 0;
  // 512 samples / 64 per batch = 8 steps per epoch: cancel in the middle of epoch 2.
  control.onProgress = [&](const ProgressEvent&) {
    if (++reports == 12) token.cancel();
  };
  auto outcome = trainRun(smallConfig(), dir.file("p.h5"), control);
  EXPECT_EQ(outcome.status, RunStatus::Cancelled);
  EXPECT_EQ(outcome.history.size(), 1u);
  auto project = ProjectFile::open(dir.file("p.h5"));
  auto run = project.read("/runs/sgd");
  EXPECT_EQ(run.text("status"), "cancelled");
  EXPECT_EQ(run.number("epochs_done"), 1);
  EXPECT_EQ(checkpointEpochs(project, "sgd"), (std::vector<int64_t>{0, 1}));
}

TEST(Trainer, DivergenceStopsWithAMessageAndKeepsCheckpoints) {
  TempDir dir;
  auto c = smallConfig();
  c.optimizer.learningRate = 1e12;
  c.optimizer.schedule = Schedule::Constant;
  auto outcome = trainRun(c, dir.file("p.h5"));
  EXPECT_EQ(outcome.status, RunStatus::Diverged);
  EXPECT_NE(outcome.message.find("diverged"), std::string::npos) << outcome.message;
  auto project = ProjectFile::open(dir.file("p.h5"));
  EXPECT_EQ(project.read("/runs/sgd").text("status"), "diverged");
  auto epochs = checkpointEpochs(project, "sgd");
  ASSERT_FALSE(epochs.empty());
  EXPECT_EQ(epochs.front(), 0);
  EXPECT_NO_THROW(loadModel(dir.file("p.h5") + ":/runs/sgd@0", ModelShape{{8}, 4}));
}

TEST(Trainer, RejectsBadSettings) {
  TempDir dir;
  auto c = smallConfig();
  c.labelNoise = 1.0;
  EXPECT_THROW(trainRun(c, dir.file("p.h5")), InvalidArgument);
  c = smallConfig();
  c.epochs = 0;
  EXPECT_THROW(trainRun(c, dir.file("p.h5")), InvalidArgument);
  TrainConfig d;
  EXPECT_THROW(applyOptimizerName("lion", d.optimizer), InvalidArgument);
}

// msam is SAM with m-sharpness: without --m it would silently be plain SAM, so it is refused
// with a message that says what to give.
TEST(Trainer, MsamWithoutMIsRefusedAndSaysToGiveM) {
  auto c = smallConfig("msam");
  try {
    validate(c);
    ADD_FAILURE() << "msam without m was accepted";
  } catch (const InvalidArgument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("--m"), std::string::npos) << message;
    EXPECT_NE(message.find("--m 16"), std::string::npos)
        << message;  // a quarter of the batch of 64
  }
  TempDir dir;
  EXPECT_THROW(trainRun(c, dir.file("p.h5")), InvalidArgument);
  c.optimizer.mSharpness = 16;
  EXPECT_NO_THROW(validate(c));
  EXPECT_EQ(c.optimizerName(), "msam");
  // Plain sam still needs no m, also after msam was chosen before.
  applyOptimizerName("sam", c.optimizer);
  c.optimizer.mSharpness = 0;
  EXPECT_NO_THROW(validate(c));
}

// Training picks its device like the other jobs: "auto" (CUDA when available) by default, and
// the run records the device it actually ran on.
TEST(Trainer, DeviceDefaultsToAutoAndTheRunRecordsTheResolvedDevice) {
  EXPECT_EQ(TrainConfig().device, "auto");
  TempDir dir;
  auto c = smallConfig();
  c.device = "auto";
  c.epochs = 1;
  trainRun(c, dir.file("p.h5"));
  auto run = ProjectFile::open(dir.file("p.h5")).read("/runs/sgd", false);
  const std::string expected = torch::cuda::is_available() ? "cuda:0" : "cpu";
  EXPECT_EQ(run.text("device"), expected);
  EXPECT_NE(run.text("settings").find("\"device\":\"" + expected + "\""), std::string::npos);
}
