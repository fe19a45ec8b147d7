#include "flatland/training/model.h"

#include <ATen/Context.h>
#include <torch/types.h>
#include <torch/version.h>

#include <map>
#include <mutex>

#include "flatland/errors.h"

namespace flatland::training {

std::vector<at::Tensor> Model::parameters() const {
  std::vector<at::Tensor> out;
  for (auto& p : namedParameters()) out.push_back(p.tensor);
  return out;
}

InferenceForward Model::inferenceForward() {
  return [this](const at::Tensor& inputs) { return forward(inputs); };
}

at::Tensor Model::forwardStacked(const at::Tensor&, const StackedWeights&) {
  throw ModelError(source() + " cannot evaluate several weight sets in one pass");
}

int64_t Model::parameterCount() const {
  int64_t n = 0;
  for (auto& p : namedParameters()) n += p.tensor.numel();
  return n;
}

c10::Device Model::device() const {
  auto params = namedParameters();
  return params.empty() ? c10::Device(c10::kCPU) : params.front().tensor.device();
}

c10::ScalarType Model::dtype() const {
  auto params = namedParameters();
  return params.empty() ? c10::kFloat : params.front().tensor.scalar_type();
}

at::Tensor Model::flatParameters() const {
  std::vector<at::Tensor> flat;
  for (auto& p : namedParameters()) flat.push_back(p.tensor.detach().reshape({-1}));
  if (flat.empty()) return torch::empty({0});
  return torch::cat(flat);
}

std::vector<at::Tensor> Model::unflatten(const at::Tensor& flat) const {
  const int64_t total = parameterCount();
  if (flat.dim() != 1 || flat.numel() != total)
    throw InvalidArgument("a flat parameter vector must have " + std::to_string(total) +
                          " entries, got " + std::to_string(flat.numel()));
  std::vector<at::Tensor> out;
  int64_t offset = 0;
  for (auto& p : namedParameters()) {
    const int64_t n = p.tensor.numel();
    out.push_back(flat.slice(0, offset, offset + n).view(p.tensor.sizes()));
    offset += n;
  }
  return out;
}

void Model::setFlatParameters(const at::Tensor& flat) {
  auto pieces = unflatten(flat);
  torch::NoGradGuard noGrad;
  auto params = parameters();
  for (size_t i = 0; i < params.size(); ++i) params[i].copy_(pieces[i]);
}

void Model::copyStateFrom(const Model& other) {
  std::map<std::string, at::Tensor> source;
  for (auto& p : other.namedParameters()) source[p.name] = p.tensor;
  for (auto& b : other.namedBuffers()) source[b.name] = b.tensor;
  torch::NoGradGuard noGrad;
  auto copyInto = [&](const std::vector<NamedTensor>& targets) {
    for (auto& t : targets) {
      auto it = source.find(t.name);
      if (it == source.end())
        throw ModelError("cannot copy model state: the source has no tensor named '" + t.name +
                         "'");
      if (it->second.sizes() != t.tensor.sizes())
        throw ModelError("cannot copy model state: '" + t.name + "' has shape " +
                         c10::str(it->second.sizes()) + " in the source but " +
                         c10::str(t.tensor.sizes()) + " here");
      t.tensor.copy_(it->second);
    }
  };
  copyInto(namedParameters());
  copyInto(namedBuffers());
}

void useTwiceDifferentiableAttention() {
#if TORCH_VERSION_MAJOR >= 2
  static std::once_flag once;
  std::call_once(once, [] {
    auto& context = at::globalContext();
    context.setSDPUseFlash(false);
    context.setSDPUseMemEfficient(false);
#if TORCH_VERSION_MAJOR > 2 || TORCH_VERSION_MINOR >= 7
    context.setSDPUseCuDNN(false);
#endif
    context.setSDPUseMath(true);
  });
#endif
}

std::string summarizeTorchError(const std::exception& error) {
  // c10 errors put the reason first and a C++ backtrace after; TorchScript interpreter errors
  // put a script traceback first and the reason ("RuntimeError: ...") last.
  if (auto* c10Error = dynamic_cast<const c10::Error*>(&error)) {
    std::string text = c10Error->what_without_backtrace();
    return text.substr(0, text.find('\n'));
  }
  std::string text = error.what();
  std::string last;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line =
        text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.find_first_not_of(" \t") != std::string::npos) last = line;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return last;
}

void checkModelFitsData(Model& model, const ModelShape& shape) {
  std::vector<int64_t> batchShape = {2};
  batchShape.insert(batchShape.end(), shape.sampleShape.begin(), shape.sampleShape.end());
  const bool wasTraining = model.isTraining();
  model.setTraining(false);
  at::Tensor out;
  try {
    torch::NoGradGuard noGrad;
    out =
        model.forward(torch::zeros(batchShape, torch::dtype(model.dtype()).device(model.device())));
  } catch (const std::exception& e) {
    model.setTraining(wasTraining);
    const std::string why = summarizeTorchError(e);
    throw ModelError("model " + model.source() + " does not accept inputs of shape " +
                     c10::str(c10::IntArrayRef(batchShape)) + " (the data's samples are " +
                     c10::str(c10::IntArrayRef(shape.sampleShape)) + "): " + why);
  }
  model.setTraining(wasTraining);
  if (!out.is_floating_point())
    throw ModelError("model " + model.source() + " returns " +
                     std::string(c10::toString(out.scalar_type())) +
                     " outputs; Flatland needs floating-point logits (one per class)");
  if (model.parameterCount() == 0)
    throw ModelError("model " + model.source() +
                     " has no trainable parameters: there is nothing to train, and no Hessian or "
                     "loss surface over its parameters");
  if (out.dim() != 2 || out.size(0) != 2 || out.size(1) != shape.numClasses)
    throw ModelError("model " + model.source() + " produces outputs of shape " +
                     c10::str(out.sizes()) + " for a batch of 2, but the data has " +
                     std::to_string(shape.numClasses) + " classes: expected [2, " +
                     std::to_string(shape.numClasses) + "], one logit per class");
}

}  // namespace flatland::training
