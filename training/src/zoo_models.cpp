// The built-in architectures: MLPs, small CNNs, LeNet-5, a CIFAR-style ResNet-20 and a tiny ViT.
#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/modules/pooling.h>
#include <torch/utils.h>

#include <cmath>
#include <functional>
#include <numeric>

#include "flatland/errors.h"
#include "flatland/training/model.h"
#include "stacked_layers.h"

namespace flatland::training {

namespace nn = torch::nn;

namespace {

// The ReLU outputs of one network and the transform applied to them (see Model). Shared by the
// network and its sites; it holds no tensors, so parameters and buffers are unchanged.
struct ActivationSites {
  int64_t count = 0;
  ActivationTransform transform;

  at::Tensor apply(int64_t site, at::Tensor y, bool training) const {
    return transform ? transform(site, y, training) : y;
  }
};
using SitesPtr = std::shared_ptr<ActivationSites>;

// A ReLU that is also an activation site. It takes nn::ReLU's place in a Sequential, at the same
// index and without parameters, so parameter names ("layers.3.weight") stay what they were.
struct SiteReluImpl : nn::Module {
  explicit SiteReluImpl(SitesPtr sites) : sites(std::move(sites)), index(this->sites->count++) {}
  at::Tensor forward(const at::Tensor& x) {
    return sites->apply(index, torch::relu(x), is_training());
  }
  SitesPtr sites;
  int64_t index;
};
TORCH_MODULE(SiteRelu);

// Every zoo network is a module with a forward, the same forward for K weight sets at once
// (Model::forwardStacked; it bypasses the sites, whose transform is then empty) and its
// activation sites.
struct Network : nn::Module {
  virtual at::Tensor forward(const at::Tensor& x) = 0;
  virtual at::Tensor forwardStacked(const stacked::Pass& pass, const at::Tensor& x) = 0;
  SitesPtr sites = std::make_shared<ActivationSites>();
};

using stacked::Activation;
using stacked::Layout;

Activation relu(const Activation& x) { return {torch::relu(x.tensor), x.layout}; }

// One layer of a Sequential for K weight sets: the layers with weights through the pass, the
// others (activations, pooling: elementwise or per channel) as they are.
Activation stackedLayer(const stacked::Pass& pass, nn::AnyModule& layer, const Activation& x) {
  auto module = layer.ptr();
  if (auto* conv = module->as<nn::Conv2dImpl>()) return pass.conv(*conv, x);
  if (auto* linear = module->as<nn::LinearImpl>()) return pass.linear(*linear, x);
  if (auto* norm = module->as<nn::BatchNorm2dImpl>()) return pass.batchNorm(*norm, x);
  if (module->as<nn::FlattenImpl>()) return pass.flatten(x);
  if (!module->parameters().empty() || !module->buffers().empty())
    throw ModelError("a stacked pass cannot run layer " + module->name());
  return {layer.forward(x.tensor), x.layout};
}

struct SequentialNetwork : Network {
  SequentialNetwork(nn::Sequential layers, SitesPtr layerSites)
      : layers(register_module("layers", layers)) {
    sites = std::move(layerSites);
  }
  at::Tensor forward(const at::Tensor& x) override { return layers->forward(x); }
  at::Tensor forwardStacked(const stacked::Pass& pass, const at::Tensor& x) override {
    Activation a{x, Layout::Shared};
    for (auto& layer : *layers) a = stackedLayer(pass, layer, a);
    return pass.logits(a);
  }
  nn::Sequential layers;
};

int64_t product(const std::vector<int64_t>& v) {
  return std::accumulate(v.begin(), v.end(), int64_t{1}, std::multiplies<>());
}

// Number of features a feature extractor produces for one sample of the given shape.
int64_t featuresAfter(nn::Sequential& features, const std::vector<int64_t>& sampleShape) {
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), sampleShape.begin(), sampleShape.end());
  torch::NoGradGuard noGrad;
  return features->forward(torch::zeros(shape)).numel();
}

void requireImages(const std::string& name, const ModelShape& shape) {
  if (shape.sampleShape.size() != 3)
    throw ModelError("zoo:" + name +
                     " needs image inputs (channels × height × width), but the "
                     "data's samples have shape " +
                     c10::str(c10::IntArrayRef(shape.sampleShape)) +
                     "; use zoo:mlp for tabular data");
}

