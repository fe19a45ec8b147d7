#include "flatland/analysis/worst_case_sharpness.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <cmath>

#include "flatland/analysis/perturbed_loss.h"
#include "flatland/errors.h"

namespace flatland::analysis {

const std::vector<std::string>& perturbationNormNames() {
  static const std::vector<std::string> names = {"l2", "linf"};
  return names;
}

PerturbationNorm parsePerturbationNorm(const std::string& text) {
  if (text == "l2") return PerturbationNorm::L2;
  if (text == "linf") return PerturbationNorm::Linf;
  throw InvalidArgument("the perturbation norm is l2 or linf, got '" + text + "'");
}

const char* toString(PerturbationNorm norm) { return norm == PerturbationNorm::L2 ? "l2" : "linf"; }

namespace {

void validate(const WorstCaseOptions& o, int64_t samples) {
  if (!(o.rho > 0) || !std::isfinite(o.rho))
    throw InvalidArgument("the worst-case radius rho must be positive and finite, got " +
                          std::to_string(o.rho));
  if (o.steps < 1) throw InvalidArgument("worst-case sharpness needs at least 1 ascent step");
  if (!(o.stepSize > 0))
    throw InvalidArgument("the ascent step size (a fraction of rho) must be positive");
  if (o.eta < 0) throw InvalidArgument("ASAM's eta must be at least 0");
  if (o.m < 0 || o.m > samples)
    throw InvalidArgument("m-sharpness needs 0 (the whole set) or a sub-batch size of 1 to " +
                          std::to_string(samples) + " samples, got " + std::to_string(o.m));
}

// Projects z onto the ball of radius rho in place.
void project(at::Tensor& z, const WorstCaseOptions& o) {
  if (o.norm == PerturbationNorm::Linf) {
    z.clamp_(-o.rho, o.rho);
    return;
  }
  const double norm = z.norm().item<double>();
  if (norm > o.rho) z.mul_(o.rho / norm);
}

at::Tensor randomStart(int64_t n, const WorstCaseOptions& o, uint64_t seed,
                       const at::TensorOptions& like) {
  auto gen = at::detail::createCPUGenerator(seed);
  at::Tensor z;
  if (o.norm == PerturbationNorm::L2) {
    z = torch::randn({n}, gen, torch::kFloat64);
    z.mul_(0.5 * o.rho / std::max(z.norm().item<double>(), 1e-300));
  } else {
    z = (torch::rand({n}, gen, torch::kFloat64) - 0.5) * o.rho;
  }
  return z.to(like);
}

struct Ascent {
  LossAccuracy best;  // the largest loss seen
  int64_t gradients = 0;
};

// Projected gradient ascent on the loss over `data` (one sub-batch), from a random start.
Ascent ascend(training::Model& model, PerturbationScope& scope, const training::Dataset& data,
              const at::Tensor& scale, const LossAccuracy& base, const WorstCaseOptions& o,
              uint64_t seed, const std::function<void(int64_t)>& stepDone,
              const JobControl& control) {
  const auto like = scope.origin().options();
  at::Tensor z = randomStart(scope.origin().numel(), o, seed, like);
  Ascent out;
  out.best = base;  // δ = 0 is in the ball: the maximum is never below the loss at w
  const double alpha = o.stepSize * o.rho;
  for (int64_t step = 0; step <= o.steps; ++step) {
    scope.moveTo(scale.defined() ? scale * z : z);
    // The last point needs only its loss; the others also the gradient for the next step.
    LossAccuracy value;
    at::Tensor gradient;
    if (step < o.steps) {
      auto lg = evaluateLossGradient(model, data, o.batchSize, o.loss, control);
      value = lg.value;
      gradient = lg.gradient;
      ++out.gradients;
    } else {
      value = evaluateLoss(model, data, o.batchSize, o.loss, control);
    }
    if (!std::isfinite(value.loss))
      throw NumericalError("the loss at weights perturbed within radius " + std::to_string(o.rho) +
                           " is not finite: choose a smaller --rho");
    if (value.loss > out.best.loss) out.best = value;
    stepDone(step);
    if (step == o.steps) break;
    // The ascent direction in z: ∇_z L(w + T z) = T ∇_w L.
    auto gz = scale.defined() ? scale * gradient : gradient;
    if (o.norm == PerturbationNorm::L2) {
      const double norm = gz.norm().item<double>();
      if (!(norm > 0)) break;  // a flat spot: no direction to climb
      z.add_(gz, alpha / norm);
    } else {
      z.add_(gz.sign(), alpha);
    }
    project(z, o);
  }
  return out;
}

}  // namespace

WorstCaseResult worstCaseSharpness(training::Model& model, const training::Dataset& data,
                                   const WorstCaseOptions& o, const JobControl& control) {
  const int64_t n = data.size();
  if (n == 0) throw InvalidArgument("the data set is empty: nothing to measure sharpness on");
  validate(o, n);
  PerturbationScope scope(model);
  at::Tensor scale;  // undefined: plain (T = I)
  if (o.adaptive) scale = scope.origin().abs() + o.eta;
  const int64_t m = o.m == 0 ? n : o.m;
  const int64_t subBatches = (n + m - 1) / m;
  WorstCaseResult result;
  result.rho = o.rho;
  result.subBatches = subBatches;
  double baseLoss = 0, baseAccuracy = 0, loss = 0, accuracy = 0;
  const double totalSteps = double(subBatches * (o.steps + 1));
  for (int64_t b = 0; b < subBatches; ++b) {
    const int64_t start = b * m, end = std::min(n, start + m);
    const training::Dataset part =
        subBatches == 1 ? data : data.select(torch::arange(start, end, torch::kInt64));
    scope.restore();
    const LossAccuracy base = evaluateLoss(model, part, o.batchSize, o.loss, control);
    if (!std::isfinite(base.loss))
      throw NumericalError("the loss of " + model.source() +
                           " is not finite (NaN or inf) at its own weights");
    auto stepDone = [&](int64_t step) {
      ProgressEvent event;
      event.fraction = (double(b * (o.steps + 1) + step + 1)) / totalSteps;
      event.stage = "worst case rho=" + std::to_string(o.rho);
      control.report(event);
    };
    // Each sub-batch starts from its own draw, so the result does not depend on the order.
    const Ascent ascent =
        ascend(model, scope, part, scale, base, o, o.seed + uint64_t(b), stepDone, control);
    const double weight = double(end - start) / double(n);
    baseLoss += weight * base.loss;
    baseAccuracy += weight * base.accuracy;
    loss += weight * ascent.best.loss;
    accuracy += weight * ascent.best.accuracy;
    result.gradients += ascent.gradients;
  }
  scope.restore();
  result.baseLoss = baseLoss;
  result.baseAccuracy = baseAccuracy;
  result.perturbedLoss = loss;
  result.perturbedAccuracy = accuracy;
  result.sharpness = loss - baseLoss;
  return result;
}

}  // namespace flatland::analysis
