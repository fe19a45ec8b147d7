// Training on long-tailed data: LDAM's margins must help the tail classes, not collapse the model
// to one class (which LDAM's cosine-logit scale s = 30 on raw logits did).
#include <gtest/gtest.h>

#include "flatland/training/class_balanced_loss.h"
#include "flatland/training/trainer.h"
#include "test_util.h"

using namespace flatland;
using namespace flatland::training;
using flatland::testing::TempDir;

namespace {

TrainOutcome longTailRun(LossKind loss, const std::string& name, const std::string& project) {
  TrainConfig c = flatland::testing::blobsTrainConfig();
  c.data = "synthetic:blobs:2048:1";
  c.testData = "synthetic:blobs:1024:2";
  c.imbalanceRatio = 50;  // 512, 139, 37, 10 training samples
  c.epochs = 6;
  c.loss = loss;
  c.drwEpoch = 4;
  c.runName = name;
  return trainRun(c, project);
}

}  // namespace

TEST(LongTail, LdamTrainsAtLeastAsWellAsCrossEntropyOnTheTail) {
  TempDir dir;
  auto ce = longTailRun(LossKind::CrossEntropy, "ce", dir.file("p.h5"));
  auto ldam = longTailRun(LossKind::Ldam, "ldam", dir.file("p.h5"));
  ASSERT_EQ(ce.status, RunStatus::Finished) << ce.message;
  ASSERT_EQ(ldam.status, RunStatus::Finished) << ldam.message;
  const auto& a = ce.history.back();
  const auto& b = ldam.history.back();
  // No collapse: a one-class model scores 0.25 on the balanced test set.
  EXPECT_GT(b.testAccuracy, 0.6);
  // The first epoch's loss is that of a cross-entropy, not 30× it.
  EXPECT_LT(ldam.history.front().trainLoss, 3.0);
  ASSERT_EQ(a.perClassAccuracy.size(), 4u);
  const double ceTail = a.perClassAccuracy[3], ldamTail = b.perClassAccuracy[3];
  EXPECT_GE(ldamTail, ceTail - 0.02) << "tail accuracy: CE " << ceTail << ", LDAM " << ldamTail;
}
