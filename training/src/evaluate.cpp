#include "flatland/training/evaluate.h"

#include <torch/nn/functional/loss.h>
#include <torch/types.h>

#include <cmath>

#include "flatland/errors.h"
#include "flatland/training/checked_inference.h"

namespace flatland::training {

EvalResult evaluate(Model& model, const Dataset& data, int64_t batchSize,
                    const JobControl& control) {
  if (batchSize <= 0) throw InvalidArgument("the batch size must be positive");
  const bool wasTraining = model.isTraining();
  model.setTraining(false);
  c10::InferenceMode inferenceMode;
  const int64_t n = data.size();
  CheckedInference inference(model, n);
  const auto device = model.device();
  double lossSum = 0.0;
  auto correctPerClass = torch::zeros({data.numClasses}, torch::kInt64);
  for (int64_t start = 0; start < n; start += batchSize) {
    control.throwIfCancelled();
    const int64_t end = std::min(n, start + batchSize);
    auto x = data.inputs.slice(0, start, end).to(device, model.dtype());
    auto y = data.labels.slice(0, start, end).to(device);
    auto logits = inference.forward(x)(x);
    lossSum +=
        torch::nn::functional::cross_entropy(
            logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
            .item<double>();
    auto hit = (logits.argmax(1) == y).to(torch::kInt64);
    correctPerClass.index_add_(0, y.cpu(), hit.cpu());
  }
  model.setTraining(wasTraining);
  EvalResult result;
  result.samples = n;
  result.loss = lossSum / double(std::max<int64_t>(n, 1));
  if (!std::isfinite(result.loss))
    throw NumericalError("the loss of " + model.source() + " on " + data.spec +
                         " is not finite (NaN or inf): the model has diverged");
  auto counts = data.classCounts();
  int64_t correct = 0;
  for (int64_t c = 0; c < data.numClasses; ++c) {
    const int64_t hits = correctPerClass[c].item<int64_t>();
    correct += hits;
    result.perClassAccuracy.push_back(counts[c] ? double(hits) / double(counts[c]) : std::nan(""));
  }
  result.accuracy = double(correct) / double(std::max<int64_t>(n, 1));
  return result;
}

}  // namespace flatland::training
