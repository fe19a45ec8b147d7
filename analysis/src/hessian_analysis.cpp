// The Hessian job: full-data spectrum, per-class spectra, mini-batch sweep, and its storage.
#include "flatland/analysis/hessian_analysis.h"

#include <torch/types.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

#include "flatland/errors.h"
#include "flatland/training/project_schema.h"

namespace flatland::analysis {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Rough product counts of each stage, used only to share out the progress bar.
double expectedProducts(const HessianSettings& s, int64_t n) {
  double total = 0.0;
  auto lanczos = [&](int64_t k) {
    return k > 0 ? 3.0 * double(std::max<int64_t>(2 * k + 1, k + 10)) : 0.0;
  };
  total += lanczos(s.topK) + 2.0 * lanczos(s.bottomK);
  if (s.trace) total += double(s.traceOptions.maxSamples) / 2.0;
  if (s.density) total += double(std::min(s.densityOptions.steps, n) * s.densityOptions.vectors);
  return std::max(total, 1.0);
}

}  // namespace

void validateHessianSettings(const HessianSettings& s, const training::Model& model,
                             const training::Dataset& data) {
  const int64_t p = model.parameterCount();
  if (p == 0)
    throw InvalidArgument("model " + model.source() +
                          " has no trainable parameters (none requires grad): there is no Hessian "
                          "to analyse");
  if (data.size() == 0) throw InvalidArgument("the data set " + data.spec + " is empty");
  for (auto [k, flag] : {std::pair{s.topK, "--top-k"}, std::pair{s.bottomK, "--bottom-k"}}) {
    if (k < 0) throw InvalidArgument(std::string(flag) + " must not be negative");
    if (k >= p)
      throw InvalidArgument(std::string(flag) + " " + std::to_string(k) +
                            " is too large: the model has " + std::to_string(p) +
                            " trainable parameters, so at most " + std::to_string(p - 1) +
                            " eigenvalues can be computed from each end by Lanczos");
  }
  if (!(s.eigen.tol > 0.0)) throw InvalidArgument("--tol must be positive");
  if (s.hessian.batchSize <= 0) throw InvalidArgument("--batch-size must be positive");
  if (s.trace && s.traceOptions.maxSamples < 2)
    throw InvalidArgument("the trace needs a budget of at least 2 samples for a standard error");
  if (s.density && (s.densityOptions.steps < 1 || s.densityOptions.vectors < 1))
    throw InvalidArgument("the density needs at least 1 Lanczos step and 1 start vector");
  for (int64_t b : s.batchSweep)
    if (b < 1 || b > data.size())
      throw InvalidArgument("batch size " + std::to_string(b) +
                            " of the batch sweep must be between "
                            "1 and the number of samples (" +
                            std::to_string(data.size()) + ")");
  if (!s.batchSweep.empty() && s.sweepRepeats < 1)
    throw InvalidArgument("the batch sweep needs at least one batch per size");
  if (s.perClass) {
    const auto counts = data.classCounts();
    for (size_t c = 0; c < counts.size(); ++c)
      if (counts[c] == 0)
        throw InvalidArgument("class " + std::to_string(c) + " (" +
                              (c < data.classNames.size() ? data.classNames[c] : std::string("?")) +
                              ") has no samples in " + data.spec +
                              ": its Hessian is undefined; use more samples or drop --per-class");
  }
}

