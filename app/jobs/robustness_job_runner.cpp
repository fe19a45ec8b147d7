#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <optional>

#include "analysis_slot.h"
#include "flatland/analysis/provenance.h"
#include "flatland/errors.h"
#include "flatland/training/project_file.h"
#include "flatland/training/project_schema.h"
#include "job_inputs.h"
#include "job_settings.h"
#include "robustness_job.h"

namespace flatland::app {

analysis::RobustnessSettings robustnessSettingsOf(const RobustnessJobSettings& j) {
  analysis::RobustnessSettings s;
  if (j.attacks == "none") {
    s.attacks.clear();
    s.eps.clear();
  } else {
    s.attacks = analysis::parseAttackList(j.attacks);
    s.eps = analysis::parsePositiveList(j.eps, "radii (--eps)");
  }
  s.pgdSteps = j.pgdSteps;
  s.pgdStepFraction = j.pgdStep;
  s.randomStart = !j.noRandomStart;
  s.restarts = j.restarts;
  s.units = j.epsUnits;
  s.clamp = !j.noClamp;
  s.batchSize = j.input.batchSize;
  s.inputCurvature = j.inputCurvature;
  s.curvatureSamples = j.curvatureSamples;
  s.curvature.cureStep = j.cureStep;
  s.curvature.batchSize = std::min<int64_t>(j.input.batchSize, 100);
  s.corruptions = j.corruptions;
  if (j.surfaceSample >= 0) {
    analysis::InputSurfaceOptions surface;
    surface.sample = j.surfaceSample;
    const double largest = s.eps.empty() ? 0.1 : *std::max_element(s.eps.begin(), s.eps.end());
    surface.radius = j.surfaceRadius > 0 ? j.surfaceRadius : 2 * largest;
    surface.points = j.surfacePoints;
    surface.seed = j.input.seed;
    s.surface = surface;
  }
  s.seed = j.input.seed;
  return s;
}

RobustnessJobOutput runRobustnessAnalysisJob(const RobustnessJobSettings& j,
                                             const JobControl& control) {
  const auto start = std::chrono::steady_clock::now();
  const auto s = robustnessSettingsOf(j);
  auto inputs = loadInputs(j.input);
  analysis::validateRobustnessSettings(s, inputs.data);
  RobustnessJobOutput out;
  out.device = inputs.device.str();

  nlohmann::json settings = nlohmann::json::object();
  settings::addStored(robustnessSettings(), j, settings);
  settings["dtype"] = inputs.model->dtype() == c10::kDouble ? "float64" : "float32";
  const auto provenance =
      jobProvenance(schema::kKindRobustness, j.input, out.device, settings.dump());
  const AnalysisSlot slot(j.projectPath, schema::kKindRobustness, j.name, provenance);
  out.analysisPath = slot.path();
  out.report = analysis::runRobustnessAnalysis(*inputs.model, inputs.data, s, control);
  slot.store(analysis::robustnessNode(out.report, provenance));
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

std::string runRobustnessJob(const RobustnessJobSettings& settings, const JobControl& control) {
  if (settings.projectPath.empty())
    throw InvalidArgument("choose a project file to store the robustness analysis in");
  return runRobustnessAnalysisJob(settings, control).analysisPath;
}

}  // namespace flatland::app
