// runSurfaceJob: from the settings a user gives (CLI flags or the GUI's form) to a stored surface:
// the origin, the directions, the grid, a new surface or the resumption of an unfinished one.
#include <torch/types.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <utility>

#include "flatland/analysis/direction.h"
#include "flatland/analysis/directions_eigen.h"
#include "flatland/analysis/grid.h"
#include "flatland/analysis/loss_landscape_files.h"
#include "flatland/analysis/loss_surface.h"
#include "flatland/analysis/mode_connectivity.h"
#include "flatland/analysis/pca_directions.h"
#include "flatland/errors.h"
#include "flatland/training/checkpoint.h"
#include "flatland/training/device.h"
#include "flatland/training/model_spec.h"
#include "flatland/training/project_schema.h"
#include "flatland/training/specs.h"
#include "job_inputs.h"
#include "job_settings.h"
#include "jobs.h"

namespace flatland::app {

namespace {

using analysis::DirectionKind;
using analysis::DirectionNorm;
using analysis::DirectionSet;
using analysis::GridSpec;
using analysis::OneDimPolicy;

// "OTHER.h5:NAME" names an analysis in another project; "NAME" one in the output project.
std::pair<std::string, std::string> splitAnalysisRef(const std::string& ref,
                                                     const std::string& out) {
  auto colon = ref.find(".h5:");
  if (colon != std::string::npos)
    return {ref.substr(0, colon + 3), analysis::analysisPathOf(ref.substr(colon + 4))};
  return {out, analysis::analysisPathOf(ref)};
}

// "P.h5:/runs/NAME" or "NAME" (in the model's project when it is a checkpoint, else `out`).
std::pair<std::string, std::string> splitRunRef(const std::string& ref, const std::string& model,
                                                const std::string& out) {
  if (training::namesCheckpoint(ref)) {
    const auto spec = training::ModelSpec::parse(ref);
    return {spec.name, spec.run};
  }
  if (!model.empty()) {
    auto spec = training::ModelSpec::parse(model);
    if (spec.kind == training::ModelSpec::Kind::Checkpoint)
      return {spec.name, ref.empty() ? spec.run : ref};
  }
  return {out, ref};
}

// A grid that frames the projected trajectory with a margin (PCA directions are unit vectors,
// so the default ±1 of random directions would not fit).
std::string gridAroundTrajectory(const at::Tensor& coordinates, int64_t points) {
  std::string spec;
  for (int64_t k = 0; k < coordinates.size(1); ++k) {
    double lo = coordinates.select(1, k).min().item<double>();
    double hi = coordinates.select(1, k).max().item<double>();
    const double margin = 0.25 * std::max(hi - lo, 1e-3);
    char axis[96];
    std::snprintf(axis, sizeof axis, "%.6g:%.6g:%lld", lo - margin, hi + margin,
                  static_cast<long long>(points));
    spec += (spec.empty() ? "" : ",") + std::string(axis);
  }
  return spec;
}

int axesOf(const std::string& grid, int fallback) {
  return grid.empty() ? fallback : int(GridSpec::parse(grid).dimensions());
}

// Eigen directions without a stored Hessian analysis: the top eigenvectors of the Hessian on the
// surface's own data, computed now (the hessian job's Lanczos and tolerance). What it took goes
// into `record`, which the runner stores in the surface's settings.
DirectionSet eigenDirectionsOnTheFly(const SurfaceJobSettings& s, training::Model& origin,
                                     const LoadedInputs& inputs, int count,
                                     const JobControl& control, std::vector<std::string>& notes,
                                     nlohmann::json& record) {
  analysis::EigenDirectionOptions options;
  options.eigen.seed = s.input.seed;
  options.hessian.batchSize = s.input.batchSize;
  if (s.norm) {
    options.norm = *s.norm;
    options.oneDim = s.oneDim.value_or(OneDimPolicy::Zero);
  }
  auto computed = analysis::computeEigenDirections(origin, inputs.data, count, options, control);
  record = {{"computed", "on the fly"},
            {"method", "lanczos"},
            {"curvature", "hessian"},
            {"count", count},
            {"tol", computed.tolerance},
            {"hvp_count", computed.products},
            {"restarts", computed.restarts},
            {"samples", computed.samples},
            {"eigenvalues", computed.eigenvalues},
            {"seed", s.input.seed},
            {"seconds", computed.seconds}};
  std::string values;
  for (double v : computed.eigenvalues) {
    char text[32];
    std::snprintf(text, sizeof text, "%s%.6g", values.empty() ? "" : ", ", v);
    values += text;
  }
  char line[200];
  std::snprintf(line, sizeof line,
                "no --from-analysis: computed the top-%d Hessian eigenvectors now (eigenvalues "
                "%s; %lld Hessian-vector products, tolerance %g)",
                count, values.c_str(), static_cast<long long>(computed.products),
                computed.tolerance);
  notes.push_back(line);
  return computed.set;
}

// The model a stored analysis was computed around, "" when it does not say: a surface along
// another analysis's directions is centred there unless the user names a model (the plane of a
// connectivity analysis on its first model A).
std::string modelOfAnalysis(const std::string& ref, const std::string& projectPath) {
  auto [file, path] = splitAnalysisRef(ref, projectPath);
  auto source = training::ProjectFile::open(file);
  if (!source.exists(path)) throw InvalidArgument(file + " has no analysis " + path);
  const auto node = source.read(path, false);
  for (const char* key : {schema::kFromModel, schema::kModel})
    if (node.has(key)) return node.text(key);
  return "";
}

// The plane through the ends A, B and the bend θ of a connectivity analysis: directions B − A and
// θ − A (parameters and BatchNorm buffers), so A is (0, 0), B (1, 0) and θ (0, 1), and the curve
// drawn as the surface's trajectory.
DirectionSet planeDirections(const training::ProjectFile& source, const std::string& path,
                             const training::Node& node, const SurfaceJobSettings& s,
                             training::Model& origin, const LoadedInputs& inputs, std::string& grid,
                             std::vector<std::string>& notes) {
  const std::string bendPath = path + "/" + schema::kBend;
  if (!source.exists(bendPath))
    throw InvalidArgument(path +
                          " connects its models by a straight line: the plane needs a "
                          "trained bend (connect --curve bezier or polychain)");
  const std::string from = node.text(schema::kFromModel);
  if (from != s.input.model)
    notes.push_back("the plane is spanned from " + from + ", the surface is centred on " +
                    s.input.model);
  const training::ModelShape shape{inputs.data.sampleShape(), inputs.data.numClasses};
  auto to = training::loadModel(node.text(schema::kToModel), shape, inputs.device, s.input.seed);
  auto bend = origin.clone();
  training::loadCheckpoint(*bend, source.read(bendPath));
  DirectionSet set;
  set.kind = DirectionKind::Plane;
  set.norm = DirectionNorm::None;
  set.source = source.path() + ":" + path;
  set.directions.push_back(analysis::interpolationDirection(origin, *to).directions.at(0));
  set.directions.push_back(analysis::interpolationDirection(origin, *bend).directions.at(0));
  const auto curve = analysis::parseCurveType(node.text(schema::kCurveType));
  const int64_t points = 41;
  std::vector<double> coordinates;
  for (int64_t i = 0; i < points; ++i) {
    const auto w = analysis::curveWeights(curve, double(i) / double(points - 1));
    coordinates.push_back(w.to);
    coordinates.push_back(w.bend);
    set.trajectoryEpochs.push_back(i);  // the point's index along the curve
  }
  set.trajectory = torch::tensor(coordinates, torch::kDouble).reshape({points, 2});
  if (grid.empty()) grid = analysis::defaultGridFor(DirectionKind::Plane);
  return set;
}

// The directions the settings ask for, and the grid to use with them.
DirectionSet chooseDirections(const SurfaceJobSettings& s, training::Model& origin,
                              const LoadedInputs& inputs, const std::string& runProject,
                              const std::string& runName, std::string& grid,
                              std::vector<std::string>& notes, const JobControl& control,
                              nlohmann::json& eigenRecord) {
  const std::optional<DirectionKind> kind = s.directions;
  if (!s.fromAnalysis.empty()) {
    auto [file, path] = splitAnalysisRef(s.fromAnalysis, s.projectPath);
    auto source = training::ProjectFile::open(file);
    if (!source.exists(path)) throw InvalidArgument(file + " has no analysis " + path);
    auto node = source.read(path, false);
    const std::string analysisKind = node.has(schema::kKind) ? node.text(schema::kKind) : "";
    if (analysisKind == schema::kKindHessian) {
      if (kind && *kind != DirectionKind::Eigen)
        throw InvalidArgument(
            "the directions come from a Hessian analysis: choose eigen directions");
      if (grid.empty()) grid = analysis::defaultGridFor(DirectionKind::Eigen);
      // Stored eigenvectors are unit vectors: left as they are unless a norm is asked for.
      auto dirs = analysis::eigenDirections(
          source, path, origin, axesOf(grid, 2), s.norm.value_or(DirectionNorm::None),
          s.norm ? s.oneDim.value_or(OneDimPolicy::Zero) : OneDimPolicy::Normalize);
      if (node.has(schema::kModel) && node.text(schema::kModel) != s.input.model)
        notes.push_back("the eigenvectors were computed for " + node.text(schema::kModel) +
                        ", the surface is around " + s.input.model);
      return dirs;
    }
    if (analysisKind == schema::kKindSurface) {
      auto dirs = analysis::readDirections(source, path, origin);
      if (kind && *kind != dirs.kind)
        throw InvalidArgument(s.fromAnalysis + " has " + toString(dirs.kind) + " directions, not " +
                              toString(*kind));
      if (grid.empty()) grid = node.text(schema::kGrid);
      dirs.source = file + ":" + path;
      return dirs;
    }
    if (analysisKind == schema::kKindConnectivity) {
      if (kind && *kind != DirectionKind::Plane)
        throw InvalidArgument(
            "a connectivity analysis gives the plane through its two models and the bend: "
            "choose --dirs plane");
      return planeDirections(source, path, node, s, origin, inputs, grid, notes);
    }
    throw InvalidArgument(
        "the directions must come from a hessian, surface or connectivity analysis; " + path +
        " is of kind '" + analysisKind + "'");
  }
  switch (kind.value_or(DirectionKind::Random)) {
    case DirectionKind::Eigen:
      if (grid.empty()) grid = analysis::defaultGridFor(DirectionKind::Eigen);
      return eigenDirectionsOnTheFly(s, origin, inputs, axesOf(grid, 2), control, notes,
                                     eigenRecord);
    case DirectionKind::Interp: {
      if (s.to.empty())
        throw InvalidArgument("interpolation needs the second model (--to MODEL_SPEC)");
      training::ModelShape shape{inputs.data.sampleShape(), inputs.data.numClasses};
      auto other = training::loadModel(s.to, shape, inputs.device, s.input.seed);
      auto dirs = analysis::interpolationDirection(origin, *other);
      dirs.source = s.to;
      if (grid.empty()) grid = analysis::defaultGridFor(DirectionKind::Interp);
      return dirs;
    }
    case DirectionKind::Pca: {
      auto runFile = training::ProjectFile::open(runProject);
      auto trajectory = analysis::loadTrajectory(runFile, runName, origin);
      auto dirs = analysis::pcaDirections(trajectory, origin, axesOf(grid, 2));
      dirs.source = training::checkpointSpec(runProject, runName);
      if (grid.empty()) grid = gridAroundTrajectory(dirs.trajectory, 21);
      return dirs;
    }
    case DirectionKind::LossLandscape: {
      if (s.dirFile.empty())
        throw InvalidArgument("--dirs loss-landscape needs its direction file (--dir-file FILE)");
      auto dirs = analysis::readLossLandscapeDirections(s.dirFile, origin);
      if (grid.empty()) {
        auto spec =
            analysis::GridSpec::parse(analysis::defaultGridFor(DirectionKind::LossLandscape));
        spec.axes.resize(std::min(spec.axes.size(), dirs.directions.size()));
        grid = spec.text();
      }
      return dirs;
    }
    case DirectionKind::Plane:
      throw InvalidArgument(
          "--dirs plane: name the connectivity analysis whose models span it (--from-analysis)");
    case DirectionKind::Random:
      break;
  }
  if (grid.empty()) grid = analysis::defaultGridFor(DirectionKind::Random);
  return analysis::randomDirections(origin, axesOf(grid, 2), s.input.seed,
                                    s.norm.value_or(DirectionNorm::Filter),
                                    s.oneDim.value_or(OneDimPolicy::Zero));
}

// The stored text of a choice as its enum; none when it is not one of the choices.
template <class Enum>
std::optional<Enum> storedChoice(const std::string& text, Enum (*parse)(const std::string&)) {
  try {
    return parse(text);
  } catch (const InvalidArgument&) {
    return std::nullopt;
  }
}

// An unfinished surface of the same name is resumed only with the inputs and settings it was
// started with: every setting given that differs from the stored one is named.
void checkResumable(const training::Node& stored, const SurfaceJobSettings& s,
                    const analysis::SurfaceSettings& settings) {
  if (!stored.has(schema::kKind) || stored.text(schema::kKind) != schema::kKindSurface)
    throw InvalidArgument(s.projectPath + " already has an analysis named '" + s.name +
                          "' that is not a surface");
  if (stored.has(schema::kComplete) && stored.number(schema::kComplete) != 0)
    throw InvalidArgument("surface '" + s.name + "' in " + s.projectPath +
                          " is complete; choose another name");
  nlohmann::json recorded = nlohmann::json::object();
  if (stored.has(schema::kSettings)) {
    try {
      recorded = nlohmann::json::parse(stored.text(schema::kSettings));
    } catch (const std::exception&) {
      recorded = nlohmann::json::object();
    }
  }
  auto storedText = [&](const char* attribute, const char* setting = nullptr) -> std::string {
    if (stored.has(attribute)) {
      try {
        return stored.text(attribute);
      } catch (const Error&) {
      }
    }
    if (setting && recorded.is_object() && recorded.contains(setting) &&
        recorded[setting].is_string())
      return recorded[setting].get<std::string>();
    return "";
  };
  std::vector<std::string> differences;
  auto compare = [&](const std::string& what, const std::string& was, const std::string& given) {
    if (was != given) differences.push_back(what + " '" + was + "' (now '" + given + "')");
  };
  // A choice given must be the stored one (a stored text that is no choice differs from all).
  auto compareChoice = [&](const std::string& what, const std::string& was, const auto& given,
                           auto parse) {
    if (given && storedChoice(was, parse) != given)
      differences.push_back(what + " '" + was + "' (now '" + toString(*given) + "')");
  };
  compare("model", storedText(schema::kModel), settings.modelSpec);
  compare("data", storedText(schema::kData), settings.dataSpec);
  compare("test data", storedText(schema::kTestData), settings.testDataSpec);
  const int64_t samples =
      stored.has(schema::kSamples) ? int64_t(stored.number(schema::kSamples)) : -1;
  if (samples != settings.samples)
    differences.push_back("samples " + std::to_string(samples) + " (now " +
                          std::to_string(settings.samples) + ")");
  // Settings left empty take the stored surface's own; those given must match it.
  if (!s.grid.empty()) compare("grid", storedText(schema::kGrid), GridSpec::parse(s.grid).text());
  // The attribute, else the key of the stored settings (the same name for dirs and norm).
  const std::string dirsText = storedText(schema::kDirs, schema::kDirs);
  const auto dirs = storedChoice(dirsText, analysis::parseDirectionKind);
  compareChoice("directions", dirsText, s.directions, analysis::parseDirectionKind);
  compareChoice("norm", storedText(schema::kNorm, schema::kNorm), s.norm,
                analysis::parseDirectionNorm);
  compareChoice("one-dim policy", storedText("one_dim", "one_dim"), s.oneDim,
                analysis::parseOneDimPolicy);
  if (!s.to.empty()) compare("second model (--to)", storedText("to", "to"), s.to);
  if (!s.fromAnalysis.empty())
    compare("directions from", storedText("from_analysis", "from_analysis"), s.fromAnalysis);
  if (!s.run.empty()) compare("run", storedText("run", "run"), s.run);
  // The seed draws random directions (and starts Lanczos for eigen directions computed on the fly).
  const bool seeded = s.fromAnalysis.empty() &&
                      storedText("from_analysis", "from_analysis").empty() &&
                      (dirs == DirectionKind::Random || dirs == DirectionKind::Eigen);
  const uint64_t storedSeed =
      stored.has(schema::kSeed) ? uint64_t(stored.number(schema::kSeed)) : uint64_t{0};
  if (seeded && stored.has(schema::kSeed) && storedSeed != s.input.seed)
    differences.push_back("seed " + std::to_string(storedSeed) + " (now " +
                          std::to_string(s.input.seed) + ")");
  if (differences.empty()) return;
  std::string list;
  for (size_t i = 0; i < differences.size(); ++i) list += (i ? ", " : "") + differences[i];
  throw InvalidArgument("cannot resume surface '" + s.name + "' in " + s.projectPath +
                        ": it was started with other settings: " + list +
                        "; run it with the settings it was started with, or choose another --name");
}

}  // namespace

int64_t surfaceBatchSizeFor(bool cuda) { return cuda ? 4096 : 256; }

int64_t resolveSurfaceBatchSize(int64_t requested, const std::string& device) {
  if (requested > 0) return requested;
  return surfaceBatchSizeFor(training::parseDevice(device).is_cuda());
}

SurfaceJobResult runSurfaceJob(const SurfaceJobSettings& given, const JobControl& control,
                               analysis::WorkerGroup* group) {
  if (given.projectPath.empty())
    throw InvalidArgument("choose a project file to store the surface in");
  SurfaceJobSettings s = given;
  s.input.batchSize = resolveSurfaceBatchSize(s.input.batchSize, s.input.device);
  const bool helper = group && !group->isRoot();

  // The run (pca) and the origin model: PCA directions default to the run's last checkpoint.
  std::pair<std::string, std::string> run;
  if (s.directions == DirectionKind::Pca) {
    run = splitRunRef(s.run, s.input.model, s.projectPath);
    if (run.second.empty())
      throw InvalidArgument("pca directions need a run with checkpoints (--run NAME)");
    if (s.input.model.empty()) s.input.model = training::checkpointSpec(run.first, run.second);
  }
  if (s.input.model.empty() && !s.fromAnalysis.empty())
    s.input.model = modelOfAnalysis(s.fromAnalysis, s.projectPath);
  if (s.input.model.empty()) throw InvalidArgument("choose the model the surface is around");
  auto inputs = loadInputs(s.input);
  std::unique_ptr<training::Dataset> test;
  if (!s.testData.empty()) {
    training::DataOptions options;
    options.device = inputs.device;
    options.dataDir = s.input.dataDir;
    if (s.input.samples > 0) options.limit = s.input.samples;
    test = std::make_unique<training::Dataset>(training::loadDataset(s.testData, options));
  }

  analysis::SurfaceSettings settings;
  settings.batchSize = s.input.batchSize;
  settings.pointsPerPass = s.pointsPerPass;
  settings.commitSeconds = s.commitSeconds;
  settings.name = s.name;
  settings.modelSpec = s.input.model;
  settings.dataSpec = s.input.data;
  settings.testDataSpec = s.testData;
  settings.samples = s.input.samples > 0 ? s.input.samples : -1;
  settings.seed = s.input.seed;
  settings.device = inputs.device.str();

  SurfaceJobResult out;
  out.parameters = inputs.model->parameterCount();
  out.samples = inputs.data.size();
  out.testSamples = test ? test->size() : 0;
  out.ranks = group ? group->size() : 1;
  analysis::SurfaceResult result;
  DirectionSet dirs;
  if (helper) {
    // Another rank of an mpirun launch: the root says which surface; this rank evaluates the
    // blocks dealt to it and sends them over. It never writes the file.
    result = analysis::joinSurface(s.projectPath, *inputs.model, &inputs.data, test.get(), settings,
                                   *group, control);
  } else {
    auto project = training::ProjectFile::openOrCreate(s.projectPath);
    const std::string existing =
        s.name.empty() ? "" : analysis::analysisPathOf(training::sanitizeName(s.name));
    if (!existing.empty() && s.resume && project.exists(existing)) {
      auto stored = project.read(existing, false);
      checkResumable(stored, s, settings);
      out.notes.push_back("resuming " + existing + ": " +
                          std::to_string(int64_t(stored.number(schema::kPointsDone))) +
                          " of its points are done");
      result = analysis::resumeSurface(project, existing, *inputs.model, &inputs.data, test.get(),
                                       settings, control, group);
      dirs = analysis::readDirections(project, existing, *inputs.model);
      out.resumed = true;
    } else {
      std::string grid = s.grid;
      nlohmann::json eigenRecord;  // set when eigen directions are computed on the fly
      dirs = chooseDirections(s, *inputs.model, inputs, run.first, run.second, grid, out.notes,
                              control, eigenRecord);
      settings.grid = GridSpec::parse(grid);
      if (dirs.kind == DirectionKind::Interp && settings.grid.dimensions() != 1)
        throw InvalidArgument("an interpolation has one direction: give a 1-D grid such as " +
                              analysis::defaultGridFor(DirectionKind::Interp));
      for (size_t k = 0; k < dirs.explainedVariance.size(); ++k) {
        char line[64];
        std::snprintf(line, sizeof line, "PC%zu explains %.1f%% of the variance", k + 1,
                      100.0 * dirs.explainedVariance[k]);
        out.notes.push_back(line);
      }
      nlohmann::json settingsJson = nlohmann::json::object();
      settings::addStored(surfaceSettings(), s, settingsJson);
      settingsJson.update(
          nlohmann::json{{"model", s.input.model},
                         {"data", s.input.data},
                         {"test_data", s.testData},
                         {"samples", s.input.samples},
                         {"batch_size", s.input.batchSize},
                         {"device", settings.device},
                         {"seed", s.input.seed},
                         {"dirs", toString(dirs.kind)},
                         {"norm", toString(dirs.norm)},
                         {"one_dim", toString(s.oneDim.value_or(OneDimPolicy::Zero))},
                         {"grid", settings.grid.text()},
                         {"to", s.to},
                         {"from_analysis", s.fromAnalysis},
                         {"run", s.run}});
      if (!eigenRecord.is_null()) settingsJson["eigen_directions"] = eigenRecord;
      settings.settingsJson = settingsJson.dump();
      if (settings.name.empty()) settings.name = "surface-" + training::isoTimestampUtc();
      result = analysis::computeSurface(project, *inputs.model, dirs, &inputs.data, test.get(),
                                        settings, control, group);
    }
  }
  out.analysisPath = result.analysisPath;
  out.grid = result.grid.text();
  out.shape = result.grid.shape();
  out.points = result.grid.points();
  out.pointsComputed = result.pointsComputed;
  out.complete = result.complete;
  out.seconds = result.seconds;
  out.lossAtOrigin = result.lossAtOrigin;
  out.lossMin = result.lossMin;
  out.directions = toString(dirs.kind);
  out.norm = toString(dirs.norm);
  out.explainedVariance = dirs.explainedVariance;
  return out;
}

}  // namespace flatland::app
