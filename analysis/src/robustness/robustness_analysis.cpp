#include "flatland/analysis/robustness_analysis.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "flatland/analysis/lanczos.h"
#include "flatland/errors.h"
#include "flatland/training/project_schema.h"

namespace flatland::analysis {

using training::Array;
using training::Node;

void validateRobustnessSettings(const RobustnessSettings& s, const training::Dataset& data) {
  if (s.attacks.empty() != s.eps.empty())
    throw InvalidArgument("give both the attacks and their radii (--attack and --eps), or neither");
  for (double eps : s.eps)
    if (!(eps > 0) || !std::isfinite(eps))
      throw InvalidArgument("every attack radius eps must be positive");
  if (s.pgdSteps < 1 || !(s.pgdStepFraction > 0) || s.restarts < 1 || s.batchSize < 1)
    throw InvalidArgument(
        "PGD needs at least one step, a positive step size, one try and a positive batch size");
  InputSpace(data, s.units, s.clamp);  // throws for pixel units without a pixel scale
  if (s.inputCurvature && s.curvatureSamples < 1)
    throw InvalidArgument("input curvature needs at least one sample (--curvature-samples)");
  if (s.surface && (s.surface->sample < 0 || s.surface->sample >= data.size()))
    throw InvalidArgument("the surface sample " + std::to_string(s.surface->sample) +
                          " is outside the data (0 to " + std::to_string(data.size() - 1) + ")");
}

RobustnessReport runRobustnessAnalysis(training::Model& model, const training::Dataset& data,
                                       const RobustnessSettings& s, const JobControl& control) {
  validateRobustnessSettings(s, data);
  const auto start = std::chrono::steady_clock::now();
  const InputSpace space(data, s.units, s.clamp);
  RobustnessReport report;
  report.units = toString(s.units);
  report.clamped = space.clamps();
  report.classNames = data.classNames;
  report.numClasses = data.numClasses;

  // Progress: attacks take most of the time; the other parts get a fixed share each.
  const double parts =
      1.0 + (s.inputCurvature ? 1 : 0) + (s.corruptions ? 1 : 0) + (s.surface ? 0.2 : 0);
  double begin = 0;
  auto next = [&](double share) {
    auto sub = subJob(control, begin / parts, share / parts, 0);
    begin += share;
    return sub;
  };

  std::vector<AttackOptions> attacks;
  for (auto kind : s.attacks)
    for (double eps : s.eps) {
      AttackOptions o;
      o.kind = kind;
      o.eps = eps;
      o.steps = s.pgdSteps;
      o.stepFraction = s.pgdStepFraction;
      o.randomStart = s.randomStart;
      o.restarts = s.restarts;
      o.seed = s.seed;
      attacks.push_back(o);
    }
  report.robust = robustAccuracy(model, data, space, attacks, s.batchSize, next(1.0));
  if (s.inputCurvature) {
    auto options = s.curvature;
    options.seed = s.seed;
    report.curvature =
        inputCurvature(model, data.first(s.curvatureSamples), space, options, next(1.0));
  }
  if (s.corruptions)
    report.corruptions = corruptionAccuracy(model, data, space, s.batchSize, s.seed, next(1.0));
  if (s.surface)
    report.surface = inputSurface(model, data, space, *s.surface, s.batchSize, next(0.2));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

CurvatureSummary summarize(const std::vector<double>& values, const InputCurvature& c,
                           int64_t numClasses) {
  CurvatureSummary out;
  auto mean = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return v.empty() ? std::nan("") : sum / double(v.size());
  };
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  out.mean = mean(values);
  const size_t n = sorted.size();
  out.median = n == 0  ? std::nan("")
               : n % 2 ? sorted[n / 2]
                       : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  std::vector<std::vector<double>> perClass(size_t(std::max<int64_t>(numClasses, 0)));
  std::vector<double> correct, wrong;
  for (size_t i = 0; i < values.size(); ++i) {
    if (c.labels[i] >= 0 && c.labels[i] < numClasses)
      perClass[size_t(c.labels[i])].push_back(values[i]);
    (c.labels[i] == c.predictions[i] ? correct : wrong).push_back(values[i]);
  }
  for (const auto& v : perClass) out.perClassMean.push_back(mean(v));
  out.correctMean = mean(correct);
  out.wrongMean = mean(wrong);
  out.correct = int64_t(correct.size());
  out.wrong = int64_t(wrong.size());
  return out;
}

namespace {

Array matrix(const std::vector<std::vector<double>>& rows) {
  std::vector<double> flat;
  const size_t width = rows.empty() ? 0 : rows.front().size();
  for (const auto& row : rows) flat.insert(flat.end(), row.begin(), row.end());
  return Array::f64(std::move(flat), {int64_t(rows.size()), int64_t(width)});
}

Node attacksNode(const RobustAccuracy& robust) {
  Node attacks;
  for (const auto& r : robust.attacks) {
    auto& group = attacks.groups[attackName(r.kind)];
    group.attributes[schema::kNorm] = attackNorm(r.kind);
    auto append = [&](const char* key, double value) {
      auto& array = group.datasets[key];
      auto values = array.size() ? array.asDoubles() : std::vector<double>{};
      values.push_back(value);
      array = Array::f64(values, {int64_t(values.size())});
    };
    append(schema::kEps, r.eps);
    append(schema::kAccuracy, r.accuracy);
    append(schema::kLoss, r.loss);
    auto& perClass = group.datasets[schema::kPerClassAccuracy];
    auto values = perClass.size() ? perClass.asDoubles() : std::vector<double>{};
    values.insert(values.end(), r.perClassAccuracy.begin(), r.perClassAccuracy.end());
    const auto classes = int64_t(r.perClassAccuracy.size());
    perClass = Array::f64(values, {classes ? int64_t(values.size()) / classes : 0, classes});
  }
  return attacks;
}

Node curvatureNode(const InputCurvature& c, int64_t numClasses) {
  Node node;
  const auto k = int64_t(c.lambdaMax.size());
  node.datasets[schema::kLambdaMax] = Array::f64(c.lambdaMax, {k});
  node.datasets[schema::kCure] = Array::f64(c.cure, {k});
  node.datasets[schema::kLoss] = Array::f64(c.loss, {k});
  node.datasets[schema::kLabels] = Array::i64(c.labels, {k});
  node.datasets[schema::kPredictions] = Array::i64(c.predictions, {k});
  node.datasets[schema::kLanczosSteps] = Array::i64(c.steps, {k});
  node.datasets[schema::kConverged] = Array::i64(c.converged, {k});
  node.attributes[schema::kCureStep] = c.cureStep;
  node.attributes[schema::kHvpCount] = c.products;
  const auto lambda = summarize(c.lambdaMax, c, numClasses);
  const auto cure = summarize(c.cure, c, numClasses);
  node.attributes[schema::kLambdaMaxMean] = lambda.mean;
  node.attributes[schema::kLambdaMaxMedian] = lambda.median;
  node.attributes[schema::kLambdaMaxCorrectMean] = lambda.correctMean;
  node.attributes[schema::kLambdaMaxWrongMean] = lambda.wrongMean;
  node.attributes[schema::kCureMean] = cure.mean;
  node.attributes[schema::kCureMedian] = cure.median;
  node.datasets[schema::kLambdaMaxPerClassMean] =
      Array::f64(lambda.perClassMean, {int64_t(lambda.perClassMean.size())});
  node.datasets[schema::kCurePerClassMean] =
      Array::f64(cure.perClassMean, {int64_t(cure.perClassMean.size())});
  return node;
}

Node corruptionsNode(const CorruptionAccuracy& c) {
  Node node;
  node.attributes[schema::kNames] = c.names;
  node.attributes[schema::kMeanAccuracy] = c.meanAccuracy;
  node.datasets[schema::kAccuracy] = matrix(c.accuracy);
  node.datasets[schema::kLoss] = matrix(c.loss);
  std::vector<std::vector<double>> constants;
  for (const auto& name : c.names) {
    constants.emplace_back();
    for (int s = 1; s <= kCorruptionSeverities; ++s)
      constants.back().push_back(corruptionConstant(name, s));
  }
  node.datasets[schema::kSeverityConstants] = matrix(constants);
  return node;
}

Node surfaceNode(const InputSurface& s) {
  Node node;
  const auto p = int64_t(s.axis.size());
  node.attributes[schema::kSample] = s.sample;
  node.attributes[schema::kLabel] = s.label;
  node.attributes[schema::kDirectionNorm] = s.directionNorm;
  node.datasets[schema::kAxis] = Array::f64(s.axis, {p});
  node.datasets[schema::kLoss] = Array::f64(s.loss, {p, p});
  node.datasets[schema::kPredictions] = Array::i64(s.predictions, {p, p});
  node.datasets[schema::kImage] = Array::f32(s.image, s.imageShape);
  return node;
}

}  // namespace

training::Node robustnessNode(const RobustnessReport& report, const Provenance& provenance) {
  Node node;
  for (auto& [key, value] : provenance.toAttributes()) node.attributes[key] = value;
  node.attributes[schema::kUnits] = report.units;
  node.attributes[schema::kClamped] = int64_t(report.clamped);
  node.attributes[schema::kCleanAccuracy] = report.robust.cleanAccuracy;
  node.attributes[schema::kCleanLoss] = report.robust.cleanLoss;
  node.attributes[schema::kClassNames] = report.classNames;
  node.attributes[schema::kSamplesEvaluated] = report.robust.samples;
  node.attributes[schema::kSeconds] = report.seconds;
  const auto& perClass = report.robust.cleanPerClassAccuracy;
  node.datasets[schema::kCleanPerClassAccuracy] = Array::f64(perClass, {int64_t(perClass.size())});
  if (!report.robust.attacks.empty()) node.groups[schema::kAttacks] = attacksNode(report.robust);
  if (report.curvature)
    node.groups[schema::kInputCurvature] = curvatureNode(*report.curvature, report.numClasses);
  if (report.corruptions) node.groups[schema::kCorruptions] = corruptionsNode(*report.corruptions);
  if (report.surface) node.groups[schema::kInputSurface] = surfaceNode(*report.surface);
  node.attributes[schema::kComplete] = int64_t(1);
  return node;
}

}  // namespace flatland::analysis
