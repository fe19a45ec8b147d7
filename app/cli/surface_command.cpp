// flatland-cli surface: loss and accuracy on a 1-, 2- or 3-D grid around a model, along random
// (filter-normalised), Hessian-eigenvector, PCA-of-trajectory or interpolation directions.
#include <cstdio>
#include <iostream>

#include "cli_context.h"
#include "flatland/analysis/direction.h"
#include "flatland/analysis/pca_directions.h"
#include "flatland/analysis/surface_job.h"
#include "flatland/errors.h"
#include "flatland/training/model_spec.h"
#include "job_setup.h"
#include "terminal_progress.h"

namespace flatland::cli {

namespace {

struct SurfaceOptions {
  JobOptions job;
  std::string testData;
  std::string dirs = "random";
  std::string to;
  std::string fromAnalysis;
  std::string run;
  std::string grid;
  std::string norm = "filter";
  std::string oneDim = "zero";
  std::string out = "surface.h5";
  std::string name;
  double commitSeconds = 5.0;
};

// "OTHER.h5:NAME" names an analysis in another project; "NAME" one in the output project.
std::pair<std::string, std::string> splitAnalysisRef(const std::string& ref,
                                                     const std::string& out) {
  auto colon = ref.find(".h5:");
  if (colon != std::string::npos)
    return {ref.substr(0, colon + 3), analysis::analysisPathOf(ref.substr(colon + 4))};
  return {out, analysis::analysisPathOf(ref)};
}

// "P.h5:/runs/NAME" or "NAME" (in the --model's project when it is a checkpoint, else --out).
std::pair<std::string, std::string> splitRunRef(const std::string& ref, const std::string& model,
                                                const std::string& out) {
  auto marker = ref.find(":/runs/");
  if (marker != std::string::npos) return {ref.substr(0, marker), ref.substr(marker + 7)};
  auto spec = training::ModelSpec::parse(model);
  if (spec.kind == training::ModelSpec::Kind::Checkpoint)
    return {spec.name, ref.empty() ? spec.run : ref};
  return {out, ref};
}

std::string defaultGrid(const std::string& dirs) {
  if (dirs == "interp") return "-0.5:1.5:41";
  return "-1:1:51,-1:1:51";
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

}  // namespace

Command addSurfaceCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "surface",
      "loss and accuracy on a 1-, 2- or 3-D grid around a model, written into a project file "
      "block by block (an interrupted job resumes when run again with the same --name)");
  auto o = std::make_shared<SurfaceOptions>();
  o->job.batchSize = 256;  // on CUDA 4096 unless --batch-size is given
  o->job.addTo(cmd);
  cmd->add_option("--test-data", o->testData,
                  "a second data set, stored as test_loss / test_accuracy "
                  "(--data fills train_loss / train_accuracy)");
  cmd->add_option("--dirs", o->dirs,
                  "random (filter-normalised Gaussian), eigen (top Hessian eigenvectors, "
                  "--from-analysis), pca (of a run's checkpoints, --run), interp (to --to)")
      ->capture_default_str()
      ->check(CLI::IsMember({"random", "eigen", "pca", "interp"}));
  cmd->add_option("--to", o->to, "with --dirs interp: the second model (a model spec)");
  cmd->add_option(
      "--from-analysis", o->fromAnalysis,
      "an analysis NAME (or OTHER.h5:NAME): a hessian analysis gives eigenvector directions, a "
      "surface analysis lends its stored directions (to compare minima on the same footing)");
  cmd->add_option("--run", o->run,
                  "with --dirs pca: the run whose checkpoints make the trajectory (NAME or "
                  "P.h5:/runs/NAME); the origin defaults to its last checkpoint");
  cmd->add_option("--grid", o->grid,
                  "X[,Y[,Z]] with each axis lo:hi:n (default -1:1:51,-1:1:51; interp "
                  "-0.5:1.5:41; pca: around the trajectory)");
  cmd->add_option("--norm", o->norm,
                  "random/eigen directions: filter (Li et al. 2018), layer or none "
                  "(eigen default: none)")
      ->capture_default_str()
      ->check(CLI::IsMember({"filter", "layer", "none"}));
  cmd->add_option("--one-dim", o->oneDim,
                  "biases and BatchNorm weights in random directions: zero, weight "
                  "or normalize")
      ->capture_default_str()
      ->check(CLI::IsMember({"zero", "weight", "normalize"}));
  cmd->add_option("--out", o->out, "project file (created when missing)")->capture_default_str();
  cmd->add_option("--name", o->name,
                  "analysis name (default surface-<time>); an unfinished surface of that "
                  "name is resumed");
  cmd->add_option("--commit-seconds", o->commitSeconds, "seconds between saves of finished points")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);

  return {
      cmd, [o, cmd, &global] {
        using namespace analysis;
        auto& jo = o->job;
        const bool modelGiven = cmd->count("--model") > 0;
        const bool dirsGiven = cmd->count("--dirs") > 0;
        const bool normGiven = cmd->count("--norm") > 0;
        auto* group = global.workers;
        const bool helper = group && !group->isRoot();

        // The run (pca) and the origin model.
        std::pair<std::string, std::string> run;
        if (o->dirs == "pca") {
          run = splitRunRef(o->run, jo.model, o->out);
          if (run.second.empty())
            throw InvalidArgument("--dirs pca needs --run NAME (a run with checkpoints)");
          if (!modelGiven) jo.model = run.first + ":/runs/" + run.second;
        }
        auto job = loadJob(jo);
        // Small batches keep a CPU's activations in cache (2× faster than 2000 for cnn-small);
        // a GPU wants large ones.
        if (cmd->count("--batch-size") == 0 && job.device.is_cuda()) jo.batchSize = 4096;
        std::unique_ptr<training::Dataset> test;
        if (!o->testData.empty()) {
          training::DataOptions dataOptions;
          dataOptions.device = job.device;
          dataOptions.dataDir = jo.dataDir;
          if (jo.samples > 0) dataOptions.limit = jo.samples;
          test =
              std::make_unique<training::Dataset>(training::loadDataset(o->testData, dataOptions));
        }

        SurfaceSettings settings;
        settings.batchSize = jo.batchSize;
        settings.commitSeconds = o->commitSeconds;
        settings.name = o->name;
        settings.modelSpec = jo.model;
        settings.dataSpec = jo.data;
        settings.testDataSpec = o->testData;
        settings.samples = jo.samples > 0 ? jo.samples : -1;
        settings.seed = jo.seed;
        settings.device = job.device.str();

        if (helper) {
          // Another rank of an mpirun launch: the root says which surface; this rank evaluates
          // the blocks dealt to it and sends them over. It never writes the file.
          TerminalJob terminal;
          joinSurface(o->out, *job.model, &job.data, test.get(), settings, *group,
                      terminal.control());
          return;
        }
        auto project = training::ProjectFile::openOrCreate(o->out);
        const int ranks = group ? group->size() : 1;

        TerminalJob terminal;
        SurfaceResult result;
        DirectionSet dirs;
        bool resumed = false;
        try {
          const std::string existing =
              o->name.empty() ? "" : analysisPathOf(training::sanitizeName(o->name));
          if (!existing.empty() && project.exists(existing)) {
            auto stored = project.read(existing, false);
            if (!stored.has("kind") || stored.text("kind") != "surface")
              throw InvalidArgument(o->out + " already has an analysis named '" + o->name +
                                    "' that is not a surface");
            if (stored.has("complete") && stored.number("complete") != 0)
              throw InvalidArgument("surface '" + o->name + "' in " + o->out +
                                    " is complete; choose another --name");
            auto check = [&](const char* attribute, const std::string& given) {
              const std::string was = stored.has(attribute) ? stored.text(attribute) : "";
              if (was != given)
                throw InvalidArgument("cannot resume surface '" + o->name +
                                      "': it was started with " + attribute + " '" + was +
                                      "', not '" + given + "'");
            };
            check("model", settings.modelSpec);
            check("data", settings.dataSpec);
            check("test_data", settings.testDataSpec);
            if (int64_t(stored.number("samples")) != settings.samples)
              throw InvalidArgument("cannot resume surface '" + o->name +
                                    "': it was started with --samples " +
                                    std::to_string(int64_t(stored.number("samples"))));
            if (!global.json)
              std::fprintf(stderr, "resuming %s: %lld of its points are done\n", existing.c_str(),
                           static_cast<long long>(stored.number("points_done")));
            result = resumeSurface(project, existing, *job.model, &job.data, test.get(), settings,
                                   terminal.control(), group);
            dirs = readDirections(project, existing, *job.model);
            resumed = true;
          } else {
            std::string grid = o->grid;
            if (!o->fromAnalysis.empty()) {
              auto [file, path] = splitAnalysisRef(o->fromAnalysis, o->out);
              auto source = training::ProjectFile::open(file);
              if (!source.exists(path)) throw InvalidArgument(file + " has no analysis " + path);
              auto node = source.read(path, false);
              const std::string kind = node.has("kind") ? node.text("kind") : "";
              if (kind == "hessian") {
                if (dirsGiven && o->dirs != "eigen")
                  throw InvalidArgument(
                      "--from-analysis names a Hessian analysis: use --dirs eigen");
                if (grid.empty()) grid = defaultGrid("eigen");
                const auto count = int(GridSpec::parse(grid).dimensions());
                dirs = eigenDirections(
                    source, path, *job.model, count,
                    normGiven ? parseDirectionNorm(o->norm) : DirectionNorm::None,
                    normGiven ? parseOneDimPolicy(o->oneDim) : OneDimPolicy::Normalize);
                if (node.has("model") && node.text("model") != jo.model && !global.json)
                  std::fprintf(
                      stderr,
                      "note: the eigenvectors were computed for %s, the surface is around %s\n",
                      node.text("model").c_str(), jo.model.c_str());
              } else if (kind == "surface") {
                dirs = readDirections(source, path, *job.model);
                if (dirsGiven && o->dirs != dirs.kind)
                  throw InvalidArgument("--from-analysis names a surface with " + dirs.kind +
                                        " directions, not " + o->dirs);
                if (grid.empty()) grid = node.text("grid");
                dirs.source = file + ":" + path;
              } else {
                throw InvalidArgument("--from-analysis must name a hessian or surface analysis; " +
                                      path + " is of kind '" + kind + "'");
              }
            } else if (o->dirs == "eigen") {
              throw InvalidArgument(
                  "--dirs eigen needs --from-analysis NAME of a stored Hessian analysis "
                  "(flatland-cli hessian ... --out " +
                  o->out + ")");
            } else if (o->dirs == "interp") {
              if (o->to.empty())
                throw InvalidArgument("--dirs interp needs --to MODEL_SPEC (the second model)");
              training::ModelShape shape{job.data.sampleShape(), job.data.numClasses};
              auto other = training::loadModel(o->to, shape, job.device, jo.seed);
              dirs = interpolationDirection(*job.model, *other);
              dirs.source = o->to;
              if (grid.empty()) grid = defaultGrid("interp");
            } else if (o->dirs == "pca") {
              auto runProject = training::ProjectFile::open(run.first);
              auto trajectory = loadTrajectory(runProject, run.second, *job.model);
              const int count = grid.empty() ? 2 : int(GridSpec::parse(grid).dimensions());
              dirs = pcaDirections(trajectory, *job.model, count);
              dirs.source = run.first + ":/runs/" + run.second;
              if (grid.empty()) grid = gridAroundTrajectory(dirs.trajectory, 21);
              if (!global.json)
                for (size_t k = 0; k < dirs.explainedVariance.size(); ++k)
                  std::fprintf(stderr, "PC%zu explains %.1f%% of the variance\n", k + 1,
                               100.0 * dirs.explainedVariance[k]);
            } else {
              if (grid.empty()) grid = defaultGrid("random");
              const auto count = int(GridSpec::parse(grid).dimensions());
              dirs = randomDirections(*job.model, count, jo.seed, parseDirectionNorm(o->norm),
                                      parseOneDimPolicy(o->oneDim));
            }
            settings.grid = GridSpec::parse(grid);
            if (dirs.kind == "interp" && settings.grid.dimensions() != 1)
              throw InvalidArgument(
                  "an interpolation has one direction: give a 1-D --grid such as -0.5:1.5:41");
            nlohmann::json s = {{"model", jo.model},
                                {"data", jo.data},
                                {"test_data", o->testData},
                                {"samples", jo.samples},
                                {"batch_size", jo.batchSize},
                                {"device", settings.device},
                                {"seed", jo.seed},
                                {"dirs", dirs.kind},
                                {"norm", dirs.norm},
                                {"one_dim", o->oneDim},
                                {"grid", settings.grid.text()},
                                {"to", o->to},
                                {"from_analysis", o->fromAnalysis},
                                {"run", o->run}};
            settings.settingsJson = s.dump();
            if (settings.name.empty()) settings.name = "surface-" + training::isoTimestampUtc();
            result = computeSurface(project, *job.model, dirs, &job.data, test.get(), settings,
                                    terminal.control(), group);
          }
        } catch (const Cancelled&) {
          // Ctrl-C: the finished points are saved; say how to continue.
          terminal.finish();
          const std::string name =
              o->name.empty() ? training::sanitizeName(settings.name) : o->name;
          if (!name.empty())
            std::fprintf(stderr,
                         "the finished points are saved in %s; add --name %s to the same command "
                         "to resume\n",
                         o->out.c_str(), name.c_str());
          throw;
        }
        terminal.finish();

        const int64_t points = result.grid.points();
        const double perPoint =
            result.pointsComputed > 0 ? result.seconds / double(result.pointsComputed) : 0.0;
        if (global.json) {
          nlohmann::json doc = {{"project", o->out},
                                {"analysis", result.analysisPath},
                                {"grid", result.grid.text()},
                                {"shape", result.grid.shape()},
                                {"dirs", dirs.kind},
                                {"norm", dirs.norm},
                                {"points", points},
                                {"points_computed", result.pointsComputed},
                                {"resumed", resumed},
                                {"complete", result.complete},
                                {"seconds", result.seconds},
                                {"seconds_per_point", perPoint},
                                {"ranks", ranks},
                                {"loss_at_origin", result.lossAtOrigin},
                                {"loss_min", result.lossMin}};
          if (!dirs.explainedVariance.empty()) doc["explained_variance"] = dirs.explainedVariance;
          return printJson(doc);
        }
        std::printf("surface    %s:%s\n", o->out.c_str(), result.analysisPath.c_str());
        std::printf("model      %s (%lld parameters)\n", jo.model.c_str(),
                    static_cast<long long>(job.model->parameterCount()));
        std::printf("data       %s (%lld samples)%s%s\n", jo.data.c_str(),
                    static_cast<long long>(job.data.size()), test ? ", test " : "",
                    test ? o->testData.c_str() : "");
        std::printf("directions %s, norm %s\n", dirs.kind.c_str(), dirs.norm.c_str());
        std::printf("grid       %s (%lld points, %lld computed now)\n", result.grid.text().c_str(),
                    static_cast<long long>(points), static_cast<long long>(result.pointsComputed));
        if (ranks > 1)
          std::printf("time       %.1f s on %d ranks (%.3f s per point)\n",
                      result.seconds, ranks, perPoint);
        else
          std::printf("time       %.1f s (%.3f s per point)\n", result.seconds, perPoint);
        std::printf("loss       %.6f at the origin, %.6f lowest on the grid\n", result.lossAtOrigin,
                    result.lossMin);
      }};
}

}  // namespace flatland::cli
