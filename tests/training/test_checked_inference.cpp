// CheckedInference: a model's fast inference pass is used only after it gave the plain forward
// pass's logits, only where making it pays, and never when FLATLAND_FROZEN_INFERENCE=0.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cstdlib>

#include "flatland/training/checked_inference.h"
#include "flatland/training/dataset.h"
#include "flatland/training/evaluate.h"
#include "flatland/training/model.h"

using namespace flatland;
using namespace flatland::training;

namespace {

// zoo:mlp with a fast pass that adds `offset` to the logits and counts its calls.
class ModelWithFastPass final : public Model {
 public:
  explicit ModelWithFastPass(double offset)
      : m_inner(makeZooModel("mlp", {{2}, 3}, 0)), m_offset(offset) {}
  at::Tensor forward(const at::Tensor& x) override { return m_inner->forward(x); }
  InferenceForward inferenceForward() override {
    ++made;
    return [this](const at::Tensor& x) {
      ++fastCalls;
      return m_inner->forward(x) + m_offset;
    };
  }
  std::vector<NamedTensor> namedParameters() const override { return m_inner->namedParameters(); }
  std::vector<NamedTensor> namedBuffers() const override { return m_inner->namedBuffers(); }
  void setTraining(bool on) override { m_inner->setTraining(on); }
  bool isTraining() const override { return m_inner->isTraining(); }
  void to(const c10::Device& d, c10::ScalarType t) override { m_inner->to(d, t); }
  std::unique_ptr<Model> clone() const override { return m_inner->clone(); }
  std::string source() const override { return "test"; }

  int made = 0;
  int fastCalls = 0;

 private:
  std::unique_ptr<Model> m_inner;
  double m_offset;
};

const at::Tensor kProbe = torch::randn({2000, 2}, torch::TensorOptions().dtype(torch::kFloat32));

}  // namespace

TEST(CheckedInference, UsesAFastPassThatAgreesOncePerSetOfWeights) {
  ModelWithFastPass model(1e-7);  // float rounding: agrees
  c10::InferenceMode inference;
  CheckedInference checked(model, 2000);
  auto first = checked.forward(kProbe)(kProbe);
  checked.forward(kProbe)(kProbe);
  EXPECT_EQ(model.made, 1);  // the same weights: the same pass
  EXPECT_GE(model.fastCalls, 2);
  checked.weightsChanged();
  checked.forward(kProbe);
  EXPECT_EQ(model.made, 2);  // new weights: a new pass
  EXPECT_LT((first - model.forward(kProbe)).abs().max().item<double>(), 1e-6);
}

TEST(CheckedInference, RefusesAFastPassThatDisagrees) {
  ModelWithFastPass model(0.01);  // 1e-2 against a tolerance of 1e-4 of the logits' scale
  c10::InferenceMode inference;
  CheckedInference checked(model, 2000);
  auto logits = checked.forward(kProbe)(kProbe);
  EXPECT_TRUE(torch::equal(logits, model.forward(kProbe)));
  checked.weightsChanged();
  checked.forward(kProbe)(kProbe);
  EXPECT_EQ(model.made, 1);  // not asked again
}

TEST(CheckedInference, SmallEvaluationsAndTheSwitchRunThePlainPass) {
  c10::InferenceMode inference;
  {
    ModelWithFastPass model(0.0);
    CheckedInference checked(model, 999);  // making a frozen copy would cost more than it saves
    checked.forward(kProbe)(kProbe);
    EXPECT_EQ(model.made, 0);
  }
  setenv("FLATLAND_FROZEN_INFERENCE", "0", 1);
  ModelWithFastPass model(0.0);
  CheckedInference checked(model, 2000);
  checked.forward(kProbe)(kProbe);
  unsetenv("FLATLAND_FROZEN_INFERENCE");
  EXPECT_EQ(model.made, 0);
}

TEST(CheckedInference, EvaluateRunsTheCheckedPass) {
  ModelWithFastPass model(1e-7);
  Dataset data;
  data.inputs = kProbe;
  data.labels = torch::randint(0, 3, {2000}, torch::kInt64);
  data.numClasses = 3;
  const auto result = evaluate(model, data, 500);
  EXPECT_EQ(model.made, 1);
  EXPECT_EQ(model.fastCalls, 1 + 4);  // the check, then four batches
  EXPECT_GT(result.loss, 0.0);
}
