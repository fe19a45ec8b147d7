// Learning-rate schedules, label noise, long tails, class-balanced losses, fake quantization and
// recomputed BatchNorm statistics.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>

#include "flatland/errors.h"
#include "flatland/training/batch_norm.h"
#include "flatland/training/class_balanced_loss.h"
#include "flatland/training/data_conditions.h"
#include "flatland/training/evaluate.h"
#include "flatland/training/learning_rate.h"
#include "flatland/training/quantization.h"

using namespace flatland;
using namespace flatland::training;

TEST(LearningRate, CosineWarmupAndStep) {
  OptimizerConfig c;
  c.learningRate = 0.1;
  c.schedule = Schedule::Cosine;
  EXPECT_NEAR(learningRateAt(c, 0.0, 10), 0.1, 1e-12);
  EXPECT_NEAR(learningRateAt(c, 5.0, 10), 0.05, 1e-12);
  EXPECT_NEAR(learningRateAt(c, 10.0, 10), 0.0, 1e-12);
  c.warmupEpochs = 2;
  EXPECT_LT(learningRateAt(c, 0.5, 10), 0.03);
  EXPECT_NEAR(learningRateAt(c, 2.0, 10), 0.1, 1e-12);  // warm-up ends at the base rate
  c.warmupEpochs = 0;
  c.schedule = Schedule::Step;
  c.milestones = {3, 6};
  EXPECT_NEAR(learningRateAt(c, 2.9, 10), 0.1, 1e-12);
  EXPECT_NEAR(learningRateAt(c, 3.0, 10), 0.01, 1e-12);
  EXPECT_NEAR(learningRateAt(c, 7.0, 10), 0.001, 1e-12);
  c.schedule = Schedule::Constant;
  EXPECT_EQ(learningRateAt(c, 9.0, 10), 0.1);
}

TEST(LabelNoise, FlipsExactlyTheRecordedSamplesToADifferentClass) {
  auto data = loadDataset("synthetic:blobs:1000:3");
  auto clean = data.labels.clone();
  auto record = applyLabelNoise(data, 0.6, 11);
  ASSERT_EQ(record.flippedIndices.numel(), 600);  // ⌊0.6·1000⌋
  EXPECT_TRUE(torch::equal(clean.index_select(0, record.flippedIndices), record.originalLabels));
  auto changed = torch::nonzero(data.labels != clean).flatten();
  EXPECT_TRUE(torch::equal(changed, record.flippedIndices));  // every chosen one differs, no other
  // The new classes are spread over the other three: each gets about a third (±25%).
  auto shift = (data.labels.index_select(0, record.flippedIndices) - record.originalLabels + 4) % 4;
  for (int64_t s = 1; s < 4; ++s) EXPECT_NEAR((shift == s).sum().item<double>(), 200.0, 50.0);
  // Seeded.
  auto again = loadDataset("synthetic:blobs:1000:3");
  applyLabelNoise(again, 0.6, 11);
  EXPECT_TRUE(torch::equal(again.labels, data.labels));
  EXPECT_THROW(applyLabelNoise(again, 1.0, 1), InvalidArgument);
}

TEST(LongTail, ExponentialProfile) {
  auto data = loadDataset("synthetic:blobs:4000:1");  // 1000 per class, 4 classes
  auto tail = makeLongTail(data, 100.0, 3);
  auto counts = tail.classCounts();
  // n_c = 1000·(1/100)^{c/3}: 1000, 215, 46, 10.
  EXPECT_EQ(counts, (std::vector<int64_t>{1000, 215, 46, 10}));
  EXPECT_EQ(tail.numClasses, 4);
}

