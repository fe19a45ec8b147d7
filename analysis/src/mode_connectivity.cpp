#include "flatland/analysis/mode_connectivity.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/autograd.h>
#include <torch/nn/functional/loss.h>
#include <torch/types.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "flatland/analysis/perturbed_loss.h"
#include "flatland/errors.h"
#include "flatland/training/batch_norm.h"
#include "flatland/training/checkpoint.h"
#include "flatland/training/evaluate.h"

namespace flatland::analysis {

const std::vector<std::string>& curveTypeNames() {
  static const std::vector<std::string> names = {"linear", "bezier", "polychain"};
  return names;
}

CurveType parseCurveType(const std::string& text) {
  const auto& names = curveTypeNames();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == text) return CurveType(i);
  throw InvalidArgument("the curve is linear, bezier or polychain, got '" + text + "'");
}

std::string toString(CurveType type) { return curveTypeNames().at(size_t(type)); }

CurveWeights curveWeights(CurveType type, double t) {
  switch (type) {
    case CurveType::Linear:
      return {1.0 - t, 0.0, t};
    case CurveType::Bezier:
      return {(1.0 - t) * (1.0 - t), 2.0 * t * (1.0 - t), t * t};
    case CurveType::Polychain:
      if (t < 0.5) return {1.0 - 2.0 * t, 2.0 * t, 0.0};
      return {0.0, 2.0 - 2.0 * t, 2.0 * t - 1.0};
  }
  return {};
}

double barrierOf(const std::vector<double>& losses) {
  if (losses.empty()) return 0.0;
  const double highest = *std::max_element(losses.begin(), losses.end());
  return highest - 0.5 * (losses.front() + losses.back());
}

namespace {

void requireSameArchitecture(const training::Model& a, const training::Model& b) {
  const auto pa = a.namedParameters(), pb = b.namedParameters();
  if (pa.size() != pb.size())
    throw ModelError(
        "cannot connect models of different architectures: " + std::to_string(pa.size()) +
        " against " + std::to_string(pb.size()) + " parameter tensors");
  for (size_t i = 0; i < pa.size(); ++i)
    if (pa[i].name != pb[i].name || pa[i].tensor.sizes() != pb[i].tensor.sizes())
      throw ModelError("cannot connect models of different architectures: parameter '" +
                       pa[i].name + "' does not match '" + pb[i].name + "'");
}

bool hasBatchNorm(const training::Model& model) {
  for (auto& b : model.namedBuffers())
    if (b.name.find("running_mean") != std::string::npos) return true;
  return false;
}

at::Tensor flatGradient(const at::Tensor& loss, const std::vector<at::Tensor>& params) {
  auto grads = torch::autograd::grad({loss}, params, {}, false, false, true);
  std::vector<at::Tensor> flat;
  for (size_t i = 0; i < grads.size(); ++i)
    flat.push_back(grads[i].defined() ? grads[i].reshape({-1})
                                      : torch::zeros_like(params[i]).reshape({-1}));
  return torch::cat(flat);
}

}  // namespace

