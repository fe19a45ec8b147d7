// Built-in architectures, TorchScript models and the common Model interface.
#include <gtest/gtest.h>
#include <torch/autograd.h>
#include <torch/types.h>

#include <fstream>

#include "flatland/errors.h"
#include "flatland/training/model.h"
#include "flatland/training/model_spec.h"

using namespace flatland;
using namespace flatland::training;

namespace {
const ModelShape kFashion{{1, 28, 28}, 10};
const ModelShape kCifar{{3, 32, 32}, 10};
const ModelShape kTabular{{2}, 3};
}  // namespace

TEST(ZooModels, EveryArchitectureProducesOneLogitPerClass) {
  for (const auto& name : zooModelNames()) {
    const bool images = name != "mlp" && name != "mlp-tanh" && name != "linear";
    for (const auto& shape : images ? std::vector<ModelShape>{kFashion, kCifar}
                                    : std::vector<ModelShape>{kFashion, kTabular}) {
      auto model = makeZooModel(name, shape, 1);
      EXPECT_NO_THROW(checkModelFitsData(*model, shape)) << name;
      EXPECT_GT(model->parameterCount(), 0) << name;
    }
  }
}

TEST(ZooModels, KnownParameterCounts) {
  // Softmax regression on 28×28: 784·10 + 10.
  EXPECT_EQ(makeZooModel("linear", kFashion)->parameterCount(), 7850);
  // cnn-small: conv 1→8 (80) + conv 8→16 (1168) + linear 784→10 (7850).
  EXPECT_EQ(makeZooModel("cnn-small", kFashion)->parameterCount(), 9098);
  // ResNet-20 for CIFAR-10 has about 0.27 M parameters (He et al., 2016).
  auto resnet = makeZooModel("resnet20", kCifar);
  EXPECT_NEAR(double(resnet->parameterCount()), 0.27e6, 0.01e6);
  EXPECT_FALSE(resnet->namedBuffers().empty());  // BatchNorm statistics
}