std::shared_ptr<Network> mlp(const ModelShape& shape, bool smooth) {
  nn::Sequential layers;
  auto sites = std::make_shared<ActivationSites>();
  layers->push_back(nn::Flatten());
  int64_t in = product(shape.sampleShape);
  for (int64_t width : {128, 64}) {
    layers->push_back(nn::Linear(in, width));
    if (smooth)
      layers->push_back(nn::Tanh());
    else
      layers->push_back(SiteRelu(sites));
    in = width;
  }
  layers->push_back(nn::Linear(in, shape.numClasses));
  return std::make_shared<SequentialNetwork>(layers, sites);
}

// Softmax regression: one linear layer, whose Hessian has a closed form (tests use it).
std::shared_ptr<Network> linear(const ModelShape& shape) {
  nn::Sequential layers;
  layers->push_back(nn::Flatten());
  layers->push_back(nn::Linear(product(shape.sampleShape), shape.numClasses));
  return std::make_shared<SequentialNetwork>(layers, std::make_shared<ActivationSites>());
}

// Two 3×3 conv layers and one linear layer (~9k parameters on 28×28): big enough to learn
// Fashion-MNIST to ~88%, small enough for exact Hessian work on a laptop. The smooth variant
// (tanh, average pooling) has no kinks, for derivative tests.
std::shared_ptr<Network> cnnSmall(const ModelShape& shape, bool smooth) {
  nn::Sequential layers;
  auto sites = std::make_shared<ActivationSites>();
  const int64_t channels = shape.sampleShape[0];
  auto activation = [&] {
    if (smooth)
      layers->push_back(nn::Tanh());
    else
      layers->push_back(SiteRelu(sites));
  };
  auto pool = [&] {
    if (smooth)
      layers->push_back(nn::AvgPool2d(2));
    else
      layers->push_back(nn::MaxPool2d(2));
  };
  layers->push_back(nn::Conv2d(nn::Conv2dOptions(channels, 8, 3).padding(1)));
  activation();
  pool();
  layers->push_back(nn::Conv2d(nn::Conv2dOptions(8, 16, 3).padding(1)));
  activation();
  pool();
  layers->push_back(nn::Flatten());
  layers->push_back(nn::Linear(featuresAfter(layers, shape.sampleShape), shape.numClasses));
  return std::make_shared<SequentialNetwork>(layers, sites);
}

// LeNet-5 (LeCun 1998) with ReLU and average pooling; 28×28 inputs are padded to 32×32.
std::shared_ptr<Network> lenet5(const ModelShape& shape) {
  nn::Sequential layers;
  auto sites = std::make_shared<ActivationSites>();
  const int64_t channels = shape.sampleShape[0];
  const int64_t pad = shape.sampleShape[1] < 32 ? 2 : 0;
  layers->push_back(nn::Conv2d(nn::Conv2dOptions(channels, 6, 5).padding(pad)));
  layers->push_back(SiteRelu(sites));
  layers->push_back(nn::AvgPool2d(2));
  layers->push_back(nn::Conv2d(nn::Conv2dOptions(6, 16, 5)));
  layers->push_back(SiteRelu(sites));
  layers->push_back(nn::AvgPool2d(2));
  layers->push_back(nn::Flatten());
  const int64_t features = featuresAfter(layers, shape.sampleShape);
  layers->push_back(nn::Linear(features, 120));
  layers->push_back(SiteRelu(sites));
  layers->push_back(nn::Linear(120, 84));
  layers->push_back(SiteRelu(sites));
  layers->push_back(nn::Linear(84, shape.numClasses));
  return std::make_shared<SequentialNetwork>(layers, sites);
}