SpectrumReport analyzeSpectrum(const SymmetricOperator& op, const HessianSettings& s,
                               const JobControl& control) {
  const auto start = Clock::now();
  SpectrumReport report;
  const int64_t n = op.rows();
  const double expected = expectedProducts(s, n);
  double done = 0.0;
  // Each stage gets the share of the progress bar its expected products take.
  auto stage = [&](double share) {
    auto sub = subJob(control, std::min(done / expected, 1.0), std::min(share / expected, 1.0),
                      report.hvpCount);
    done += share;
    return sub;
  };
  auto lanczosShare = [](int64_t k) { return 3.0 * double(std::max<int64_t>(2 * k + 1, k + 10)); };
  // A rank other than the root only helps with the density's start vectors; the root does the rest.
  const auto* group = s.densityOptions.workers;
  if (group && !group->isRoot()) {
    if (s.density) {
      auto options = s.densityOptions;
      options.seed = s.seed + 3;
      report.density = slqDensity(op, options, control, "density");
      report.hvpCount = report.density.products;
    }
    report.seconds = secondsSince(start);
    return report;
  }
  if (s.topK > 0) {
    auto options = s.eigen;
    options.seed = s.seed;
    report.top = lanczosEigen(op, s.topK, SpectrumEnd::Largest, options,
                              stage(lanczosShare(s.topK)), "top eigenvalues");
    report.hvpCount += report.top.products;
  }
  if (s.bottomK > 0) {
    auto options = s.eigen;
    options.seed = s.seed + 1;
    report.bottom = lanczosEigen(op, s.bottomK, SpectrumEnd::Smallest, options,
                                 stage(2.0 * lanczosShare(s.bottomK)), "bottom eigenvalues");
    report.hvpCount += report.bottom.products;
  }
  if (s.trace) {
    auto options = s.traceOptions;
    options.seed = s.seed + 2;
    report.trace = estimateTrace(op, options, stage(double(options.maxSamples) / 2.0), "trace");
    report.hasTrace = true;
    report.hvpCount += report.trace.samples;
  }
  if (s.density) {
    auto options = s.densityOptions;
    options.seed = s.seed + 3;
    report.density = slqDensity(
        op, options, stage(double(std::min(options.steps, n) * options.vectors)), "density");
    report.hasDensity = true;
    report.hvpCount += report.density.products;
  }
  report.seconds = secondsSince(start);
  return report;
}

BatchSweepReport batchSweep(training::Model& model, const training::Dataset& data,
                            const HessianSettings& s, const JobControl& control) {
  const auto start = Clock::now();
  BatchSweepReport sweep;
  sweep.batchSizes = s.batchSweep;
  std::mt19937_64 rng(s.seed + 4);
  std::vector<int64_t> order(static_cast<size_t>(data.size()));
  double totalWork = 0.0, doneWork = 0.0;
  for (int64_t b : s.batchSweep) totalWork += double(b * s.sweepRepeats);
  for (int64_t b : s.batchSweep) {
    std::vector<double> values;
    for (int64_t r = 0; r < s.sweepRepeats; ++r) {
      control.throwIfCancelled();
      for (size_t i = 0; i < order.size(); ++i) order[i] = int64_t(i);
      std::shuffle(order.begin(), order.end(), rng);
      auto indices =
          torch::tensor(std::vector<int64_t>(order.begin(), order.begin() + b), torch::kInt64);
      auto batch = data.select(indices.to(data.labels.device()));
      HessianOptions options = s.hessian;
      options.storage = HessianOptions::Storage::Cached;  // a batch always fits
      HessianOperator op(model, batch, options, control);
      EigenOptions eigen = s.eigen;
      eigen.vectors = false;
      eigen.seed = s.seed + 5 + uint64_t(r);
      char label[64];
      std::snprintf(label, sizeof label, "batch sweep B=%lld", static_cast<long long>(b));
      auto result = lanczosEigen(
          op, 1, SpectrumEnd::Largest, eigen,
          subJob(control, doneWork / totalWork, double(b) / totalWork, sweep.hvpCount), label);
      doneWork += double(b);
      sweep.hvpCount += result.products;
      values.push_back(result.values.empty() ? std::nan("") : result.values.front());
    }
    double mean = 0.0;
    for (double v : values) mean += v / double(values.size());
    double var = 0.0;
    for (double v : values) var += (v - mean) * (v - mean);
    sweep.mean.push_back(mean);
    sweep.std.push_back(values.size() > 1 ? std::sqrt(var / double(values.size() - 1)) : 0.0);
    sweep.lambdaMax.push_back(std::move(values));
  }
  sweep.seconds = secondsSince(start);
  return sweep;
}

