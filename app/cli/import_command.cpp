// flatland-cli import-surface: a surface file of the loss-landscape project as a surface
// analysis, to view, compare and export like one computed here.
#include <cstdio>
#include <filesystem>

#include "cli_context.h"
#include "flatland/analysis/direction.h"
#include "flatland/analysis/loss_landscape_files.h"
#include "flatland/errors.h"
#include "flatland/training/project_schema.h"

namespace flatland::cli {

Command addImportSurfaceCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "import-surface",
      "bring a loss-landscape surface file (xcoordinates, train_loss, train_acc, … indexed "
      "[x, y], accuracy in percent) into a project as a surface analysis");
  struct Options {
    std::string file, project, name;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("file", o->file, "the loss-landscape surface file (.h5)")->required();
  cmd->add_option("--out", o->project, "project file (created when missing)")->required();
  cmd->add_option("--name", o->name, "analysis name (default: the file's name)");
  return {cmd, [o, &global] {
            auto node = analysis::importLossLandscapeSurface(o->file);
            const std::string name = training::sanitizeName(
                o->name.empty() ? std::filesystem::path(o->file).stem().string() : o->name);
            auto project = training::ProjectFile::openOrCreate(o->project);
            const std::string path = schema::analysisPath(name);
            if (project.exists(path))
              throw InvalidArgument(o->project + " already has an analysis " + name +
                                    ": choose another --name");
            project.put(path, node);
            const auto points = node.number(schema::kPointsDone);
            if (global.json)
              return printJson({{"project", o->project},
                                {"analysis", path},
                                {"grid", node.text(schema::kGrid)},
                                {"points_done", points}});
            std::printf("imported %s as %s (grid %s, %.0f points)\n", o->file.c_str(), path.c_str(),
                        node.text(schema::kGrid).c_str(), points);
          }};
}

}  // namespace flatland::cli