// The CIFAR ResNet of He et al. (2016), n = 3: 3 stages × 3 basic blocks, 16/32/64 channels,
// BatchNorm, 1×1 projection shortcuts where the shape changes.
struct BasicBlock : nn::Module {
  BasicBlock(int64_t in, int64_t out, int64_t stride, const SitesPtr& sites)
      : sites(sites),
        site1(sites->count++),
        site2(sites->count++),
        conv1(register_module(
            "conv1",
            nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)))),
        bn1(register_module("bn1", nn::BatchNorm2d(out))),
        conv2(register_module("conv2",
                              nn::Conv2d(nn::Conv2dOptions(out, out, 3).padding(1).bias(false)))),
        bn2(register_module("bn2", nn::BatchNorm2d(out))) {
    if (stride != 1 || in != out) {
      shortcut = register_module(
          "shortcut",
          nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)),
                         nn::BatchNorm2d(out)));
    }
  }
  at::Tensor forward(const at::Tensor& x) {
    auto y = sites->apply(site1, torch::relu(bn1->forward(conv1->forward(x))), is_training());
    y = bn2->forward(conv2->forward(y));
    return sites->apply(site2, torch::relu(y + (shortcut ? shortcut->forward(x) : x)),
                        is_training());
  }
  Activation forwardStacked(const stacked::Pass& pass, const Activation& x) {
    auto y = relu(pass.batchNorm(*bn1, pass.conv(*conv1, x)));
    y = pass.batchNorm(*bn2, pass.conv(*conv2, y));
    auto skip = x;
    if (shortcut)
      skip = pass.batchNorm(*shortcut->ptr(1)->as<nn::BatchNorm2dImpl>(),
                            pass.conv(*shortcut->ptr(0)->as<nn::Conv2dImpl>(), x));
    return relu({y.tensor + skip.tensor, Layout::Grouped});
  }
  SitesPtr sites;
  int64_t site1, site2;
  nn::Conv2d conv1;
  nn::BatchNorm2d bn1;
  nn::Conv2d conv2;
  nn::BatchNorm2d bn2;
  nn::Sequential shortcut{nullptr};
};

struct ResNet20 : Network {
  explicit ResNet20(const ModelShape& shape)
      : stem(register_module(
            "conv1",
            nn::Conv2d(nn::Conv2dOptions(shape.sampleShape[0], 16, 3).padding(1).bias(false)))),
        bn(register_module("bn1", nn::BatchNorm2d(16))),
        fc(register_module("fc", nn::Linear(64, shape.numClasses))),
        stemSite(sites->count++) {
    int64_t in = 16;
    int index = 0;
    for (int64_t width : {16, 32, 64}) {
      for (int b = 0; b < 3; ++b) {
        const int64_t stride = (b == 0 && width != 16) ? 2 : 1;
        blocks.push_back(register_module("block" + std::to_string(index++),
                                         std::make_shared<BasicBlock>(in, width, stride, sites)));
        in = width;
      }
    }
  }
  at::Tensor forward(const at::Tensor& x) override {
    auto y = sites->apply(stemSite, torch::relu(bn->forward(stem->forward(x))), is_training());
    for (auto& block : blocks) y = block->forward(y);
    y = torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1);
    return fc->forward(y);
  }
  at::Tensor forwardStacked(const stacked::Pass& pass, const at::Tensor& x) override {
    auto y = relu(pass.batchNorm(*bn, pass.conv(*stem, {x, Layout::Shared})));
    for (auto& block : blocks) y = block->forwardStacked(pass, y);
    y.tensor = torch::adaptive_avg_pool2d(y.tensor, {1, 1});
    return pass.logits(pass.linear(*fc, pass.flatten(y)));
  }
  nn::Conv2d stem;
  nn::BatchNorm2d bn;
  nn::Linear fc;
  int64_t stemSite;
  std::vector<std::shared_ptr<BasicBlock>> blocks;
};

// A small vision transformer (Dosovitskiy et al. 2021): non-overlapping patches (7×7 on 28×28,
// 4×4 on 32×32) embedded to 64 dimensions with a learned position embedding, 2 pre-norm encoder
// layers (4-head self-attention, GELU MLP of width 128), a final LayerNorm, mean pooling over
// tokens and a linear head. Attention is written out (softmax(QKᵀ/√d)V), so it has second
// derivatives on every LibTorch and device.
struct EncoderLayer : nn::Module {
  EncoderLayer(int64_t dim, int64_t heads, int64_t hidden)
      : heads(heads),
        norm1(register_module("norm1", nn::LayerNorm(nn::LayerNormOptions({dim})))),
        qkv(register_module("qkv", nn::Linear(dim, 3 * dim))),
        proj(register_module("proj", nn::Linear(dim, dim))),
        norm2(register_module("norm2", nn::LayerNorm(nn::LayerNormOptions({dim})))),
        fc1(register_module("fc1", nn::Linear(dim, hidden))),
        fc2(register_module("fc2", nn::Linear(hidden, dim))) {}

