#include "flatland/analysis/perturbed_loss.h"

#include <torch/autograd.h>
#include <torch/nn/functional/loss.h>
#include <torch/types.h>

#include <cmath>

#include "flatland/errors.h"

namespace flatland::analysis {

namespace {

void checkInputs(const training::Dataset& data, int64_t batchSize) {
  if (data.size() == 0)
    throw InvalidArgument("the data set is empty: nothing to measure sharpness on");
  if (batchSize < 1)
    throw InvalidArgument("the batch size must be at least 1, got " + std::to_string(batchSize));
}

at::Tensor meanLoss(const LossFunction& loss, const at::Tensor& logits, const at::Tensor& labels) {
  return loss ? loss(logits, labels) : torch::nn::functional::cross_entropy(logits, labels);
}

}  // namespace

LossAccuracy evaluateLoss(training::Model& model, const training::Dataset& data, int64_t batchSize,
                          const LossFunction& loss, const JobControl& control) {
  checkInputs(data, batchSize);
  torch::NoGradGuard noGrad;
  const auto device = model.device();
  const int64_t n = data.size();
  double lossSum = 0.0;
  int64_t correct = 0;
  for (int64_t start = 0; start < n; start += batchSize) {
    control.throwIfCancelled();
    const int64_t end = std::min(n, start + batchSize);
    auto x = data.inputs.slice(0, start, end).to(device, model.dtype());
    auto y = data.labels.slice(0, start, end).to(device);
    auto logits = model.forward(x);
    lossSum += meanLoss(loss, logits, y).item<double>() * double(end - start);
    correct += (logits.argmax(1) == y).sum().item<int64_t>();
  }
  return {lossSum / double(n), double(correct) / double(n), n};
}

LossGradient evaluateLossGradient(training::Model& model, const training::Dataset& data,
                                  int64_t batchSize, const LossFunction& loss,
                                  const JobControl& control) {
  checkInputs(data, batchSize);
  const auto device = model.device();
  const int64_t n = data.size();
  auto params = model.parameters();
  LossGradient out;
  out.gradient = torch::zeros({model.parameterCount()},
                              torch::TensorOptions().dtype(model.dtype()).device(device));
  double lossSum = 0.0;
  int64_t correct = 0;
  for (int64_t start = 0; start < n; start += batchSize) {
    control.throwIfCancelled();
    const int64_t end = std::min(n, start + batchSize);
    auto x = data.inputs.slice(0, start, end).to(device, model.dtype());
    auto y = data.labels.slice(0, start, end).to(device);
    auto logits = model.forward(x);
    auto l = meanLoss(loss, logits, y);
    auto grads = torch::autograd::grad({l}, params, {}, false, false, true);
    std::vector<at::Tensor> flat;
    flat.reserve(grads.size());
    for (size_t i = 0; i < grads.size(); ++i)
      flat.push_back((grads[i].defined() ? grads[i] : torch::zeros_like(params[i])).reshape({-1}));
    const double weight = double(end - start) / double(n);
    out.gradient.add_(torch::cat(flat), weight);
    lossSum += l.item<double>() * double(end - start);
    correct += (logits.detach().argmax(1) == y).sum().item<int64_t>();
  }
  out.value = {lossSum / double(n), double(correct) / double(n), n};
  return out;
}

PerturbationScope::PerturbationScope(training::Model& model)
    : m_model(model), m_origin(model.flatParameters()), m_wasTraining(model.isTraining()) {
  for (auto& b : model.namedBuffers()) m_buffers.push_back(b.tensor.detach().clone());
  model.setTraining(false);
}

PerturbationScope::~PerturbationScope() {
  try {
    restore();
    m_model.setTraining(m_wasTraining);
  } catch (...) {  // a destructor must not throw; the weights are put back unless LibTorch failed
  }
}

void PerturbationScope::moveTo(const at::Tensor& delta) {
  m_model.setFlatParameters(m_origin + delta);
}

void PerturbationScope::restore() {
  m_model.setFlatParameters(m_origin);
  torch::NoGradGuard noGrad;
  auto buffers = m_model.namedBuffers();
  for (size_t i = 0; i < buffers.size() && i < m_buffers.size(); ++i)
    buffers[i].tensor.copy_(m_buffers[i]);
}

}  // namespace flatland::analysis
