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
#include "flatland/training/project_schema.h"
#include "job_settings.h"
#include "setting_options.h"
#include "terminal_progress.h"

namespace flatland::cli {

namespace {

// surface-<time>, with a suffix (-2, -3, …) when the project already has an analysis of that name.
std::string uniqueDefaultName(const std::string& projectPath) {
  const std::string base = "surface-" + training::isoTimestampUtc();
  std::string name = base;
  try {
    std::error_code ec;
    if (!std::filesystem::exists(projectPath, ec)) return name;
    auto project = training::ProjectFile::open(projectPath);
    for (int n = 2; project.exists(schema::analysisPath(training::sanitizeName(name))); ++n)
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
  auto o = std::make_shared<SettingOptions<app::SurfaceJobSettings>>(cmd, app::surfaceSettings());

  return {
      cmd, [o, cmd, &global] {
        auto settings = o->values();
        // PCA directions around the run's last checkpoint unless --model says otherwise.
        // Directions of a stored analysis: around the model it was computed for (the plane of a
        // connectivity analysis around its first model).
        const bool aroundStored =
            settings.directions == analysis::DirectionKind::Pca || !settings.fromAnalysis.empty();
        if (aroundStored && cmd->count("--model") == 0) settings.input.model.clear();
        // The batch size stays 0 unless given: runSurfaceJob resolves it by device, for the CLI
        // and the GUI alike (resolveSurfaceBatchSize).
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
          // Cancelled before the first point (while computing eigen directions, say): nothing to
          // resume.
          const std::string name = training::sanitizeName(settings.name);
          bool saved = false;
          try {
            saved = training::ProjectFile::open(settings.projectPath)
                        .exists(schema::analysisPath(name));
          } catch (const Error&) {
          }
          if (root && !saved)
            std::fprintf(stderr, "cancelled before any point was computed; nothing was saved\n");
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
          if (!result.explainedVariance.empty())
            doc["explained_variance"] = result.explainedVariance;
          return printJson(doc);
        }
        std::printf("surface    %s:%s\n", settings.projectPath.c_str(),
                    result.analysisPath.c_str());
        std::printf("model      %s (%lld parameters)\n", settings.input.model.c_str(),
                    static_cast<long long>(result.parameters));
        std::printf("data       %s (%lld samples)%s%s\n", settings.input.data.c_str(),
                    static_cast<long long>(result.samples),
                    settings.testData.empty() ? "" : ", test ", settings.testData.c_str());
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