  // Self-attention of the projected queries, keys and values [n, tokens, 3·dim] → [n, tokens, dim].
  at::Tensor attend(const at::Tensor& queryKeyValue) const {
    const int64_t n = queryKeyValue.size(0), tokens = queryKeyValue.size(1);
    const int64_t dim = queryKeyValue.size(2) / 3, d = dim / heads;
    // [3, n, heads, tokens, d]
    auto qkvHeads = queryKeyValue.reshape({n, tokens, 3, heads, d}).permute({2, 0, 3, 1, 4});
    auto q = qkvHeads[0], k = qkvHeads[1], v = qkvHeads[2];
    auto weights = torch::softmax(torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(d)), -1);
    return torch::matmul(weights, v).transpose(1, 2).reshape({n, tokens, dim});
  }
  at::Tensor forward(const at::Tensor& x) {
    auto y = x + proj->forward(attend(qkv->forward(norm1->forward(x))));
    return y + fc2->forward(torch::gelu(fc1->forward(norm2->forward(y))));
  }
  // x: [K, n, tokens, dim]; the K sets' attention runs as K·n samples.
  Activation forwardStacked(const stacked::Pass& pass, const Activation& x) {
    const auto shape = x.tensor.sizes().vec();
    auto queryKeyValue = pass.linear(*qkv, pass.layerNorm(*norm1, x)).tensor;
    auto attended = attend(queryKeyValue.flatten(0, 1)).view(shape);
    auto y = x.tensor + pass.linear(*proj, {attended, Layout::PerSet}).tensor;
    auto hidden = pass.linear(*fc1, pass.layerNorm(*norm2, {y, Layout::PerSet}));
    hidden.tensor = torch::gelu(hidden.tensor);
    return {y + pass.linear(*fc2, hidden).tensor, Layout::PerSet};
  }
  int64_t heads;
  nn::LayerNorm norm1;
  nn::Linear qkv, proj;
  nn::LayerNorm norm2;
  nn::Linear fc1, fc2;
};

int64_t vitPatchSize(const ModelShape& shape) {
  const int64_t h = shape.sampleShape[1], w = shape.sampleShape[2];
  for (int64_t patch : {7, 4, 2})
    if (h % patch == 0 && w % patch == 0 && (h / patch) * (w / patch) <= 64) return patch;
  throw ModelError(
      "zoo:vit-tiny needs image sides divisible by 7, 4 or 2 with at most 64 patches "
      "(28×28 or 32×32, say); the data's samples have shape " +
      c10::str(c10::IntArrayRef(shape.sampleShape)));
}

struct VitTiny : Network {
  static constexpr int64_t kDim = 64, kHeads = 4, kHidden = 128, kLayers = 2;
  explicit VitTiny(const ModelShape& shape)
      : patch(vitPatchSize(shape)),
        embed(register_module(
            "patch_embed",
            nn::Conv2d(nn::Conv2dOptions(shape.sampleShape[0], kDim, patch).stride(patch)))),
        position(register_parameter(
            "pos_embed",
            torch::randn(
                {1, (shape.sampleShape[1] / patch) * (shape.sampleShape[2] / patch), kDim}) *
                0.02)),
        norm(register_module("norm", nn::LayerNorm(nn::LayerNormOptions({kDim})))),
        head(register_module("head", nn::Linear(kDim, shape.numClasses))) {
    for (int64_t i = 0; i < kLayers; ++i)
      layers.push_back(register_module("layer" + std::to_string(i),
                                       std::make_shared<EncoderLayer>(kDim, kHeads, kHidden)));
  }
  at::Tensor forward(const at::Tensor& x) override {
    auto tokens = embed->forward(x).flatten(2).transpose(1, 2) + position;  // [n, tokens, dim]
    for (auto& layer : layers) tokens = layer->forward(tokens);
    return head->forward(norm->forward(tokens).mean(1));
  }
  at::Tensor forwardStacked(const stacked::Pass& pass, const at::Tensor& x) override {
    auto maps = pass.conv(*embed, {x, Layout::Shared}).tensor;  // [n, K·dim, h, w]
    const int64_t n = maps.size(0);
    // [K, n, tokens, dim]
    auto tokens =
        maps.reshape({n, pass.sets(), kDim, -1}).permute({1, 0, 3, 2}) + pass.stackOf(position);
    Activation a{tokens, Layout::PerSet};
    for (auto& layer : layers) a = layer->forwardStacked(pass, a);
    a = pass.layerNorm(*norm, a);
    return pass.logits(pass.linear(*head, {a.tensor.mean(2), Layout::PerSet}));
  }
  int64_t patch;
  nn::Conv2d embed;
  at::Tensor position;
  nn::LayerNorm norm;
  nn::Linear head;
  std::vector<std::shared_ptr<EncoderLayer>> layers;
};

