#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>

#include "analysis_slot.h"
#include "flatland/analysis/provenance.h"
#include "flatland/errors.h"
#include "flatland/training/data_conditions.h"
#include "flatland/training/project_file.h"
#include "flatland/training/project_schema.h"
#include "hessian_job.h"
#include "job_inputs.h"
#include "job_settings.h"

namespace flatland::app {

analysis::HessianSettings analysisSettingsOf(const HessianJobSettings& j) {
  analysis::HessianSettings s;
  s.topK = j.topK;
  s.bottomK = j.bottomK;
  s.eigen.tol = j.tolerance;
  s.trace = j.trace;
  s.traceOptions.maxSamples = j.traceSamples;
  s.traceOptions.targetRelStderr = j.traceRelStderr;
  s.traceOptions.targetStderr = j.traceStderr;
  if (j.hutchpp) s.traceOptions.method = analysis::TraceOptions::Method::HutchPlusPlus;
  s.density = j.density;
  s.densityOptions.steps = j.densitySteps;
  s.densityOptions.vectors = j.densityVectors;
  s.densityOptions.gridPoints = j.gridPoints;
  s.perClass = j.perClass;
  s.batchSweep = j.batchSweep;
  s.sweepRepeats = j.sweepRepeats;
  s.hessian.batchSize = j.input.batchSize;
  s.hessian.maxCachedSamples = j.maxCached;
  if (j.curvature == Curvature::Ggn)
    s.hessian.curvature = analysis::HessianOptions::Curvature::GaussNewton;
  s.seed = j.input.seed;
  return s;
}

HessianJobOutput runHessianAnalysisJob(const HessianJobSettings& j, const JobControl& control,
                                       analysis::WorkerGroup* group) {
  const auto start = std::chrono::steady_clock::now();
  auto s = analysisSettingsOf(j);
  // Under mpirun the density's start vectors are shared out; the rest runs on the root.
  s.densityOptions.workers = group;
  auto inputs = loadInputs(j.input);
  if (j.imbalance > 1.0)
    inputs.data = training::makeLongTail(inputs.data, j.imbalance, j.input.seed);
  analysis::validateHessianSettings(s, *inputs.model, inputs.data);
  HessianJobOutput out;
  out.device = inputs.device.str();
  if (group && !group->isRoot()) {
    out.report = analysis::runHessianAnalysis(*inputs.model, inputs.data, s, control);
    return out;
  }

  nlohmann::json settings = nlohmann::json::object();
  settings::addStored(hessianSettings(), j, settings);
  settings.update(
      nlohmann::json{{"top_k", s.topK},
                     {"bottom_k", s.bottomK},
                     {"tol", s.eigen.tol},
                     {"ncv", s.eigen.ncv},
                     {"max_restarts", s.eigen.maxRestarts},
                     {"trace", s.trace},
                     {"trace_samples", j.traceSamples},
                     {"trace_min_samples", s.traceOptions.minSamples},
                     {"trace_rel_stderr", j.traceRelStderr},
                     {"trace_stderr", j.traceStderr},
                     {"density", s.density},
                     {"density_steps", j.densitySteps},
                     {"density_vectors", j.densityVectors},
                     {"grid_points", j.gridPoints},
                     {"sigma_squared", s.densityOptions.sigmaSquared},
                     {"per_class", s.perClass},
                     {"batch_sweep", s.batchSweep},
                     {"sweep_repeats", s.sweepRepeats},
                     {"batch_size", s.hessian.batchSize},
                     {"max_cached", s.hessian.maxCachedSamples},
                     {"loss", "cross_entropy"},
                     {"curvature", curvatureNames().at(size_t(j.curvature))},
                     {"trace_method", j.hutchpp ? "hutch++" : "hutchinson"},
                     {"mode", "eval"},
                     {"seed", s.seed},
                     {"samples", j.input.samples},
                     {"dtype", inputs.model->dtype() == c10::kDouble ? "float64" : "float32"},
                     {"ranks", group ? group->size() : 1}});
  const auto provenance = jobProvenance(schema::kKindHessian, j.input, out.device, settings.dump());
  const AnalysisSlot slot(j.projectPath, schema::kKindHessian, j.name, provenance);
  out.analysisPath = slot.path();
  out.report = analysis::runHessianAnalysis(*inputs.model, inputs.data, s, control);
  slot.store(analysis::hessianNode(out.report, provenance));
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

std::string runHessianJob(const HessianJobSettings& settings, const JobControl& control) {
  if (settings.projectPath.empty())
    throw InvalidArgument("choose a project file to store the Hessian analysis in");
  return runHessianAnalysisJob(settings, control).analysisPath;
}

}  // namespace flatland::app