TEST(ZooModels, CnnOnTabularDataIsRejectedWithBothShapes) {
  try {
    makeZooModel("cnn-small", kTabular);
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("[2]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(makeZooModel("vgg16", kFashion), ModelError);
}

TEST(ZooModels, SeededInitialisationIsReproducible) {
  auto a = makeZooModel("mlp", kTabular, 5), b = makeZooModel("mlp", kTabular, 5);
  auto c = makeZooModel("mlp", kTabular, 6);
  EXPECT_TRUE(torch::equal(a->flatParameters(), b->flatParameters()));
  EXPECT_FALSE(torch::equal(a->flatParameters(), c->flatParameters()));
}

TEST(ModelInterface, FlatParameterRoundTripAndInPlaceAssignment) {
  auto model = makeZooModel("resnet20", kCifar, 2);
  auto params = model->parameters();
  const void* storageBefore = params.front().data_ptr();
  auto flat = model->flatParameters();
  ASSERT_EQ(flat.numel(), model->parameterCount());
  auto changed = flat * 2.0 + 1.0;
  model->setFlatParameters(changed);
  EXPECT_TRUE(torch::equal(model->flatParameters(), changed));
  EXPECT_EQ(model->parameters().front().data_ptr(), storageBefore);  // no reallocation
  auto pieces = model->unflatten(changed);
  EXPECT_TRUE(torch::equal(pieces.back(), params.back()));
  EXPECT_THROW(model->setFlatParameters(flat.slice(0, 1)), InvalidArgument);
}

TEST(ModelInterface, CloneIsDeepAndKeepsBuffers) {
  auto model = makeZooModel("resnet20", kCifar, 3);
  model->setTraining(true);
  {
    torch::NoGradGuard noGrad;
    model->forward(torch::randn({4, 3, 32, 32}));  // updates BatchNorm running statistics
  }
  auto copy = model->clone();
  EXPECT_TRUE(torch::equal(copy->flatParameters(), model->flatParameters()));
  auto buffersA = model->namedBuffers(), buffersB = copy->namedBuffers();
  ASSERT_EQ(buffersA.size(), buffersB.size());
  for (size_t i = 0; i < buffersA.size(); ++i)
    EXPECT_TRUE(torch::equal(buffersA[i].tensor, buffersB[i].tensor)) << buffersA[i].name;
  copy->setFlatParameters(torch::zeros({copy->parameterCount()}));
  EXPECT_FALSE(torch::equal(copy->flatParameters(), model->flatParameters()));
}

TEST(ModelInterface, DoublePrecision) {
  auto model = makeZooModel("cnn-smooth", kFashion, 4);
  model->to(torch::kCPU, torch::kFloat64);
  EXPECT_EQ(model->dtype(), torch::kFloat64);
  auto out = model->forward(torch::randn({2, 1, 28, 28}, torch::kFloat64));
  EXPECT_EQ(out.scalar_type(), torch::kFloat64);
}

namespace {
std::string modelFile(const std::string& name) {
  return std::string(FLATLAND_TEST_MODELS_DIR) + "/" + name;
}
}  // namespace

TEST(TorchScript, LoadsAndMatchesPyTorchForward) {
  auto model = loadModel(modelFile("tiny_mlp.pt"), kTabular);
  model->setTraining(false);
  auto x = torch::arange(8, torch::kFloat32).reshape({4, 2}) / 10.0;
  auto logits = model->forward(x);
  std::ifstream expected(modelFile("tiny_mlp_expected.txt"));
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 3; ++c) {
      double v;
      expected >> v;
      EXPECT_NEAR(logits[r][c].item<double>(), v, 1e-6);
    }
  EXPECT_EQ(model->namedBuffers().size(), 3u);  // running mean, var, num_batches_tracked
}

TEST(TorchScript, FirstAndSecondDerivativesWithRespectToParameters) {
  auto model = loadModel(modelFile("tiny_mlp.pt"), kTabular);
  model->setTraining(false);
  model->to(torch::kCPU, torch::kFloat64);
  auto x = torch::randn({16, 2}, torch::kFloat64);
  auto y = torch::arange(16) % 3;
  auto params = model->parameters();
  auto loss = torch::nll_loss(torch::log_softmax(model->forward(x), 1), y);
  auto grads = torch::autograd::grad({loss}, params, {}, true, true);
  for (auto& g : grads) EXPECT_GT(g.abs().sum().item<double>(), 0.0);
  // Hessian-vector products are symmetric bilinear forms: uᵀ(Hv) = vᵀ(Hu).
  auto u = torch::randn({model->parameterCount()}, torch::kFloat64);
  auto v = torch::randn({model->parameterCount()}, torch::kFloat64);
  auto hvp = [&](const at::Tensor& w) {
    auto pieces = model->unflatten(w);
    at::Tensor dot = torch::zeros({}, torch::kFloat64);
    for (size_t i = 0; i < grads.size(); ++i) dot = dot + (grads[i] * pieces[i]).sum();
    auto h = torch::autograd::grad({dot}, params, {}, true);
    std::vector<at::Tensor> flat;
    for (auto& t : h) flat.push_back(t.reshape({-1}));
    return torch::cat(flat);
  };
  const double uHv = torch::dot(u, hvp(v)).item<double>();
  const double vHu = torch::dot(v, hvp(u)).item<double>();
  EXPECT_NEAR(uHv, vHu, 1e-10 * std::max(1.0, std::abs(uHv)));
  EXPECT_NE(uHv, 0.0);
}

TEST(TorchScript, WrongClassCountIsRejectedWithBothShapes) {
  try {
    loadModel(modelFile("tiny_mlp.pt"), ModelShape{{2}, 10});
    FAIL();
  } catch (const ModelError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("[2, 3]"), std::string::npos) << m;
    EXPECT_NE(m.find("10 classes"), std::string::npos) << m;
  }
}

TEST(TorchScript, WrongInputShapeIsRejectedWithBothShapes) {
  try {
    loadModel(modelFile("tiny_mlp.pt"), kFashion);
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 1, 28, 28]"), std::string::npos) << e.what();
  }
}

TEST(TorchScript, MissingOrCorruptFile) {
  EXPECT_THROW(loadModel("/nonexistent/model.pt", kTabular), ModelError);
  EXPECT_THROW(loadModel(modelFile("tiny_mlp_expected.txt"), kTabular), ModelError);
}

TEST(ModelSpec, Parsing) {
  auto zoo = ModelSpec::parse("zoo:cnn-small");
  EXPECT_EQ(zoo.kind, ModelSpec::Kind::Zoo);
  auto cp = ModelSpec::parse("runs/p.h5:/runs/sam@12");
  EXPECT_EQ(cp.kind, ModelSpec::Kind::Checkpoint);
  EXPECT_EQ(cp.name, "runs/p.h5");
  EXPECT_EQ(cp.run, "sam");
  EXPECT_EQ(cp.epoch, 12);
  EXPECT_EQ(ModelSpec::parse("m.pt").kind, ModelSpec::Kind::TorchScript);
  EXPECT_THROW(ModelSpec::parse("p.h5"), InvalidArgument);
  EXPECT_THROW(ModelSpec::parse("p.h5:/runs/x@last"), InvalidArgument);
}
