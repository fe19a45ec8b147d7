// Model::forwardStacked: K weight sets in one pass give, set by set, the logits of the model
// moved to that set, for every zoo architecture, BatchNorm statistics included.
#include <gtest/gtest.h>
#include <torch/types.h>

#include "flatland/errors.h"
#include "flatland/training/model.h"

using namespace flatland;

namespace {

// K sets around the model's weights: parameters moved by Gaussian noise, BatchNorm running
// statistics moved up (variances stay positive); num_batches_tracked is left shared (undefined).
training::StackedWeights randomSets(const training::Model& model, int64_t sets) {
  training::StackedWeights w;
  w.sets = sets;
  for (auto& p : model.namedParameters()) {
    auto stack = p.tensor.detach().unsqueeze(0).repeat_interleave(sets, 0);
    w.parameters.push_back(stack + 0.1 * torch::randn_like(stack));
  }
  for (auto& b : model.namedBuffers()) {
    const bool statistic = b.name.find("running_") != std::string::npos;
    if (!statistic) {
      w.buffers.push_back({});
      continue;
    }
    auto stack = b.tensor.detach().unsqueeze(0).repeat_interleave(sets, 0);
    w.buffers.push_back(stack + 0.2 * torch::rand_like(stack));
  }
  return w;
}

// The model's own forward with set k's values written into it.
at::Tensor logitsOfSet(training::Model& model, const training::StackedWeights& w, int64_t k,
                       const at::Tensor& x) {
  auto copy = model.clone();
  torch::NoGradGuard noGrad;
  auto params = copy->namedParameters();
  for (size_t i = 0; i < params.size(); ++i) params[i].tensor.copy_(w.parameters[i][k]);
  auto buffers = copy->namedBuffers();
  for (size_t j = 0; j < buffers.size(); ++j)
    if (w.buffers[j].defined()) buffers[j].tensor.copy_(w.buffers[j][k]);
  copy->setTraining(false);
  return copy->forward(x);
}

}  // namespace

// In float64 the grouped convolutions and batched products sum in another order than the
// per-set ones: equal to 1e-10 relative to the logits' scale.
TEST(StackedForward, EverySetEqualsTheModelMovedToItForEveryZooArchitecture) {
  for (const auto& name : training::zooModelNames()) {
    SCOPED_TRACE(name);
    const training::ModelShape shape{{1, 28, 28}, 10};
    auto model = training::makeZooModel(name, shape, 4);
    model->to(torch::kCPU, torch::kDouble);
    model->setTraining(false);
    ASSERT_TRUE(model->canStackWeights());
    torch::manual_seed(11);
    const auto x = torch::randn({5, 1, 28, 28}, torch::kDouble);
    const int64_t sets = 3;
    const auto w = randomSets(*model, sets);
    at::Tensor stacked;
    {
      c10::InferenceMode inference;
      stacked = model->forwardStacked(x, w);
    }
    ASSERT_EQ(stacked.sizes(), (std::vector<int64_t>{sets, 5, 10}));
    for (int64_t k = 0; k < sets; ++k) {
      const auto expected = logitsOfSet(*model, w, k, x);
      const double scale = expected.abs().max().item<double>() + 1.0;
      EXPECT_LT((stacked[k] - expected).abs().max().item<double>(), 1e-10 * scale) << "set " << k;
    }
    // The model's own weights were not used or changed: set 0 of its own values is forward().
    training::StackedWeights own;
    own.sets = 1;
    for (auto& p : model->namedParameters())
      own.parameters.push_back(p.tensor.detach().unsqueeze(0));
    c10::InferenceMode inference;
    EXPECT_TRUE(torch::allclose(model->forwardStacked(x, own)[0], model->forward(x), 1e-10, 1e-10));
  }
}

TEST(StackedForward, RefusesWhatItCannotRun) {
  auto model = training::makeZooModel("cnn-small", {{1, 28, 28}, 10}, 1);
  model->setTraining(false);
  c10::InferenceMode inference;
  const auto x = torch::randn({2, 1, 28, 28});
  auto w = randomSets(*model, 2);
  // A parameter of the wrong shape, and a missing one.
  auto wrong = w;
  wrong.parameters[0] = wrong.parameters[0].narrow(1, 0, 1);
  EXPECT_THROW(model->forwardStacked(x, wrong), ModelError);
  wrong = w;
  wrong.parameters.pop_back();
  EXPECT_THROW(model->forwardStacked(x, wrong), ModelError);
  // Quantized activations (an activation transform) run only through forward().
  model->setActivationTransform([](int64_t, const at::Tensor& a, bool) { return a; });
  EXPECT_FALSE(model->canStackWeights());
  EXPECT_THROW(model->forwardStacked(x, w), ModelError);
  model->setActivationTransform({});
  EXPECT_TRUE(model->canStackWeights());
  // Training mode would need batch statistics per set: refused rather than silently eval.
  model->setTraining(true);
  EXPECT_THROW(model->forwardStacked(x, w), ModelError);
}
