#include "flatland/analysis/sharpness_analysis.h"

#include <torch/types.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "flatland/analysis/perturbed_loss.h"
#include "flatland/errors.h"
#include "flatland/training/project_schema.h"

namespace flatland::analysis {

namespace {

void validate(const SharpnessSettings& s, const training::Model& model,
              const training::Dataset& data) {
  if (data.size() == 0)
    throw InvalidArgument("the data set is empty: nothing to measure sharpness on");
  if (s.batchSize < 1) throw InvalidArgument("--batch-size must be at least 1");
  for (double rho : s.radii)
    if (!(rho > 0) || !std::isfinite(rho))
      throw InvalidArgument("--rho: every radius must be positive");
  for (double sigma : s.sigmas)
    if (!(sigma > 0) || !std::isfinite(sigma))
      throw InvalidArgument("--sigma: every sigma must be positive");
  if (s.average.draws < 1) throw InvalidArgument("--draws must be at least 1");
  if (s.worstCase.steps < 1) throw InvalidArgument("--steps must be at least 1");
  if (s.worstCase.m < 0 || s.worstCase.m > data.size())
    throw InvalidArgument("--m: the sub-batch must be 0 (the whole set) or 1 to " +
                          std::to_string(data.size()) + " samples, got " +
                          std::to_string(s.worstCase.m));
  if (s.pacBayesThreshold < 0) throw InvalidArgument("--pac-bayes-threshold must be at least 0");
  if (s.relativeFlatnessSamples == 1)
    throw InvalidArgument("--relative-flatness-samples must be 0 (exact) or at least 2");
  if (model.parameterCount() == 0)
    throw InvalidArgument(model.source() + " has no trainable parameters");
}

// One progress stage of the job: fractions within it map into [begin, begin + width).
JobControl stage(const JobControl& control, double begin, double width) {
  JobControl inner;
  inner.cancel = control.cancel;
  if (control.onProgress)
    inner.onProgress = [&control, begin, width](const ProgressEvent& e) {
      ProgressEvent event = e;
      event.fraction = begin + width * std::clamp(e.fraction, 0.0, 1.0);
      control.report(event);
    };
  return inner;
}

training::Array f64(std::vector<double> values) {
  const int64_t n = int64_t(values.size());
  return training::Array::f64(std::move(values), {n});
}

}  // namespace

SharpnessReport runSharpnessAnalysis(training::Model& model, const training::Dataset& data,
                                     const training::Dataset* test, const SharpnessSettings& s,
                                     const JobControl& control) {
  const auto start = std::chrono::steady_clock::now();
  validate(s, model, data);
  SharpnessReport r;
  r.parameters = model.parameterCount();
  r.samples = data.size();
  r.norm = toString(s.worstCase.norm);
  r.adaptive = s.worstCase.adaptive;
  r.m = s.worstCase.m;
  // Stage weights: rough shares of the time on a small CNN (the worst case dominates).
  const double wWorst = s.radii.empty() ? 0 : 0.45, wRandom = s.radii.empty() ? 0 : 0.1,
               wGauss = s.sigmas.empty() ? 0 : 0.1, wPac = s.pacBayesThreshold > 0 ? 0.15 : 0,
               wHessian = s.hessian ? 0.1 : 0, wRest = 0.1;
  const double total = wWorst + wRandom + wGauss + wPac + wHessian + wRest;
  double at = 0.0;
  auto next = [&](double w) {
    auto c = stage(control, at / total, w / total);
    at += w;
    return c;
  };
  {
    PerturbationScope scope(model);
    const auto base = evaluateLoss(model, data, s.batchSize, {}, control);
    if (!std::isfinite(base.loss))
      throw NumericalError("the loss of " + model.source() +
                           " is not finite (NaN or inf): the model has diverged");
    r.loss = base.loss;
    r.accuracy = base.accuracy;
    if (test) {
      const auto t = evaluateLoss(model, *test, s.batchSize, {}, control);
      r.hasTest = true;
      r.testLoss = t.loss;
      r.testAccuracy = t.accuracy;
      r.gapLoss = t.loss - base.loss;
      r.gapAccuracy = base.accuracy - t.accuracy;
    }
  }
  r.weightNorms = weightNorms(model);
  AverageCaseOptions average = s.average;
  average.batchSize = s.batchSize;
  average.seed = s.seed;
  {
    auto c = next(wWorst);
    for (size_t i = 0; i < s.radii.size(); ++i) {
      WorstCaseOptions o = s.worstCase;
      o.rho = s.radii[i];
      o.batchSize = s.batchSize;
      o.seed = s.seed;
      r.worstCase.push_back(worstCaseSharpness(
          model, data, o,
          stage(c, double(i) / double(s.radii.size()), 1.0 / double(s.radii.size()))));
    }
  }
  if (!s.radii.empty())
    r.randomProfile = randomDirectionProfile(model, data, s.radii, average, next(wRandom));
  {
    auto c = next(wGauss);
    for (size_t i = 0; i < s.sigmas.size(); ++i)
      r.gaussian.push_back(gaussianSharpness(
          model, data, s.sigmas[i], average,
          stage(c, double(i) / double(s.sigmas.size()), 1.0 / double(s.sigmas.size()))));
  }
  if (s.pacBayesThreshold > 0) {
    PacBayesOptions o;
    o.threshold = s.pacBayesThreshold;
    o.iterations = s.pacBayesIterations;
    o.average = average;
    r.pacBayes = pacBayesFlatness(model, data, o, next(wPac));
  }
  if (s.hessian) {
    // λ_max and the trace from the Hessian engine, as `flatland-cli hessian` computes them.
    HessianSettings h;
    h.topK = 1;
    h.trace = true;
    h.traceOptions.maxSamples = s.traceSamples;
    h.hessian.batchSize = s.batchSize;
    h.seed = s.seed;
    validateHessianSettings(h, model, data);
    const auto report = runHessianAnalysis(model, data, h, next(wHessian));
    r.hasHessian = true;
    r.lambdaMax = report.full.top.values.empty() ? std::nan("") : report.full.top.values.front();
    r.lambdaMaxConverged = report.full.top.converged;
    r.trace = report.full.trace.mean;
    r.traceStderr = report.full.trace.standardError;
  }
  auto rest = next(wRest);
  if (s.fisherRao) r.fisherRao = fisherRaoNorm(model, data, s.batchSize, {}, stage(rest, 0.0, 0.5));
  if (s.relativeFlatness) {
    RelativeFlatnessOptions o;
    o.samples = s.relativeFlatnessSamples;
    o.seed = s.seed;
    o.hessian.batchSize = s.batchSize;
    r.relativeFlatness = relativeFlatness(model, data, o, stage(rest, 0.5, 0.5));
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  control.report({1.0, "done", "", -1});
  return r;
}

training::Node sharpnessNode(const SharpnessReport& r, const Provenance& provenance) {
  namespace k = schema;
  training::Node node;
  node.attributes = provenance.toAttributes();
  auto& a = node.attributes;
  a[k::kComplete] = int64_t(1);
  a[k::kLoss] = r.loss;
  a[k::kAccuracy] = r.accuracy;
  a[k::kSamples] = r.samples;
  a[k::kParameters] = r.parameters;
  a[k::kPerturbationNorm] = r.norm;
  a[k::kAdaptive] = int64_t(r.adaptive);
  a[k::kSubBatch] = r.m;
  a[k::kWeightNorm] = r.weightNorms.total;
  if (r.hasHessian) {
    a[k::kLambdaMax] = r.lambdaMax;
    a[k::kTopConverged] = int64_t(r.lambdaMaxConverged);
    a[k::kTrace] = r.trace;
    a[k::kTraceStderr] = r.traceStderr;
  }
  if (r.fisherRao) a[k::kFisherRaoNorm] = r.fisherRao->norm;
  if (r.pacBayes) {
    a[k::kPacBayesSigma] = r.pacBayes->sigma;
    a[k::kPacBayesThreshold] = r.pacBayes->threshold;
    a[k::kPacBayesIncrease] = r.pacBayes->increase;
    a[k::kPacBayesBracketed] = int64_t(r.pacBayes->bracketed);
  }
  if (r.relativeFlatness) {
    a[k::kRelativeFlatness] = r.relativeFlatness->value;
    a[k::kRelativeFlatnessStderr] = r.relativeFlatness->standardError;
    a[k::kRelativeFlatnessParameter] = r.relativeFlatness->parameter;
  }
  if (r.hasTest) {
    a[k::kTestLoss] = r.testLoss;
    a[k::kTestAccuracy] = r.testAccuracy;
    a[k::kGapLoss] = r.gapLoss;
    a[k::kGapAccuracy] = r.gapAccuracy;
  }
  if (!r.worstCase.empty()) {
    std::vector<double> rho, increase, loss, accuracy;
    for (const auto& w : r.worstCase) {
      rho.push_back(w.rho);
      increase.push_back(w.sharpness);
      loss.push_back(w.perturbedLoss);
      accuracy.push_back(w.perturbedAccuracy);
    }
    auto& g = node.groups[k::kWorstCase];
    g.datasets[k::kRho] = f64(rho);
    g.datasets[k::kLossIncrease] = f64(increase);
    g.datasets[k::kLoss] = f64(loss);
    g.datasets[k::kAccuracy] = f64(accuracy);
  }
  if (!r.randomProfile.empty()) {
    std::vector<double> rho, increase, lossMean, lossStd, accMean, accStd;
    for (const auto& p : r.randomProfile) {
      rho.push_back(p.rho);
      increase.push_back(p.increase);
      lossMean.push_back(p.lossMean);
      lossStd.push_back(p.lossStd);
      accMean.push_back(p.accuracyMean);
      accStd.push_back(p.accuracyStd);
    }
    auto& g = node.groups[k::kRandomDirections];
    g.datasets[k::kRho] = f64(rho);
    g.datasets[k::kLossIncrease] = f64(increase);
    g.datasets[k::kLossMean] = f64(lossMean);
    g.datasets[k::kLossStd] = f64(lossStd);
    g.datasets[k::kAccuracyMean] = f64(accMean);
    g.datasets[k::kAccuracyStd] = f64(accStd);
  }
  if (!r.gaussian.empty()) {
    std::vector<double> sigma, increase, stderrs, accuracy;
    for (const auto& gs : r.gaussian) {
      sigma.push_back(gs.sigma);
      increase.push_back(gs.increase);
      stderrs.push_back(gs.increaseStderr);
      accuracy.push_back(gs.accuracy);
    }
    auto& g = node.groups[k::kGaussian];
    g.datasets[k::kSigma] = f64(sigma);
    g.datasets[k::kLossIncrease] = f64(increase);
    g.datasets[k::kLossIncreaseStderr] = f64(stderrs);
    g.datasets[k::kAccuracy] = f64(accuracy);
  }
  auto& norms = node.groups[k::kWeightNorms];
  norms.attributes[k::kNames] = r.weightNorms.names;
  norms.datasets[k::kNorms] = f64(r.weightNorms.norms);
  norms.datasets[k::kSizes] =
      training::Array::i64(r.weightNorms.sizes, {int64_t(r.weightNorms.sizes.size())});
  return node;
}

}  // namespace flatland::analysis
