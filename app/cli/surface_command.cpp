// flatland-cli surface: loss and accuracy on a 1-, 2- or 3-D grid around a model, along random
// (filter-normalised), Hessian-eigenvector, PCA-of-trajectory or interpolation directions. The
// work is app::runSurfaceJob's (the GUI runs the same); this file parses flags and prints.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli_context.h"
#include "flatland/errors.h"
#include "flatland/training/device.h"
#include "flatland/training/project_file.h"
#include "terminal_progress.h"

namespace flatland::cli {

namespace {

struct SurfaceOptions {
  JobOptions job;
  app::SurfaceJobSettings surface;
};

// surface-<time>, with a suffix (-2, -3, …) when the project already has an analysis of that name.
std::string uniqueDefaultName(const std::string& projectPath) {
  const std::string base = "surface-" + training::isoTimestampUtc();
  std::string name = base;
  try {
    std::error_code ec;
    if (!std::filesystem::exists(projectPath, ec)) return name;
    auto project = training::ProjectFile::open(projectPath);
    for (int n = 2; project.exists("/analyses/" + training::sanitizeName(name)); ++n)
      name = base + "-" + std::to_string(n);
  } catch (const Error&) {
    // not a project (yet): the job reports that itself
  }
  return name;
}

}  // namespace

Command addSurfaceCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "surface",
      "loss and accuracy on a 1-, 2- or 3-D grid around a model, written into a project file "
      "block by block (an interrupted job resumes when run again with the same --name)");
  auto o = std::make_shared<SurfaceOptions>();
  auto& s = o->surface;
  s.projectPath = "surface.h5";
  o->job.batchSize = 256;  // on CUDA 4096 unless --batch-size is given
  o->job.addTo(cmd);
  cmd->add_option("--test-data", s.testData,
                  "a second data set, stored as test_loss / test_accuracy "
                  "(--data fills train_loss / train_accuracy)");
  cmd->add_option("--dirs", s.directions,
                  "random (filter-normalised Gaussian; the default), eigen (top Hessian "
                  "eigenvectors: of --from-analysis, else computed first), pca (of a run's checkpoints, --run), interp "
                  "(to --to)")
      ->check(CLI::IsMember({"random", "eigen", "pca", "interp"}));
  cmd->add_option("--to", s.to, "with --dirs interp: the second model (a model spec)");
  cmd->add_option(
      "--from-analysis", s.fromAnalysis,
      "an analysis NAME (or OTHER.h5:NAME): a hessian analysis gives eigenvector directions, a "
      "surface analysis lends its stored directions (to compare minima on the same footing)");
  cmd->add_option("--run", s.run,
                  "with --dirs pca: the run whose checkpoints make the trajectory (NAME or "
                  "P.h5:/runs/NAME); the origin defaults to its last checkpoint");
  cmd->add_option("--grid", s.grid,
                  "X[,Y[,Z]] with each axis lo:hi:n (default -1:1:51,-1:1:51; interp "
                  "-0.5:1.5:41; pca: around the trajectory)");
  cmd->add_option("--norm", s.norm,
                  "random/eigen directions: filter (Li et al. 2018; the default), layer or none "
                  "(eigen default: none)")
      ->check(CLI::IsMember({"filter", "layer", "none"}));
  cmd->add_option("--one-dim", s.oneDim,
                  "biases and BatchNorm weights in random directions: zero (the default), weight "
                  "or normalize")
      ->check(CLI::IsMember({"zero", "weight", "normalize"}));
  cmd->add_option("--out", s.projectPath, "project file (created when missing)")->capture_default_str();
  cmd->add_option("--name", s.name,
                  "analysis name (default surface-<time>); an unfinished surface of that "
                  "name is resumed");
  cmd->add_option("--commit-seconds", s.commitSeconds, "seconds between saves of finished points")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);

  return {
      cmd, [o, cmd, &global] {
        auto settings = o->surface;
        settings.input = o->job;
        // PCA directions around the run's last checkpoint unless --model says otherwise.
        if (settings.directions == "pca" && cmd->count("--model") == 0) settings.input.model.clear();
        // Small batches keep a CPU's activations in cache (2× faster than 2000 for cnn-small);
        // a GPU wants large ones.
        if (cmd->count("--batch-size") == 0 && training::parseDevice(settings.input.device).is_cuda())
          settings.input.batchSize = 4096;
        // A name now, so an interrupted job can say how to resume it. A default name is never
        // resumed, and two jobs started in the same second get different ones.
        if (settings.name.empty()) {
          settings.name = uniqueDefaultName(settings.projectPath);
          settings.resume = false;
        }
        const bool root = !global.workers || global.workers->isRoot();

        TerminalJob terminal;
        app::SurfaceJobResult result;
        try {
          result = app::runSurfaceJob(settings, terminal.control(), global.workers);
        } catch (const Cancelled&) {
          terminal.finish();
          // Cancelled before the first point (while computing eigen directions, say): nothing to resume.
          const std::string name = training::sanitizeName(settings.name);
          bool saved = false;
          try {
            saved = training::ProjectFile::open(settings.projectPath).exists("/analyses/" + name);
          } catch (const Error&) {
          }
          if (root && !saved) std::fprintf(stderr, "cancelled before any point was computed; nothing was saved\n");
          if (root && saved)
            std::fprintf(stderr,
                         "the finished points are saved in %s; add --name %s to the same command "
                         "to resume\n",
                         settings.projectPath.c_str(), name.c_str());
          throw;
        }
        terminal.finish();
        if (!root) return;
        if (!global.json)
          for (const auto& note : result.notes) std::fprintf(stderr, "note: %s\n", note.c_str());

        const double perPoint =
            result.pointsComputed > 0 ? result.seconds / double(result.pointsComputed) : 0.0;
        if (global.json) {
          nlohmann::json doc = {{"project", settings.projectPath},
                                {"analysis", result.analysisPath},
                                {"grid", result.grid},
                                {"shape", result.shape},
                                {"dirs", result.directions},
                                {"norm", result.norm},
                                {"points", result.points},
                                {"points_computed", result.pointsComputed},
                                {"resumed", result.resumed},
                                {"complete", result.complete},
                                {"seconds", result.seconds},
                                {"seconds_per_point", perPoint},
                                {"ranks", result.ranks},
                                {"loss_at_origin", result.lossAtOrigin},
                                {"loss_min", result.lossMin},
                                {"notes", result.notes}};
          if (!result.explainedVariance.empty()) doc["explained_variance"] = result.explainedVariance;
          return printJson(doc);
        }
        std::printf("surface    %s:%s\n", settings.projectPath.c_str(), result.analysisPath.c_str());
        std::printf("model      %s (%lld parameters)\n", settings.input.model.c_str(),
                    static_cast<long long>(result.parameters));
        std::printf("data       %s (%lld samples)%s%s\n", settings.input.data.c_str(),
                    static_cast<long long>(result.samples), settings.testData.empty() ? "" : ", test ",
                    settings.testData.c_str());
        std::printf("directions %s, norm %s\n", result.directions.c_str(), result.norm.c_str());
        std::printf("grid       %s (%lld points, %lld computed now)\n", result.grid.c_str(),
                    static_cast<long long>(result.points),
                    static_cast<long long>(result.pointsComputed));
        if (result.ranks > 1)
          std::printf("time       %.1f s on %d ranks (%.3f s per point)\n", result.seconds,
                      result.ranks, perPoint);
        else
          std::printf("time       %.1f s (%.3f s per point)\n", result.seconds, perPoint);
        std::printf("loss       %.6f at the origin, %.6f lowest on the grid\n", result.lossAtOrigin,
                    result.lossMin);
      }};
}

}  // namespace flatland::cli
