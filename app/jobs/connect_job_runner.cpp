// The mode-connectivity job: loads both models and the data, trains the curve, evaluates both
// paths and stores them with the bend as one analysis.
#include <nlohmann/json.hpp>

#include <torch/types.h>

#include <chrono>

#include "analysis_slot.h"
#include "connect_job.h"
#include "flatland/analysis/mode_connectivity.h"
#include "flatland/errors.h"
#include "flatland/training/model_spec.h"
#include "flatland/training/project_schema.h"
#include "job_inputs.h"
#include "job_settings.h"

namespace flatland::app {

namespace {

training::Node pathNode(const analysis::PathValues& v) {
  training::Node node;
  const auto n = int64_t(v.trainLoss.size());
  auto put = [&](const char* name, const std::vector<double>& values) {
    if (!values.empty()) node.datasets[name] = training::Array::f64(values, {n});
  };
  put(schema::kTrainLoss, v.trainLoss);
  put(schema::kTrainAccuracy, v.trainAccuracy);
  put(schema::kTestLoss, v.testLoss);
  put(schema::kTestAccuracy, v.testAccuracy);
  node.attributes[schema::kBarrier] = v.barrier;
  return node;
}

}  // namespace

ConnectJobResult runConnectJob(const ConnectJobSettings& j, const JobControl& control) {
  const auto start = std::chrono::steady_clock::now();
  if (j.to.empty()) throw InvalidArgument("--to: name the second model (a model spec)");
  auto inputs = loadInputs(j.input);
  const auto test = loadTestData(j.testData, j.input, inputs);
  auto other = training::loadModel(j.to, {inputs.data.sampleShape(), inputs.data.numClasses},
                                   inputs.device, j.input.seed);

  analysis::ConnectOptions o;
  o.curve = j.curve;
  o.epochs = j.epochs;
  o.batchSize = j.input.batchSize;
  o.learningRate = j.learningRate;
  o.momentum = j.momentum;
  o.weightDecay = j.weightDecay;
  o.points = j.points;
  o.seed = j.input.seed;

  nlohmann::json settings = nlohmann::json::object();
  settings::addStored(connectSettings(), j, settings);
  settings.update(
      nlohmann::json{{"loss", "cross_entropy"}, {"test_samples", test ? test->size() : 0}});
  const auto provenance =
      jobProvenance(schema::kKindConnectivity, j.input, inputs.device.str(), settings.dump());
  const AnalysisSlot slot(j.projectPath, schema::kKindConnectivity, j.name, provenance);
  const auto r = analysis::connectModels(*inputs.model, *other, inputs.data,
                                         test ? &*test : nullptr, o, control);

  training::Node node;
  node.attributes = provenance.toAttributes();
  node.attributes[schema::kFromModel] = j.input.model;
  node.attributes[schema::kToModel] = j.to;
  node.attributes[schema::kCurveType] = analysis::toString(j.curve);
  node.attributes[schema::kTestData] = j.testData;
  node.attributes[schema::kComplete] = int64_t(1);
  node.datasets[schema::kPathT] = training::Array::f64(r.t, {int64_t(r.t.size())});
  node.groups[schema::kLinearPath] = pathNode(r.linear);
  node.groups[schema::kCurvePath] = pathNode(r.curve);
  node.groups[schema::kCurvePath].attributes[schema::kCurveType] = analysis::toString(j.curve);
  if (!r.trainingLoss.empty())
    node.datasets[schema::kCurveLoss] =
        training::Array::f64(r.trainingLoss, {int64_t(r.trainingLoss.size())});
  if (!r.bend.groups.empty()) node.groups[schema::kBend] = r.bend;
  slot.store(node);

  ConnectJobResult out;
  out.analysisPath = slot.path();
  out.t = r.t;
  out.linearLoss = r.linear.trainLoss;
  out.curveLoss = r.curve.trainLoss;
  out.linearBarrier = r.linear.barrier;
  out.curveBarrier = r.curve.barrier;
  out.trainingLoss = r.trainingLoss;
  out.samples = inputs.data.size();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace flatland::app