ConnectResult connectModels(training::Model& from, const training::Model& to,
                            const training::Dataset& train, const training::Dataset* test,
                            const ConnectOptions& o, const JobControl& control) {
  const auto started = std::chrono::steady_clock::now();
  requireSameArchitecture(from, to);
  if (o.points < 2) throw InvalidArgument("--points: a path needs at least 2 points");
  if (o.batchSize < 1 || o.evalBatchSize < 1)
    throw InvalidArgument("--batch-size must be positive");
  if (train.size() == 0) throw InvalidArgument("the training data is empty");
  PerturbationScope restore(from);  // weights, BatchNorm statistics and mode come back
  const auto device = from.device();
  const auto dtype = from.dtype();
  const at::Tensor a = restore.origin();
  const at::Tensor b = to.flatParameters().detach().to(device, dtype);
  const bool batchNorm = hasBatchNorm(from);
  const bool trained = o.curve != CurveType::Linear;
  const int64_t stepsPerEpoch = (train.size() + o.batchSize - 1) / o.batchSize;
  const double trainingUnits = trained ? double(o.epochs * stepsPerEpoch) : 0.0;
  // An evaluated point costs about a pass over the data (two with BatchNorm).
  const double pointUnits =
      double((train.size() + (test ? test->size() : 0)) * (batchNorm ? 2 : 1)) /
      double(o.batchSize);
  const double totalUnits = trainingUnits + double((trained ? 2 : 1) * o.points) * pointUnits;
  double doneUnits = 0.0;
  auto report = [&](const std::string& stage, double loss) {
    ProgressEvent e;
    e.fraction = std::min(1.0, doneUnits / std::max(1.0, totalUnits));
    e.stage = stage;
    e.loss = loss;
    control.report(e);
  };

  ConnectResult r;
  at::Tensor bend = 0.5 * (a + b);
  if (trained) {
    auto generator = at::make_generator<at::CPUGeneratorImpl>(o.seed);
    auto params = from.parameters();
    at::Tensor velocity = torch::zeros_like(bend);
    for (int64_t epoch = 1; epoch <= o.epochs; ++epoch) {
      const auto order = at::randperm(train.size(), generator, at::kLong);
      double lossSum = 0.0;
      int64_t seen = 0;
      for (int64_t start = 0; start < train.size(); start += o.batchSize) {
        control.throwIfCancelled();
        const auto index = order.slice(0, start, std::min(train.size(), start + o.batchSize));
        const auto x =
            train.inputs.index_select(0, index.to(train.inputs.device())).to(device, dtype);
        const auto y = train.labels.index_select(0, index.to(train.labels.device())).to(device);
        const double t = at::rand({1}, generator, at::kDouble).item<double>();
        const auto w = curveWeights(o.curve, t);
        {
          torch::NoGradGuard noGrad;
          from.setFlatParameters(w.from * a + w.bend * bend + w.to * b);
        }
        from.setTraining(true);
        const auto loss = torch::nn::functional::cross_entropy(from.forward(x), y);
        const double value = loss.item<double>();
        if (!std::isfinite(value))
          throw NumericalError("the loss along the curve became " + std::to_string(value) +
                               " in epoch " + std::to_string(epoch) +
                               " of the bend's training: lower --lr");
        const auto g = flatGradient(loss, params);
        {
          torch::NoGradGuard noGrad;
          velocity.mul_(o.momentum).add_(w.bend * g + o.weightDecay * bend);
          bend.sub_(o.learningRate * velocity);
        }
        lossSum += value * double(index.size(0));
        seen += index.size(0);
        doneUnits += 1.0;
        if (seen == train.size() || (start / o.batchSize) % 20 == 0)
          report("curve epoch " + std::to_string(epoch) + "/" + std::to_string(o.epochs), value);
      }
      r.trainingLoss.push_back(lossSum / double(seen));
    }
  }

  for (int64_t i = 0; i < o.points; ++i) r.t.push_back(double(i) / double(o.points - 1));
  auto evaluatePath = [&](CurveType type, const std::string& stage) {
    PathValues v;
    for (double t : r.t) {
      control.throwIfCancelled();
      const auto w = curveWeights(type, t);
      {
        torch::NoGradGuard noGrad;
        from.setFlatParameters(w.from * a + w.bend * bend + w.to * b);
      }
      if (batchNorm) training::recomputeBatchNormStatistics(from, train, o.evalBatchSize);
      const auto onTrain = training::evaluate(from, train, o.evalBatchSize, control);
      v.trainLoss.push_back(onTrain.loss);
      v.trainAccuracy.push_back(onTrain.accuracy);
      if (test) {
        const auto onTest = training::evaluate(from, *test, o.evalBatchSize, control);
        v.testLoss.push_back(onTest.loss);
        v.testAccuracy.push_back(onTest.accuracy);
      }
      doneUnits += pointUnits;
      report(stage, onTrain.loss);
    }
    v.barrier = barrierOf(v.trainLoss);
    return v;
  };
  r.linear = evaluatePath(CurveType::Linear, "linear path");
  r.curve = trained ? evaluatePath(o.curve, toString(o.curve) + " curve") : r.linear;

  if (trained) {
    {
      torch::NoGradGuard noGrad;
      from.setFlatParameters(bend);
    }
    if (batchNorm) training::recomputeBatchNormStatistics(from, train, o.evalBatchSize);
    r.bend = training::checkpointNode(from, 0);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return r;
}

}  // namespace flatland::analysis
