// flatland-cli export: a stored surface as a loss-landscape HDF5 file or a ParaView .vts.
#include <cstdio>

#include "cli_context.h"
#include "flatland/analysis/direction.h"
#include "flatland/analysis/surface_export.h"
#include "flatland/errors.h"

namespace flatland::cli {

Command addExportCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd =
      app.add_subcommand("export",
                         "write a stored surface for other tools: the loss-landscape "
                         "project's HDF5 layout ([x, y] arrays) or a VTK .vts for ParaView");
  struct Options {
    std::string project, analysis, format = "loss-landscape", out;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("--project", o->project, "project file (.h5)")->required();
  cmd->add_option("--analysis", o->analysis, "name of a surface analysis in it")->required();
  cmd->add_option("--format", o->format, "loss-landscape or vts")
      ->capture_default_str()
      ->check(CLI::IsMember({"loss-landscape", "vts"}));
  cmd->add_option("--out", o->out, "output file (default NAME.h5 or NAME.vts)");
  return {
      cmd, [o, &global] {
        auto project = training::ProjectFile::open(o->project);
        const std::string path = analysis::analysisPathOf(o->analysis);
        std::string out = o->out;
        if (out.empty())
          out = training::sanitizeName(o->analysis) + (o->format == "vts" ? ".vts" : ".h5");
        if (o->format == "vts")
          analysis::exportVts(project, path, out);
        else
          analysis::exportLossLandscape(project, path, out);
        if (global.json)
          return printJson(
              {{"project", o->project}, {"analysis", path}, {"format", o->format}, {"out", out}});
        std::printf("wrote %s (%s)\n", out.c_str(), o->format.c_str());
      }};
}

}  // namespace flatland::cli
