// The sharpness job: loads the model and data, runs every measure, stores kind = "sharpness".
#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>

#include "analysis_slot.h"
#include "flatland/analysis/provenance.h"
#include "flatland/errors.h"
#include "flatland/training/device.h"
#include "flatland/training/project_file.h"
#include "flatland/training/project_schema.h"
#include "job_inputs.h"
#include "job_settings.h"
#include "sharpness_job_output.h"

namespace flatland::app {

analysis::SharpnessSettings analysisSettingsOf(const SharpnessJobSettings& j) {
  analysis::SharpnessSettings s;
  s.radii = j.rho;
  s.sigmas = j.sigma;
  s.worstCase.norm = j.norm;
  s.worstCase.adaptive = j.adaptive;
  s.worstCase.eta = j.asamEta;
  s.worstCase.m = j.m;
  s.worstCase.steps = j.steps;
  s.worstCase.stepSize = j.stepSize;
  s.average.draws = j.draws;
  s.pacBayesThreshold = j.pacBayesThreshold;
  s.pacBayesIterations = j.pacBayesIterations;
  s.hessian = !j.noHessian;
  s.traceSamples = j.traceSamples;
  s.fisherRao = !j.noFisherRao;
  s.relativeFlatness = !j.noRelativeFlatness;
  s.relativeFlatnessSamples = j.relativeFlatnessSamples;
  s.batchSize = j.input.batchSize;
  s.seed = j.input.seed;
  return s;
}

SharpnessJobOutput runSharpnessAnalysisJob(const SharpnessJobSettings& j,
                                           const JobControl& control) {
  const auto start = std::chrono::steady_clock::now();
  const auto s = analysisSettingsOf(j);
  auto inputs = loadInputs(j.input);
  const auto test = loadTestData(j.testData, j.input, inputs);
  SharpnessJobOutput out;
  out.device = inputs.device.str();
  out.testSamples = test ? test->size() : 0;

  nlohmann::json settings = nlohmann::json::object();
  settings::addStored(sharpnessSettings(), j, settings);
  settings.update(
      nlohmann::json{{"loss", "cross_entropy"},
                     {"mode", "eval"},
                     {"dtype", inputs.model->dtype() == c10::kDouble ? "float64" : "float32"},
                     {"test_samples", out.testSamples}});
  const auto provenance =
      jobProvenance(schema::kKindSharpness, j.input, out.device, settings.dump());
  const AnalysisSlot slot(j.projectPath, schema::kKindSharpness, j.name, provenance);
  out.analysisPath = slot.path();
  out.report = analysis::runSharpnessAnalysis(*inputs.model, inputs.data, test ? &*test : nullptr,
                                              s, control);
  slot.store(analysis::sharpnessNode(out.report, provenance));
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

std::string runSharpnessJob(const SharpnessJobSettings& settings, const JobControl& control) {
  if (settings.projectPath.empty())
    throw InvalidArgument("choose a project file to store the sharpness analysis in");
  if (!settings.runs.empty()) return runGeneralizationJob(settings, control).analysisPath;
  return runSharpnessAnalysisJob(settings, control).analysisPath;
}

}  // namespace flatland::app