std::shared_ptr<Network> build(const std::string& name, const ModelShape& shape) {
  if (shape.numClasses < 2)
    throw ModelError("a classifier needs at least 2 classes, the data has " +
                     std::to_string(shape.numClasses));
  if (name == "mlp") return mlp(shape, false);
  if (name == "mlp-tanh") return mlp(shape, true);
  if (name == "linear") return linear(shape);
  requireImages(name, shape);
  if (name == "cnn-small") return cnnSmall(shape, false);
  if (name == "cnn-smooth") return cnnSmall(shape, true);
  if (name == "lenet5") return lenet5(shape);
  if (name == "resnet20") return std::make_shared<ResNet20>(shape);
  if (name == "vit-tiny") return std::make_shared<VitTiny>(shape);
  throw std::logic_error("unreachable");
}

std::vector<NamedTensor> named(const torch::OrderedDict<std::string, at::Tensor>& dict) {
  std::vector<NamedTensor> out;
  for (auto& item : dict) out.push_back({item.key(), item.value()});
  return out;
}

class ZooModel final : public Model {
 public:
  ZooModel(std::string name, ModelShape shape, std::shared_ptr<Network> net)
      : m_name(std::move(name)), m_shape(std::move(shape)), m_net(std::move(net)) {}

  at::Tensor forward(const at::Tensor& inputs) override { return m_net->forward(inputs); }
  std::vector<NamedTensor> namedParameters() const override {
    std::vector<NamedTensor> out;
    for (auto& p : named(m_net->named_parameters(true)))
      if (p.tensor.requires_grad()) out.push_back(p);
    return out;
  }
  std::vector<NamedTensor> namedBuffers() const override {
    return named(m_net->named_buffers(true));
  }
  void setTraining(bool on) override { m_net->train(on); }
  bool isTraining() const override { return m_net->is_training(); }
  void to(const c10::Device& device, c10::ScalarType dtype) override { m_net->to(device, dtype); }
  std::unique_ptr<Model> clone() const override {
    auto copy = std::make_unique<ZooModel>(m_name, m_shape, build(m_name, m_shape));
    copy->to(device(), dtype());
    copy->copyStateFrom(*this);
    copy->setTraining(isTraining());
    return copy;
  }
  std::string source() const override { return "zoo:" + m_name; }
  bool canStackWeights() const override { return !m_net->sites->transform; }
  at::Tensor forwardStacked(const at::Tensor& inputs, const StackedWeights& weights) override {
    if (!canStackWeights())
      throw ModelError(source() +
                       " with an activation transform (quantization) cannot evaluate several "
                       "weight sets in one pass");
    if (isTraining())
      throw ModelError("several weight sets in one pass are evaluated in eval mode only");
    stacked::Pass pass(namedParameters(), namedBuffers(), weights);
    return m_net->forwardStacked(pass, inputs);
  }
  int64_t activationSiteCount() const override { return m_net->sites->count; }
  void setActivationTransform(ActivationTransform transform) override {
    m_net->sites->transform = std::move(transform);
  }

 private:
  std::string m_name;
  ModelShape m_shape;
  std::shared_ptr<Network> m_net;
};

}  // namespace

std::vector<std::string> zooModelNames() {
  return {"mlp", "mlp-tanh", "linear", "cnn-small", "cnn-smooth", "lenet5", "resnet20", "vit-tiny"};
}

std::unique_ptr<Model> makeZooModel(const std::string& name, const ModelShape& shape,
                                    uint64_t seed) {
  auto names = zooModelNames();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string list;
    for (auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw ModelError("unknown built-in model '" + name + "' (available: " + list + ")");
  }
  torch::manual_seed(seed);
  return std::make_unique<ZooModel>(name, shape, build(name, shape));
}

}  // namespace flatland::training