TEST(ClassBalancedLoss, LdamAndVsReduceToShiftedCrossEntropy) {
  auto logits = torch::tensor({{2.0, 0.5}, {0.1, 1.0}}, torch::kFloat64);
  auto y = torch::tensor({0, 1}, torch::kInt64);
  auto ce = makeLoss(LossKind::CrossEntropy, {100, 10}, false)(logits, y).item<double>();
  auto reference = torch::nll_loss(torch::log_softmax(logits, 1), y).item<double>();
  EXPECT_NEAR(ce, reference, 1e-12);
  // LDAM: margins 0.5·(n/n_min)^{-1/4}: class 1 (rare) gets 0.5, class 0 gets 0.5·10^{-1/4}.
  const double m0 = 0.5 * std::pow(10.0, -0.25), m1 = 0.5;
  // Raw logits take LDAM's scale s = 1 (30 is for cosine logits).
  auto shifted = torch::tensor({{2.0 - m0, 0.5}, {0.1, 1.0 - m1}}, torch::kFloat64);
  auto ldam = makeLoss(LossKind::Ldam, {100, 10}, false)(logits, y).item<double>();
  EXPECT_NEAR(ldam, torch::nll_loss(torch::log_softmax(shifted, 1), y).item<double>(), 1e-10);
  // DRW weights favour the rare class.
  auto weighted = makeLoss(LossKind::CrossEntropy, {100, 10}, true);
  auto onlyRare = weighted(logits.slice(0, 1, 2), y.slice(0, 1, 2)).item<double>();
  EXPECT_GT(onlyRare, 0.0);
  EXPECT_TRUE(std::isfinite(makeLoss(LossKind::Vs, {100, 10}, false)(logits, y).item<double>()));
}

TEST(Quantization, SymmetricRoundToNearest) {
  // 3 bits: levels −3…3, s = max|w|/3; w/s = (−3, 1.5, 0.6, 0) rounds (half to even) to (−3, 2, 1,
  // 0).
  auto w = torch::tensor({-1.0, 0.5, 0.2, 0.0}, torch::kFloat64);
  auto q = fakeQuantize(w, 3, QuantGranularity::PerTensor);
  auto expected = torch::tensor({-1.0, 2.0 / 3.0, 1.0 / 3.0, 0.0}, torch::kFloat64);
  EXPECT_LT((q - expected).abs().max().item<double>(), 1e-12);
  // Per channel: each row has its own scale; an all-zero row stays zero.
  auto m = torch::tensor({{1.0, -0.3}, {0.0, 0.0}, {0.01, 0.004}}, torch::kFloat64);
  auto qc = fakeQuantize(m, 2, QuantGranularity::PerChannel);
  EXPECT_LT((qc - torch::tensor({{1.0, 0.0}, {0.0, 0.0}, {0.01, 0.0}}, torch::kFloat64))
                .abs()
                .max()
                .item<double>(),
            1e-12);
  // Never more than 2^b − 1 distinct levels.
  auto r = torch::randn({1000}, torch::kFloat64);
  EXPECT_LE(std::get<0>(at::_unique(fakeQuantize(r, 4, QuantGranularity::PerTensor))).numel(), 15);
}

// HAWQ's mixed-precision model can overflow where the float one does not: a result, like the
// sweep's, and the float weights come back. (runQuantizeJob let this NumericalError escape after
// the sweep, so the sweep was never stored.)
TEST(Quantization, MixedPrecisionThatOverflowsIsAResultAndRestoresTheWeights) {
  auto model = makeZooModel("linear", ModelShape{{2}, 2}, 0);
  std::string weightName;
  {
    torch::NoGradGuard noGrad;
    for (auto& p : model->namedParameters()) {
      if (p.tensor.dim() == 2) {
        // Row 0 sums to 3.1e38 in float; at 2 bits per channel both entries become 2e38: inf.
        p.tensor.copy_(torch::tensor({{2e38f, 1.1e38f}, {0.0f, 0.0f}}));
        weightName = p.name;
      } else {
        p.tensor.zero_();
      }
    }
  }
  Dataset data;
  data.inputs = torch::ones({4, 2});
  data.labels = torch::zeros({4}, torch::kInt64);  // class 0: the float loss is 0
  data.numClasses = 2;
  data.classNames = {"a", "b"};
  data.spec = "overflow";
  const auto before = model->flatParameters();
  EXPECT_TRUE(std::isfinite(evaluate(*model, data, 4).loss));
  // What the job did before: quantize, evaluate, and the error escapes.
  auto originals = quantizeWeightsInPlace(*model, 2, QuantGranularity::PerChannel);
  EXPECT_THROW(evaluate(*model, data, 4), NumericalError);
  restoreWeights(*model, originals);

  const auto mixed = evaluateMixedPrecision(*model, data, {{weightName, 2}}, 4);
  EXPECT_TRUE(std::isinf(mixed.loss));
  EXPECT_EQ(mixed.accuracy, 0.0);
  EXPECT_TRUE(torch::equal(model->flatParameters(), before));
  // At 8 bits the same model stays finite and the weights come back as well.
  EXPECT_TRUE(std::isfinite(evaluateMixedPrecision(*model, data, {{weightName, 8}}, 4).loss));
  EXPECT_TRUE(torch::equal(model->flatParameters(), before));
}

