#include "flatland/analysis/surface_evaluator.h"

#include <torch/nn/functional/loss.h>
#include <torch/types.h>

#include <algorithm>
#include <map>

#include "flatland/errors.h"
#include "flatland/training/checked_inference.h"

namespace flatland::analysis {

namespace F = torch::nn::functional;

struct SurfaceEvaluator::State {
  training::Model* model = nullptr;
  int64_t batchSize = 2000;
  bool wasTraining = false;
  std::vector<at::Tensor> params;             // the model's live parameter tensors
  std::vector<at::Tensor> originParams;       // θ, same device and dtype
  std::vector<std::vector<at::Tensor>> dirs;  // dirs[k][i]: direction k of parameter i
  std::vector<at::Tensor> buffers;            // live buffers that some direction moves
  std::vector<at::Tensor> originBuffers;
  std::vector<std::vector<at::Tensor>> bufferDirs;  // bufferDirs[k][j]; undefined: not moved
  // On the CPU, 4-D parameters (convolution kernels) and 4-D inputs are held channels-last while
  // the evaluator lives: the values are the same, but max pooling and BatchNorm then run
  // vectorised over channels instead of one plane at a time. Measured on a BatchNorm CNN
  // (docs/performance.md): NCHW max pooling alone took 46% of a surface's time.
  bool channelsLast = false;
  // The forward pass at each point; made by the first evaluate(), for the size of its data.
  std::unique_ptr<training::CheckedInference> inference;
};

namespace {

bool isImageKernel(const at::Tensor& t) { return t.dim() == 4; }

// The same values in the memory format the evaluator runs in. A fresh channels-last tensor, not
// contiguous(ChannelsLast): with one channel (a grey-scale image, a first convolution's kernel)
// an NCHW tensor already counts as channels-last contiguous and would keep NCHW strides, and
// LibTorch would then run the first convolution and its pooling in NCHW.
at::Tensor inFormat(const at::Tensor& t, bool channelsLast) {
  if (!channelsLast || !isImageKernel(t)) return t.contiguous();
  auto out = at::empty(t.sizes(), t.options().memory_format(at::MemoryFormat::ChannelsLast));
  return out.copy_(t);
}

}  // namespace

SurfaceEvaluator::SurfaceEvaluator(training::Model& origin, const DirectionSet& directions,
                                   int64_t batchSize)
    : m_state(std::make_unique<State>()) {
  if (batchSize <= 0) throw InvalidArgument("the batch size must be positive");
  if (directions.directions.empty() || directions.directions.size() > 3)
    throw InvalidArgument("a surface needs 1 to 3 directions");
  torch::NoGradGuard noGrad;
  auto& s = *m_state;
  s.model = &origin;
  s.batchSize = batchSize;
  s.wasTraining = origin.isTraining();
  const auto device = origin.device();
  const auto dtype = origin.dtype();
  for (auto& p : origin.namedParameters())
    s.channelsLast = s.channelsLast || (device.is_cpu() && isImageKernel(p.tensor));
  for (auto& p : origin.namedParameters()) {
    // set_data swaps the storage under the module's own parameter, which the model keeps using.
    if (s.channelsLast && isImageKernel(p.tensor))
      p.tensor.set_data(inFormat(p.tensor.detach(), true));
    s.params.push_back(p.tensor);
    s.originParams.push_back(p.tensor.detach().clone());
  }
  // The buffers any direction moves (interpolation over BatchNorm statistics).
  std::map<std::string, size_t> bufferIndex;
  for (auto& b : origin.namedBuffers()) {
    bool moved = false;
    for (auto& d : directions.directions)
      for (auto& db : d.buffers) moved = moved || db.name == b.name;
    if (!moved) continue;
    bufferIndex[b.name] = s.buffers.size();
    s.buffers.push_back(b.tensor);
    s.originBuffers.push_back(b.tensor.detach().clone());
  }
  for (auto& d : directions.directions) {
    if (d.parameters.numel() != origin.parameterCount())
      throw InvalidArgument("a direction has " + std::to_string(d.parameters.numel()) +
                            " entries but " + origin.source() + " has " +
                            std::to_string(origin.parameterCount()) + " parameters");
    auto flat = d.parameters.to(device, dtype).contiguous();
    auto pieces = origin.unflatten(flat);
    for (auto& piece : pieces) piece = inFormat(piece, s.channelsLast);
    s.dirs.push_back(std::move(pieces));
    std::vector<at::Tensor> moves(s.buffers.size());
    for (auto& db : d.buffers) {
      auto it = bufferIndex.find(db.name);
      auto& live = s.buffers[it->second];
      if (db.tensor.sizes() != live.sizes())
        throw InvalidArgument("the direction of buffer '" + db.name + "' has the wrong shape");
      moves[it->second] = db.tensor.to(live.device(), live.scalar_type()).contiguous();
    }
    s.bufferDirs.push_back(std::move(moves));
  }
  origin.setTraining(false);
}

SurfaceEvaluator::~SurfaceEvaluator() {
  try {
    restoreOrigin();
    torch::NoGradGuard noGrad;
    if (m_state->channelsLast)
      for (auto& p : m_state->params)
        if (isImageKernel(p)) p.set_data(p.detach().contiguous());
    m_state->model->setTraining(m_state->wasTraining);
  } catch (...) {
  }
}

void SurfaceEvaluator::moveTo(const std::array<double, 3>& c) {
  torch::NoGradGuard noGrad;
  auto& s = *m_state;
  if (s.inference) s.inference->weightsChanged();
  for (size_t i = 0; i < s.params.size(); ++i) {
    auto& p = s.params[i];
    p.copy_(s.originParams[i]);
    for (size_t k = 0; k < s.dirs.size(); ++k)
      if (c[k] != 0.0) p.add_(s.dirs[k][i], c[k]);
  }
  for (size_t j = 0; j < s.buffers.size(); ++j) {
    auto& b = s.buffers[j];
    b.copy_(s.originBuffers[j]);
    for (size_t k = 0; k < s.bufferDirs.size(); ++k)
      if (c[k] != 0.0 && s.bufferDirs[k][j].defined()) b.add_(s.bufferDirs[k][j], c[k]);
  }
}

void SurfaceEvaluator::restoreOrigin() { moveTo({0.0, 0.0, 0.0}); }

training::Dataset SurfaceEvaluator::prepare(const training::Dataset& data) const {
  training::Dataset out = data;
  out.labels = data.labels.to(m_state->model->device()).contiguous();
  // A streamed set stays in its file: evaluate() converts a batch at a time.
  if (!data.streamed)
    out.inputs = inFormat(data.inputs.to(m_state->model->device(), m_state->model->dtype()),
                          m_state->channelsLast);
  return out;
}

PointValues SurfaceEvaluator::evaluate(const training::Dataset& data) const {
  auto& s = *m_state;
  c10::InferenceMode inferenceMode;
  const int64_t n = data.size();
  if (n == 0) throw InvalidArgument("cannot evaluate a surface on an empty data set");
  if (!s.inference) s.inference = std::make_unique<training::CheckedInference>(*s.model, n);
  double lossSum = 0.0;
  int64_t correct = 0;
  for (int64_t start = 0; start < n; start += s.batchSize) {
    const int64_t end = std::min(n, start + s.batchSize);
    auto x = data.inputs.slice(0, start, end);
    if (data.streamed) x = inFormat(x.to(s.model->device(), s.model->dtype()), s.channelsLast);
    auto y = data.labels.slice(0, start, end);
    auto logits = s.inference->forward(x)(x);
    lossSum += F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().reduction(torch::kSum))
                   .item<double>();
    correct += (logits.argmax(1) == y).sum().item<int64_t>();
  }
  return {lossSum / double(n), double(correct) / double(n)};
}

}  // namespace flatland::analysis
