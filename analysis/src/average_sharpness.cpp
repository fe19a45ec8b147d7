#include "flatland/analysis/average_sharpness.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <cmath>
#include <string>

#include "flatland/analysis/direction.h"
#include "flatland/analysis/perturbed_loss.h"
#include "flatland/errors.h"

namespace flatland::analysis {

namespace {

struct Moments {
  double sum = 0, sumSquares = 0;
  int64_t n = 0;
  void add(double x) {
    sum += x;
    sumSquares += x * x;
    ++n;
  }
  double mean() const { return n ? sum / double(n) : 0.0; }
  // Sample standard deviation (n − 1); 0 below two values.
  double std() const {
    if (n < 2) return 0.0;
    const double m = mean();
    return std::sqrt(std::max(0.0, (sumSquares - double(n) * m * m) / double(n - 1)));
  }
};

void checkDraws(const AverageCaseOptions& o) {
  if (o.draws < 1)
    throw InvalidArgument("average-case sharpness needs at least 1 draw, got " +
                          std::to_string(o.draws));
}

LossAccuracy finiteLoss(const LossAccuracy& value, const std::string& where) {
  if (!std::isfinite(value.loss))
    throw NumericalError("the loss at weights perturbed " + where +
                         " is not finite: choose a smaller radius");
  return value;
}

}  // namespace

at::Tensor gaussianDraw(int64_t count, uint64_t seed, int64_t k, const at::TensorOptions& like) {
  auto gen = at::detail::createCPUGenerator(seed + uint64_t(k));
  return torch::randn({count}, gen, torch::kFloat64).to(like);
}

GaussianSharpness gaussianSharpness(training::Model& model, const training::Dataset& data,
                                    double sigma, const AverageCaseOptions& o,
                                    const JobControl& control) {
  checkDraws(o);
  if (!(sigma >= 0) || !std::isfinite(sigma))
    throw InvalidArgument("the Gaussian perturbation's sigma must be at least 0 and finite, got " +
                          std::to_string(sigma));
  PerturbationScope scope(model);
  const auto base = evaluateLoss(model, data, o.batchSize, o.loss, control);
  if (!std::isfinite(base.loss))
    throw NumericalError("the loss of " + model.source() +
                         " is not finite (NaN or inf) at its own weights");
  Moments increase, accuracy;
  const int64_t n = scope.origin().numel();
  for (int64_t k = 0; k < o.draws; ++k) {
    control.throwIfCancelled();
    scope.moveTo(gaussianDraw(n, o.seed, k, scope.origin().options()) * sigma);
    const auto value = finiteLoss(evaluateLoss(model, data, o.batchSize, o.loss, control),
                                  "by N(0, sigma^2) with sigma " + std::to_string(sigma));
    increase.add(value.loss - base.loss);
    accuracy.add(value.accuracy);
    ProgressEvent event;
    event.fraction = double(k + 1) / double(o.draws);
    event.stage = "gaussian sigma=" + std::to_string(sigma);
    control.report(event);
  }
  scope.restore();
  GaussianSharpness out;
  out.sigma = sigma;
  out.baseLoss = base.loss;
  out.baseAccuracy = base.accuracy;
  out.increase = increase.mean();
  out.increaseStderr = increase.std() / std::sqrt(double(o.draws));
  out.accuracy = accuracy.mean();
  out.draws = o.draws;
  return out;
}

std::vector<RandomDirectionPoint> randomDirectionProfile(training::Model& model,
                                                         const training::Dataset& data,
                                                         const std::vector<double>& radii,
                                                         const AverageCaseOptions& o,
                                                         const JobControl& control) {
  checkDraws(o);
  for (double rho : radii)
    if (!(rho >= 0) || !std::isfinite(rho))
      throw InvalidArgument("the random-direction radii must be at least 0 and finite, got " +
                            std::to_string(rho));
  PerturbationScope scope(model);
  const auto base = evaluateLoss(model, data, o.batchSize, o.loss, control);
  std::vector<Moments> loss(radii.size()), accuracy(radii.size());
  for (int64_t k = 0; k < o.draws; ++k) {
    // One direction per draw for every radius: the profile's points share their draws. It is
    // normalised against the weights at the origin.
    scope.restore();
    auto direction = randomDirections(model, 1, o.seed + uint64_t(k)).directions.front().parameters;
    direction = direction.to(scope.origin().options());
    for (size_t r = 0; r < radii.size(); ++r) {
      control.throwIfCancelled();
      scope.moveTo(direction * radii[r]);
      const auto value =
          finiteLoss(evaluateLoss(model, data, o.batchSize, o.loss, control),
                     "along a filter-normalised direction at radius " + std::to_string(radii[r]));
      loss[r].add(value.loss);
      accuracy[r].add(value.accuracy);
      ProgressEvent event;
      event.fraction = double(k * int64_t(radii.size()) + int64_t(r) + 1) /
                       double(o.draws * int64_t(radii.size()));
      event.stage = "random directions";
      control.report(event);
    }
  }
  scope.restore();
  std::vector<RandomDirectionPoint> out;
  for (size_t r = 0; r < radii.size(); ++r)
    out.push_back({radii[r], loss[r].mean(), loss[r].std(), accuracy[r].mean(), accuracy[r].std(),
                   loss[r].mean() - base.loss});
  return out;
}

}  // namespace flatland::analysis
