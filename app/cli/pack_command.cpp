// flatland-cli pack and unpack: a project as one self-contained file to send, and back to the
// split layout whose commits cost what they change (docs/project-file.md, "Storage").
#include <cstdio>

#include "cli_context.h"
#include "flatland/training/project_file.h"
#include "flatland/training/project_packing.h"

namespace flatland::cli {

Command addPackCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "pack", "write a project (its index and its NAME.flatland/ folder) into one file to send");
  struct Options {
    std::string project, out;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("project", o->project, "project file (.h5)")->required();
  cmd->add_option("--out", o->out, "the single file to write")->required();
  return {cmd, [o, &global] {
            training::packProject(o->project, o->out);
            if (global.json) return printJson({{"project", o->project}, {"out", o->out}});
            std::printf("packed %s into %s\n", o->project.c_str(), o->out.c_str());
          }};
}

Command addUnpackCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "unpack",
      "turn a single-file project (one made by pack, or by Flatland before the split layout) into "
      "an index and its NAME.flatland/ folder, in place unless --out is given");
  struct Options {
    std::string project, out;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("project", o->project, "project file (.h5)")->required();
  cmd->add_option("--out", o->out, "a new project to write instead of converting in place");
  return {cmd, [o, &global] {
            const std::string out = o->out.empty() ? o->project : o->out;
            const bool changed = training::unpackProject(o->project, out);
            if (global.json)
              return printJson({{"project", o->project}, {"out", out}, {"changed", changed}});
            if (changed)
              std::printf("unpacked %s into %s\n", o->project.c_str(), out.c_str());
            else
              std::printf("%s is split already; nothing to do\n", o->project.c_str());
          }};
}

}  // namespace flatland::cli
