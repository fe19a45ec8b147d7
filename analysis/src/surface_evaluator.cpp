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
  std::vector<size_t> bufferModelIndex;             // buffers[j] is namedBuffers()[index[j]]
  size_t modelBufferCount = 0;
  // On the CPU, 4-D parameters (convolution kernels) and 4-D inputs are held channels-last while
  // the evaluator lives: the values are the same, but max pooling and BatchNorm then run
  // vectorised over channels instead of one plane at a time. Measured on a BatchNorm CNN
  // (docs/performance.md): NCHW max pooling alone took 46% of a surface's time.
  bool channelsLast = false;
  // The forward pass at each point; made by the first evaluate(), for the size of its data.
  std::unique_ptr<training::CheckedInference> inference;
  // The weight sets of the last evaluateAt, kept for the same points on the test data.
  std::vector<std::array<double, 3>> stackedPoints;
  training::StackedWeights stacked;
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

// Calls visit(inputs, labels) for each batch of `data` (from prepare()), a streamed set's inputs
// moved to the model's device, dtype and memory format batch by batch.
template <typename Visit>
void forEachBatch(const training::Dataset& data, int64_t batchSize, const training::Model& model,
                  bool channelsLast, Visit visit) {
  const int64_t n = data.size();
  if (n == 0) throw InvalidArgument("cannot evaluate a surface on an empty data set");
  for (int64_t start = 0; start < n; start += batchSize) {
    const int64_t end = std::min(n, start + batchSize);
    auto x = data.inputs.slice(0, start, end);
    if (data.streamed) x = inFormat(x.to(model.device(), model.dtype()), channelsLast);
    visit(x, data.labels.slice(0, start, end));
  }
}

// origin + Σ_d coefficients[:, d] · directions[d], one row per point: [K, ...origin's shape].
// With channelsLast a convolution kernel's stack is laid out so that [K·out, in, kh, kw] (the
// grouped convolution's kernel) is channels-last, like the activations it meets.
at::Tensor stackPoints(const at::Tensor& origin, const std::vector<at::Tensor>& directions,
                       const at::Tensor& coefficients, bool channelsLast) {
  const int64_t sets = coefficients.size(0);
  auto sizes = origin.sizes().vec();
  sizes.insert(sizes.begin(), sets);
  at::Tensor stack;
  if (channelsLast && isImageKernel(origin)) {
    auto kernels = at::empty({sets * sizes[1], sizes[2], sizes[3], sizes[4]},
                             origin.options().memory_format(at::MemoryFormat::ChannelsLast));
    stack = kernels.view(sizes).copy_(origin.unsqueeze(0).expand(sizes));
  } else {
    stack = origin.unsqueeze(0).expand(sizes).contiguous();
  }
  std::vector<int64_t> column(sizes.size(), 1);
  column[0] = sets;
  for (size_t d = 0; d < directions.size(); ++d)
    if (directions[d].defined())
      stack.add_(coefficients.select(1, int64_t(d)).reshape(column) * directions[d].unsqueeze(0));
  return stack;
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
  const auto modelBuffers = origin.namedBuffers();
  s.modelBufferCount = modelBuffers.size();
  for (size_t index = 0; index < modelBuffers.size(); ++index) {
    const auto& b = modelBuffers[index];
    bool moved = false;
    for (auto& d : directions.directions)
      for (auto& db : d.buffers) moved = moved || db.name == b.name;
    if (!moved) continue;
    bufferIndex[b.name] = s.buffers.size();
    s.buffers.push_back(b.tensor);
    s.originBuffers.push_back(b.tensor.detach().clone());
    s.bufferModelIndex.push_back(index);
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
  if (!s.inference && n > 0)
    s.inference = std::make_unique<training::CheckedInference>(*s.model, n);
  double lossSum = 0.0;
  int64_t correct = 0;
  forEachBatch(
      data, s.batchSize, *s.model, s.channelsLast, [&](const at::Tensor& x, const at::Tensor& y) {
        auto logits = s.inference->forward(x)(x);
        lossSum += F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().reduction(torch::kSum))
                       .item<double>();
        correct += (logits.argmax(1) == y).sum().item<int64_t>();
      });
  return {lossSum / double(n), double(correct) / double(n)};
}

bool SurfaceEvaluator::stacksPoints() const { return m_state->model->canStackWeights(); }

std::vector<PointValues> SurfaceEvaluator::evaluateAt(
    const std::vector<std::array<double, 3>>& points, const training::Dataset& data,
    const std::function<void()>& betweenBatches) {
  std::vector<PointValues> out;
  if (points.size() == 1 || !stacksPoints()) {
    for (auto& point : points) {
      moveTo(point);
      out.push_back(evaluate(data));
    }
    return out;
  }
  auto& s = *m_state;
  c10::InferenceMode inferenceMode;
  const int64_t n = data.size();
  const auto sets = int64_t(points.size());
  const auto device = s.model->device();
  const auto dtype = s.model->dtype();
  if (points != s.stackedPoints) {
    auto coefficients = at::empty({sets, int64_t(s.dirs.size())}, at::kDouble);
    for (int64_t k = 0; k < sets; ++k)
      for (size_t d = 0; d < s.dirs.size(); ++d) coefficients[k][int64_t(d)] = points[size_t(k)][d];
    coefficients = coefficients.to(device, dtype);
    training::StackedWeights weights;
    weights.sets = sets;
    for (size_t i = 0; i < s.params.size(); ++i) {
      std::vector<at::Tensor> dirs;
      for (auto& d : s.dirs) dirs.push_back(d[i]);
      weights.parameters.push_back(
          stackPoints(s.originParams[i], dirs, coefficients, s.channelsLast));
    }
    if (!s.buffers.empty()) {
      weights.buffers.resize(s.modelBufferCount);
      for (size_t j = 0; j < s.buffers.size(); ++j) {
        std::vector<at::Tensor> dirs;
        for (auto& d : s.bufferDirs) dirs.push_back(d[j]);
        weights.buffers[s.bufferModelIndex[j]] = stackPoints(
            s.originBuffers[j], dirs, coefficients.to(s.originBuffers[j].scalar_type()), false);
      }
    }
    s.stacked = std::move(weights);
    s.stackedPoints = points;
  }
  const auto& weights = s.stacked;

  auto lossSums = at::zeros({sets}, at::TensorOptions(device).dtype(at::kDouble));
  auto correct = at::zeros({sets}, at::TensorOptions(device).dtype(at::kLong));
  forEachBatch(
      data, s.batchSize, *s.model, s.channelsLast, [&](const at::Tensor& x, const at::Tensor& y) {
        if (betweenBatches) betweenBatches();
        auto logits = s.model->forwardStacked(x, weights);  // [K, batch, classes]
        // Set k's samples are rows k·batch … of the flattened logits.
        auto losses = F::cross_entropy(logits.flatten(0, 1), y.repeat({sets}),
                                       F::CrossEntropyFuncOptions().reduction(torch::kNone));
        lossSums += losses.view({sets, -1}).sum(1).to(at::kDouble);
        correct += (logits.argmax(-1) == y).sum(1);
      });
  lossSums = lossSums.cpu();
  correct = correct.cpu();
  for (int64_t k = 0; k < sets; ++k)
    out.push_back(
        {lossSums[k].item<double>() / double(n), double(correct[k].item<int64_t>()) / double(n)});
  return out;
}

}  // namespace flatland::analysis