HessianReport runHessianAnalysis(training::Model& model, const training::Dataset& data,
                                 const HessianSettings& s, const JobControl& control) {
  validateHessianSettings(s, model, data);
  const auto start = Clock::now();
  HessianReport report;
  report.parameters = model.parameterCount();
  report.curvature =
      s.hessian.curvature == HessianOptions::Curvature::GaussNewton ? "ggn" : "hessian";
  report.traceMethod =
      s.traceOptions.method == TraceOptions::Method::HutchPlusPlus ? "hutch++" : "hutchinson";
  // Share of the progress bar: the full set 1, per-class spectra about 1 in all (their sets add
  // up to the full set), the sweep by its samples relative to the full set.
  const double n = double(data.size());
  double sweepWork = 0.0;
  for (int64_t b : s.batchSweep) sweepWork += double(b * s.sweepRepeats) / n;
  const double total = 1.0 + (s.perClass ? 1.0 : 0.0) + std::min(sweepWork, 1.0);
  double done = 0.0;
  {
    HessianOperator op(model, data, s.hessian, control);
    report.full = analyzeSpectrum(op, s, subJob(control, 0.0, 1.0 / total, 0));
    report.full.samples = op.samples();
    report.full.loss = op.loss();
    report.hvpCount += report.full.hvpCount;
    done += 1.0;
  }
  if (s.perClass) {
    const auto counts = data.classCounts();
    for (int64_t c = 0; c < data.numClasses; ++c) {
      const double share = double(counts[size_t(c)]) / n;
      auto classData = data.ofClass(c);
      HessianOperator op(model, classData, s.hessian, control);
      ClassSpectrum spectrum;
      spectrum.classIndex = c;
      spectrum.className = size_t(c) < data.classNames.size() ? data.classNames[size_t(c)] : "";
      spectrum.count = counts[size_t(c)];
      spectrum.spectrum =
          analyzeSpectrum(op, s, subJob(control, done / total, share / total, report.hvpCount));
      spectrum.spectrum.samples = op.samples();
      spectrum.spectrum.loss = op.loss();
      report.hvpCount += spectrum.spectrum.hvpCount;
      report.perClass.push_back(std::move(spectrum));
      done += share;
    }
  }
  const bool helper = s.densityOptions.workers && !s.densityOptions.workers->isRoot();
  if (!s.batchSweep.empty() && !helper) {
    report.sweep = batchSweep(model, data, s,
                              subJob(control, done / total, 1.0 - done / total, report.hvpCount));
    if (!report.full.top.values.empty()) {
      report.sweep.lambdaMaxFull = report.full.top.values.front();
    } else {
      HessianOperator op(model, data, s.hessian, control);
      EigenOptions eigen = s.eigen;
      eigen.vectors = false;
      auto top = lanczosEigen(op, 1, SpectrumEnd::Largest, eigen, control, "full-data lambda_max");
      report.sweep.lambdaMaxFull = top.values.empty() ? std::nan("") : top.values.front();
      report.sweep.hvpCount += top.products;
    }
    report.hvpCount += report.sweep.hvpCount;
  }
  report.seconds = secondsSince(start);
  ProgressEvent finished;
  finished.fraction = 1.0;
  finished.stage = "done";
  finished.hvpCount = report.hvpCount;
  control.report(finished);
  return report;
}

namespace {

using training::Array;
using training::Node;

Array matrix32(const std::vector<double>& values, int64_t rows, int64_t cols) {
  return Array::f32(std::vector<float>(values.begin(), values.end()), {rows, cols});
}

Array ragged(const std::vector<std::vector<double>>& rows) {
  // Rows shorter than the longest (early Lanczos breakdown) are padded with NaN nodes and zero
  // weights, which contribute nothing to a density.
  size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.size());
  std::vector<double> flat(rows.size() * width, std::nan(""));
  for (size_t i = 0; i < rows.size(); ++i)
    std::copy(rows[i].begin(), rows[i].end(), flat.begin() + std::ptrdiff_t(i * width));
  return Array::f64(std::move(flat), {int64_t(rows.size()), int64_t(width)});
}

