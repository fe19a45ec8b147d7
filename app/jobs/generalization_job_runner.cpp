// The generalisation table: a sharpness analysis of each run, then every measure ranked against
// the generalisation gaps by Kendall's τ.
#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <sstream>

#include "flatland/analysis/lanczos.h"
#include "flatland/analysis/provenance.h"
#include "flatland/errors.h"
#include "flatland/training/project_file.h"
#include "flatland/training/project_schema.h"
#include "flatland/training/specs.h"
#include "job_settings.h"
#include "sharpness_job_output.h"

namespace flatland::app {

std::vector<std::string> runModelSpecs(const std::string& runs, const std::string& project) {
  std::vector<std::string> specs;
  std::stringstream stream(runs);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (item.empty()) throw InvalidArgument("--runs has an empty entry: '" + runs + "'");
    if (training::namesCheckpoint(item)) {
      specs.push_back(item);
      continue;
    }
    if (project.empty())
      throw InvalidArgument("run '" + item + "' names no project: give P.h5:/runs/" + item +
                            " or --out P.h5");
    specs.push_back(training::checkpointSpec(project, item));
  }
  if (specs.size() < 2)
    throw InvalidArgument("--runs needs two or more runs to rank measures against their gaps");
  return specs;
}

namespace {

std::string runLabel(const std::string& spec) {
  const std::string runs = std::string(schema::kRunsPath) + "/";
  const auto at = spec.rfind(runs);
  return at == std::string::npos ? spec : spec.substr(at + runs.size());
}

}  // namespace

GeneralizationJobOutput runGeneralizationJob(const SharpnessJobSettings& j,
                                             const JobControl& control) {
  const auto start = std::chrono::steady_clock::now();
  if (j.testData.empty())
    throw InvalidArgument("ranking measures against the generalisation gap needs --test-data");
  const auto specs = runModelSpecs(j.runs, j.projectPath);
  GeneralizationJobOutput out;
  std::vector<std::string> labels;
  std::vector<analysis::SharpnessReport> reports;
  for (size_t i = 0; i < specs.size(); ++i) {
    SharpnessJobSettings one = j;
    one.runs.clear();
    one.input.model = specs[i];
    labels.push_back(runLabel(specs[i]));
    one.name =
        (j.name.empty() ? "sharpness" : j.name) + "-" + training::sanitizeName(labels.back());
    // A name already taken gets a suffix (-2, …): earlier analyses stay as they were.
    auto sub =
        analysis::subJob(control, double(i) / double(specs.size()), 1.0 / double(specs.size()), 0);
    auto result = runSharpnessAnalysisJob(one, sub);
    out.sharpnessPaths.push_back(result.analysisPath);
    reports.push_back(std::move(result.report));
  }
  out.table = analysis::generalizationTable(labels, reports);
  if (!j.projectPath.empty()) {
    auto project = training::ProjectFile::openOrCreate(j.projectPath);
    out.analysisPath = analysis::newAnalysisPath(project, schema::kKindGeneralization, j.name);
    nlohmann::json settings = nlohmann::json::object();
    settings::addStored(sharpnessSettings(), j, settings);
    analysis::Provenance provenance;
    provenance.kind = schema::kKindGeneralization;
    provenance.model = j.runs;
    provenance.data = j.input.data;
    provenance.samples = j.input.samples > 0 ? j.input.samples : -1;
    provenance.seed = j.input.seed;
    provenance.device = j.input.device;
    provenance.settingsJson = settings.dump();
    provenance.modelIdentity = training::ModelIdentity{};  // several models: none to resolve
    auto node = analysis::generalizationNode(out.table, provenance);
    node.attributes[schema::kSharpnessAnalyses] = out.sharpnessPaths;
    node.attributes[schema::kTestData] = j.testData;
    project.put(out.analysisPath, node);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace flatland::app