TEST(Quantization, SweepRestoresTheFloatWeightsAndDegradesAtLowBits) {
  auto data = loadDataset("synthetic:blobs:400:2");
  auto model = makeZooModel("mlp", ModelShape{data.sampleShape(), data.numClasses}, 1);
  auto before = model->flatParameters();
  auto points = quantizationSweep(*model, data, {2, 8}, 100);
  EXPECT_TRUE(torch::equal(model->flatParameters(), before));
  ASSERT_EQ(points.size(), 2u);
  auto floatResult = evaluate(*model, data);
  // 8 bits is nearly lossless on this model; 2 bits is not better than 8.
  EXPECT_NEAR(points[1].perChannel.loss, floatResult.loss, 0.02);
  EXPECT_GE(points[0].perTensor.loss, points[1].perTensor.loss - 1e-9);
}

// After the recomputation, the stem's BatchNorm holds the mean over the batches of its input's
// per-channel batch mean and unbiased variance (what PyTorch's update_bn computes), computed
// here directly from conv1's weights; the model's mode comes back. float32 statistics of 24·64
// values per channel: 1e-5.
TEST(BatchNormStatistics, AreTheBatchAveragesOfWhatEachLayerSees) {
  auto model = makeZooModel("resnet20", {{3, 8, 8}, 10}, 3);
  torch::manual_seed(4);
  Dataset data;
  data.inputs = torch::randn({48, 3, 8, 8}) * 2 + 0.5;
  data.labels = torch::zeros({48}, torch::kInt64);
  data.numClasses = 10;
  model->setTraining(false);
  recomputeBatchNormStatistics(*model, data, 16);
  EXPECT_FALSE(model->isTraining());
  at::Tensor conv, mean, var, count;
  for (auto& p : model->namedParameters())
    if (p.name == "conv1.weight") conv = p.tensor.detach();
  for (auto& b : model->namedBuffers()) {
    if (b.name == "bn1.running_mean") mean = b.tensor;
    if (b.name == "bn1.running_var") var = b.tensor;
    if (b.name == "bn1.num_batches_tracked") count = b.tensor;
  }
  ASSERT_TRUE(conv.defined() && mean.defined() && var.defined() && count.defined());
  at::Tensor expectedMean = torch::zeros({16}), expectedVar = torch::zeros({16});
  for (int64_t start = 0; start < 48; start += 16) {
    auto y = at::conv2d(data.inputs.slice(0, start, start + 16), conv, {}, 1, 1);
    expectedMean += y.mean({0, 2, 3}) / 3;
    expectedVar += y.transpose(0, 1).reshape({16, -1}).var(1, /*unbiased=*/true) / 3;
  }
  EXPECT_TRUE(torch::allclose(mean, expectedMean, 1e-5, 1e-5)) << mean - expectedMean;
  EXPECT_TRUE(torch::allclose(var, expectedVar, 1e-5, 1e-5)) << var - expectedVar;
  EXPECT_EQ(count.item<int64_t>(), 3);
}