void putSpectrum(Node& node, const SpectrumReport& r, int64_t parameters) {
  auto eigen = [&](const EigenResult& e, const char* valuesKey, const char* vectorsKey) {
    const int64_t k = int64_t(e.values.size());
    node.datasets[valuesKey] = Array::f64(e.values, {k});
    if (!e.vectors.empty()) node.datasets[vectorsKey] = matrix32(e.vectors, k, parameters);
  };
  bool converged = true;
  if (!r.top.values.empty() || r.top.products > 0) {
    eigen(r.top, schema::kTopEigenvalues, schema::kTopEigenvectors);
    if (!r.top.values.empty()) node.attributes[schema::kLambdaMax] = r.top.values.front();
    node.attributes[schema::kTopConverged] = int64_t(r.top.converged);
    converged = converged && r.top.converged;
  }
  if (!r.bottom.values.empty() || r.bottom.products > 0) {
    eigen(r.bottom, schema::kBottomEigenvalues, schema::kBottomEigenvectors);
    if (!r.bottom.values.empty()) node.attributes[schema::kLambdaMin] = r.bottom.values.front();
    node.attributes[schema::kBottomConverged] = int64_t(r.bottom.converged);
    converged = converged && r.bottom.converged;
  }
  if (r.hasTrace) {
    node.attributes[schema::kTrace] = r.trace.mean;
    node.attributes[schema::kTraceStderr] = r.trace.standardError;
    node.attributes[schema::kTraceSamples] = r.trace.samples;
    node.datasets[schema::kTraceSamples] =
        Array::f64(r.trace.values, {int64_t(r.trace.values.size())});
  }
  if (r.hasDensity) {
    Node density;
    density.datasets[schema::kNodes] = ragged(r.density.nodes);
    std::vector<std::vector<double>> weights = r.density.weights;
    size_t width = 0;
    for (const auto& w : weights) width = std::max(width, w.size());
    for (auto& w : weights) w.resize(width, 0.0);
    density.datasets[schema::kWeights] = ragged(weights);
    density.datasets[schema::kGrid] = Array::f64(r.density.grid, {int64_t(r.density.grid.size())});
    density.datasets[schema::kValues] =
        Array::f64(r.density.values, {int64_t(r.density.values.size())});
    density.attributes[schema::kSigma2] = r.density.kernelVariance;
    node.groups[schema::kDensity] = std::move(density);
  }
  node.attributes[schema::kConverged] = int64_t(converged);
  node.attributes[schema::kHvpCount] = r.hvpCount;
  node.attributes[schema::kSeconds] = r.seconds;
  node.attributes[schema::kLoss] = r.loss;
  node.attributes[schema::kClassSamples] = r.samples;
}

}  // namespace

training::Node hessianNode(const HessianReport& report, const Provenance& provenance) {
  Node node;
  putSpectrum(node, report.full, report.parameters);
  node.attributes.erase(schema::kClassSamples);
  for (auto& [key, value] : provenance.toAttributes()) node.attributes[key] = value;
  node.attributes[schema::kParameters] = report.parameters;
  node.attributes[schema::kCurvature] = report.curvature;
  if (report.full.hasTrace) node.attributes[schema::kTraceMethod] = report.traceMethod;
  node.attributes[schema::kHvpCount] = report.hvpCount;
  node.attributes[schema::kSeconds] = report.seconds;
  if (!report.perClass.empty()) {
    Node perClass;
    for (const auto& c : report.perClass) {
      Node group;
      putSpectrum(group, c.spectrum, report.parameters);
      group.attributes.erase(schema::kClassSamples);
      group.attributes[schema::kClassCount] = c.count;
      group.attributes[schema::kClassName] = c.className;
      char name[32];
      std::snprintf(name, sizeof name, "%s%02lld", schema::kClassGroupPrefix,
                    static_cast<long long>(c.classIndex));
      perClass.groups[name] = std::move(group);
    }
    node.groups[schema::kPerClass] = std::move(perClass);
  }
  if (!report.sweep.batchSizes.empty()) {
    Node sweep;
    const auto& s = report.sweep;
    const int64_t sizes = int64_t(s.batchSizes.size());
    sweep.datasets[schema::kBatchSizes] = Array::i64(s.batchSizes, {sizes});
    sweep.datasets[schema::kLambdaMaxMean] = Array::f64(s.mean, {sizes});
    sweep.datasets[schema::kLambdaMaxStd] = Array::f64(s.std, {sizes});
    sweep.datasets[schema::kLambdaMaxSamples] = ragged(s.lambdaMax);
    sweep.attributes[schema::kLambdaMaxFull] = s.lambdaMaxFull;
    sweep.attributes[schema::kHvpCount] = s.hvpCount;
    sweep.attributes[schema::kSeconds] = s.seconds;
    node.groups[schema::kBatchSweep] = std::move(sweep);
  }
  node.attributes[schema::kComplete] = int64_t(1);
  return node;
}

}  // namespace flatland::analysis
