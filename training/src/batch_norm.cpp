#include "flatland/training/batch_norm.h"

#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "flatland/errors.h"

namespace flatland::training {

namespace {

bool endsWith(const std::string& name, const std::string& suffix) {
  return name.size() >= suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

// A train-mode forward pass moves each running statistic r to (1 − m)·r + m·s, s the batch's
// statistic and m the layer's momentum, which a TorchScript model does not expose. Two passes
// over the first batch with r at 0 and at 1 give 1 − m; from then on each batch runs with r at 0
// and gives s = r/m. The batches' statistics are averaged with equal weights: what PyTorch's
// swa_utils.update_bn computes (momentum None), whatever momentum the layers have.
void recomputeBatchNormStatistics(Model& model, const Dataset& data, int64_t batchSize) {
  std::vector<at::Tensor> running, counters;
  for (auto& b : model.namedBuffers()) {
    if (endsWith(b.name, "running_mean") || endsWith(b.name, "running_var"))
      running.push_back(b.tensor);
    else if (endsWith(b.name, "num_batches_tracked"))
      counters.push_back(b.tensor);
  }
  if (running.empty() || data.size() == 0) return;
  torch::NoGradGuard noGrad;
  const bool wasTraining = model.isTraining();
  model.setTraining(true);
  auto batch = [&](int64_t start) {
    auto x = data.inputs.slice(0, start, std::min(data.size(), start + batchSize));
    return x.to(model.device(), model.dtype());
  };
  auto setAll = [&](double value) {
    for (auto& r : running) r.fill_(value);
  };
  const auto first = batch(0);
  setAll(0.0);
  model.forward(first);
  std::vector<at::Tensor> atZero;
  for (auto& r : running) atZero.push_back(r.clone());
  setAll(1.0);
  model.forward(first);
  std::vector<double> momentum;
  for (size_t i = 0; i < running.size(); ++i) {
    const double m = 1.0 - (running[i] - atZero[i]).mean().item<double>();
    if (!(m > 1e-6 && m <= 1.0 + 1e-6))
      throw ModelError("cannot recompute BatchNorm statistics: a layer's momentum is " +
                       std::to_string(m) + " (its running statistics do not follow the data)");
    momentum.push_back(m);
  }
  std::vector<at::Tensor> sum(running.size());
  int64_t batches = 0;
  for (int64_t start = 0; start < data.size(); start += batchSize, ++batches) {
    setAll(0.0);
    model.forward(batch(start));
    for (size_t i = 0; i < running.size(); ++i) {
      auto s = running[i].to(at::kDouble) / momentum[i];
      sum[i] = sum[i].defined() ? sum[i] + s : s;
    }
  }
  for (size_t i = 0; i < running.size(); ++i) running[i].copy_(sum[i] / double(batches));
  for (auto& c : counters) c.fill_(batches);
  model.setTraining(wasTraining);
}

}  // namespace flatland::training
