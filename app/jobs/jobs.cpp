#include "jobs.h"

#include "analysis_slot.h"
#include "job_inputs.h"
#include "job_settings.h"

#include <nlohmann/json.hpp>

#include <torch/types.h>

#include <chrono>
#include <cstdio>
#include <map>

#include "flatland/analysis/hessian_analysis.h"
#include "flatland/analysis/layer_sensitivity.h"
#include "flatland/analysis/provenance.h"
#include "flatland/errors.h"
#include "flatland/training/device.h"
#include "flatland/training/model_spec.h"
#include "flatland/training/project_file.h"
#include "flatland/training/project_schema.h"
#include "flatland/training/quantization.h"
#include "flatland/training/trainer.h"

namespace flatland::app {

namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

LoadedInputs loadInputs(const ModelDataSettings& s) {
  LoadedInputs l;
  l.device = training::parseDevice(s.device);
  training::DataOptions options;
  options.device = l.device;
  options.dataDir = s.dataDir;
  if (s.samples > 0) options.limit = s.samples;
  l.data = training::loadDataset(s.data, options);
  l.model =
      training::loadModel(s.model, {l.data.sampleShape(), l.data.numClasses}, l.device, s.seed);
  return l;
}

std::optional<training::Dataset> loadTestData(const std::string& spec, const ModelDataSettings& s,
                                              const LoadedInputs& inputs) {
  if (spec.empty()) return std::nullopt;
  training::DataOptions options;
  options.device = inputs.device;
  options.dataDir = s.dataDir;
  if (s.samples > 0) options.limit = s.samples;
  auto test = training::loadDataset(spec, options);
  if (test.numClasses != inputs.data.numClasses || test.sampleShape() != inputs.data.sampleShape())
    throw InvalidArgument("--test-data " + spec + " does not match --data " + s.data +
                          " (samples or classes differ): give a test set of the same task");
  return test;
}

std::string runTrainJob(const training::TrainConfig& config, const std::string& projectPath,
                        const JobControl& control) {
  auto outcome = training::trainRun(config, projectPath, control);
  if (outcome.status == training::RunStatus::Diverged) throw NumericalError(outcome.message);
  if (outcome.status == training::RunStatus::Cancelled) throw Cancelled();
  char summary[160];
  std::snprintf(summary, sizeof summary, "run %s: test accuracy %.4f after %zu epochs",
                config.runName.c_str(),
                outcome.history.empty() ? 0.0 : outcome.history.back().testAccuracy,
                outcome.history.size());
  return summary;
}

QuantizeJobResult runQuantizeJob(const QuantizeJobSettings& s, const JobControl& control) {
  const auto start = std::chrono::steady_clock::now();
  auto loaded = loadInputs(s.input);
  QuantizeJobResult r;
  auto floatResult = training::evaluate(*loaded.model, loaded.data, s.input.batchSize, control);
  r.floatAccuracy = floatResult.accuracy;
  r.floatLoss = floatResult.loss;
  auto points =
      training::quantizationSweep(*loaded.model, loaded.data, s.bits, s.input.batchSize, control);
  for (auto& p : points) {
    r.bits.push_back(p.bits);
    r.perTensorLoss.push_back(p.perTensor.loss);
    r.perTensorAccuracy.push_back(p.perTensor.accuracy);
    r.perChannelLoss.push_back(p.perChannel.loss);
    r.perChannelAccuracy.push_back(p.perChannel.accuracy);
  }
  if (s.hawqAverageBits > 0) {
    std::vector<analysis::LayerTrace> traces;
    {
      analysis::HessianOptions options;
      options.batchSize = s.input.batchSize;
      analysis::HessianOperator hessian(*loaded.model, loaded.data, options, control);
      traces = analysis::layerTraces(hessian, *loaded.model, s.hawqSamples, s.input.seed, control);
    }
    auto allocation = analysis::allocateBits(*loaded.model, traces, s.hawqAverageBits);
    // Each weight tensor at its own width; a non-finite loss is a result (as in the sweep), so
    // the sweep above is stored whatever the mixed-precision model does.
    std::map<std::string, int> widthOf;
    for (size_t i = 0; i < allocation.names.size(); ++i)
      widthOf[allocation.names[i]] = allocation.bits[i];
    auto mixed = training::evaluateMixedPrecision(*loaded.model, loaded.data, widthOf,
                                                  s.input.batchSize, control);
    for (size_t i = 0; i < traces.size(); ++i) {
      r.hawqLayers.push_back(traces[i].name);
      r.hawqParameters.push_back(traces[i].parameters);
      r.hawqTraces.push_back(traces[i].trace);
      r.hawqBits.push_back(allocation.bits[i]);
    }
    r.hawqAverage = allocation.averageBits;
    r.hawqAccuracy = mixed.accuracy;
    r.hawqLoss = mixed.loss;
  }
  r.seconds = secondsSince(start);
  if (!s.projectPath.empty()) {
    auto project = training::ProjectFile::openOrCreate(s.projectPath);
    training::Node node;
    nlohmann::json stored = nlohmann::json::object();
    settings::addStored(quantizeSettings(), s, stored);
    stored["bits"] = s.bits;  // the widths themselves, not the range typed
    node.attributes =
        jobProvenance(schema::kKindQuantize, s.input, loaded.device.str(), stored.dump())
            .toAttributes();
    node.attributes[schema::kFloatTestAccuracy] = r.floatAccuracy;
    node.attributes[schema::kFloatTestLoss] = r.floatLoss;
    node.attributes[schema::kComplete] = int64_t(1);
    node.datasets[schema::kBits] = training::Array::i64(r.bits);
    auto& perTensor = node.groups[schema::kPerTensor];
    perTensor.datasets[schema::kTestLoss] = training::Array::f64(r.perTensorLoss);
    perTensor.datasets[schema::kTestAccuracy] = training::Array::f64(r.perTensorAccuracy);
    auto& perChannel = node.groups[schema::kPerChannel];
    perChannel.datasets[schema::kTestLoss] = training::Array::f64(r.perChannelLoss);
    perChannel.datasets[schema::kTestAccuracy] = training::Array::f64(r.perChannelAccuracy);
    if (!r.hawqLayers.empty()) {
      auto& hawq = node.groups[schema::kHawq];
      hawq.attributes[schema::kLayers] = r.hawqLayers;
      hawq.attributes[schema::kAverageBits] = r.hawqAverage;
      hawq.attributes[schema::kTestAccuracy] = r.hawqAccuracy;
      hawq.attributes[schema::kTestLoss] = r.hawqLoss;
      hawq.datasets[schema::kBits] = training::Array::i64(r.hawqBits);
      hawq.datasets[schema::kTrace] = training::Array::f64(r.hawqTraces);
      hawq.datasets[schema::kParameters] = training::Array::i64(r.hawqParameters);
    }
    r.analysisPath = analysis::newAnalysisPath(project, schema::kKindQuantize, s.name);
    project.put(r.analysisPath, node);
  }
  return r;
}

}  // namespace flatland::app
